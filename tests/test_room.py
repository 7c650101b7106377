"""Shoebox room: image-source geometry, Sabine reflection gain, late-tail decay and level."""

import numpy as np
import pytest

from cascade.geometry import SPEED_OF_SOUND
from renderers import RendererError
from renderers.path import SourcePath
from renderers.propagation import propagate
from renderers.room import image_paths, late_reverb

RATE = 16000
ROOM = (6.0, 4.0, 3.0)  # x front, y left, z up; listener at the centre
IMPULSE = np.r_[1.0, np.zeros(15)].astype(np.float32)


def test_image_sources_sit_at_the_mirrored_path_lengths():
    images = image_paths(ROOM, 0.5, SourcePath.static(0.0, 0.0, 1.0))  # source 1 m ahead: (1, 0, 0)
    lengths = sorted(float(p.distance[0]) for p, _ in images)
    # walls at x = ±3, y = ±2, z = ±1.5: images at (5,0,0), (-7,0,0), (1,±4,0), (1,0,±3)
    assert lengths == pytest.approx(sorted([5.0, 7.0, np.sqrt(17), np.sqrt(17), np.sqrt(10), np.sqrt(10)]))
    front = next(p for p, _ in images if p.distance[0] == pytest.approx(5.0))
    assert front.azimuth[0] == pytest.approx(0.0) and front.elevation[0] == pytest.approx(0.0)
    ceiling = next(p for p, _ in images if p.elevation[0] > 0)
    assert ceiling.elevation[0] == pytest.approx(np.degrees(np.arctan2(3.0, 1.0)))


def test_image_arrives_after_its_path_length_over_c():
    for path, _ in image_paths(ROOM, 0.5, SourcePath.static(0.0, 0.0, 1.0)):
        arrival = np.argmax(propagate(IMPULSE, RATE, path, 1.0))
        assert arrival == round(path.distance[0] / SPEED_OF_SOUND * RATE)


def test_reflection_gain_follows_sabine():
    rt60 = 0.5
    volume, surface = 6 * 4 * 3, 2 * (6 * 4 + 6 * 3 + 4 * 3)
    absorption = 0.161 * volume / (surface * rt60)
    assert all(g == pytest.approx(np.sqrt(1 - absorption)) for _, g in image_paths(ROOM, rt60, SourcePath.static(0.0)))


def test_moving_source_gives_moving_images():
    path = SourcePath.from_keys([0.0, 2.0], [90.0, -90.0], [0.0, 0.0], [1.0, 1.0])
    images = image_paths(ROOM, 0.5, path)
    assert len(images) == 6 and all(np.array_equal(p.times, path.times) for p, _ in images)


def energy_decay_time(ir: np.ndarray, sample_rate: int) -> float:
    """RT60 (s) from a line fit of Schroeder's backward-integrated energy between -5 and -35 dB."""
    start = np.argmax(np.abs(ir) > 0)
    energy = np.cumsum((ir[start:].astype(np.float64) ** 2)[::-1])[::-1]
    energy = energy[energy > 0]
    decay = 10 * np.log10(energy / energy[0])
    fit = (decay <= -5) & (decay >= -35)
    slope = np.polyfit(np.flatnonzero(fit) / sample_rate, decay[fit], 1)[0]
    return -60.0 / slope


@pytest.mark.parametrize("rt60", [0.4, 1.0])
def test_late_tail_decays_60_db_in_rt60(rt60):
    binaural, foa = late_reverb(IMPULSE, RATE, ROOM, rt60, np.random.default_rng(0))
    assert energy_decay_time(foa[0], RATE) == pytest.approx(rt60, rel=0.15)
    assert energy_decay_time(binaural[0], RATE) == pytest.approx(rt60, rel=0.15)


def test_late_tail_level_matches_the_critical_distance():
    rt60 = 0.6
    critical = 0.057 * np.sqrt(6 * 4 * 3 / rt60)
    _, foa = late_reverb(IMPULSE, RATE, ROOM, rt60, np.random.default_rng(1), reference_distance=1.5)
    energies = np.sum(foa.astype(np.float64) ** 2, axis=1)
    assert energies[0] == pytest.approx((1.5 / critical) ** 2, rel=1e-3)  # direct at 1 m has energy 1.5²
    assert energies[1:] == pytest.approx(np.full(3, energies[0] / 3), rel=1e-3)
    channels = foa[:, np.abs(foa[0]) > 0]
    assert np.abs(np.corrcoef(channels)[np.triu_indices(4, 1)]).max() < 0.1


def test_late_tail_starts_after_the_first_reflections():
    _, foa = late_reverb(IMPULSE, RATE, ROOM, 0.5, np.random.default_rng(2))
    onset = int(6.0 / SPEED_OF_SOUND * RATE) - 1
    assert np.abs(foa[:, :onset]).max() < 1e-6 * np.abs(foa).max()


def test_late_tail_is_deterministic_per_seed():
    a = late_reverb(IMPULSE, RATE, ROOM, 0.5, np.random.default_rng(7))[1]
    assert np.array_equal(a, late_reverb(IMPULSE, RATE, ROOM, 0.5, np.random.default_rng(7))[1])
    assert not np.allclose(a, late_reverb(IMPULSE, RATE, ROOM, 0.5, np.random.default_rng(8))[1])


@pytest.mark.parametrize("dimensions, rt60", [((6.0, 4.0), 0.5), ((6.0, -1.0, 3.0), 0.5), (ROOM, 0.0)])
def test_invalid_room_is_refused(dimensions, rt60):
    with pytest.raises(RendererError):
        image_paths(dimensions, rt60, SourcePath.static(0.0))
