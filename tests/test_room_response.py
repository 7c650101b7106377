"""A room's response to a source: causality, early energy against pyroomacoustics, the tail's level and onset."""

import numpy as np
import pytest

from cascade.geometry import SPEED_OF_SOUND, to_cartesian
from renderers import Renderer
from renderers.foa import FoaBinauralRenderer, encode
from renderers.hrtf import HrtfRenderer
from renderers.path import SourcePath
from renderers.room import AIR, WALL_MARGIN, Shoebox
from renderers.room_response import images_and_onset
from renderers.spatialise import reverberate, spatialise

RATE = 16000
IMPULSE = np.ones(1, np.float32)


@pytest.fixture(scope="module")
def renderer() -> HrtfRenderer:
    return HrtfRenderer()


def first_sound(signal: np.ndarray) -> int:
    """Index of the first non-zero sample in any row."""
    return int(np.flatnonzero(np.any(signal != 0, axis=0))[0])


def test_nothing_of_a_source_arrives_before_its_direct_sound(renderer):
    rng = np.random.default_rng(2024)
    for _ in range(30):
        dimensions = rng.uniform(1.5, 25.0, 3)
        listener = rng.uniform(0.1, dimensions - 0.1)
        azimuth, elevation = rng.uniform(-180, 180), np.degrees(np.arcsin(rng.uniform(-1, 1)))
        distance = float(np.exp(rng.uniform(np.log(0.2), np.log(60.0))))  # often beyond the walls
        room = Shoebox.build(tuple(dimensions), float(rng.uniform(0.2, 1.0)), listener=tuple(listener))
        path = SourcePath.static(azimuth, elevation, distance)
        wet = reverberate(IMPULSE, RATE, path, renderer, room, np.random.default_rng(0))
        direct_w = first_sound(encode(IMPULSE, RATE, path, renderer.reference_distance))
        direct_ears = first_sound(renderer.render(IMPULSE, RATE, path))
        assert first_sound(wet[2:]) >= direct_w and first_sound(wet[:2]) >= direct_ears, (dimensions, listener, path)


def test_thunder_far_beyond_a_bathroom_comes_after_its_direct_sound(renderer):
    room = Shoebox.build((2.4, 2.0, 2.5), 0.8)
    path = SourcePath.static(30.0, 10.0, 25.0)
    wet = reverberate(IMPULSE, RATE, path, renderer, room, np.random.default_rng(0))
    assert first_sound(wet[2:]) >= first_sound(encode(IMPULSE, RATE, path, renderer.reference_distance))
    first_reflection = (25.0 + 2 * WALL_MARGIN) / SPEED_OF_SOUND  # off the wall the thunder came through, just inside it
    assert first_sound(wet[2:]) == pytest.approx(first_reflection * RATE - 7, abs=1)


def test_the_tail_starts_after_the_mixing_time_and_every_first_order_reflection():
    room = Shoebox.build((20.0, 30.0, 10.0), 2.0)
    offset = to_cartesian(30.0, 0.0, 5.0)
    early, later, onset, _ = images_and_onset(room, offset)
    assert onset >= 5.0 + room.mixing_time() * SPEED_OF_SOUND
    assert np.all(early.paths <= onset) and np.all(later.paths > onset)
    assert np.sum(early.orders == 1) == 6


def test_early_energy_matches_pyroomacoustics_in_10_ms_windows(renderer):
    pra = pytest.importorskip("pyroomacoustics")
    rate = 44100  # pyroomacoustics' octave filters are built for full-band rates
    dimensions, distance = (6.0, 8.0, 3.0), 2.0
    room = Shoebox.build(dimensions, 0.6, listener=(2.7, 3.6, 1.4))
    offset = to_cartesian(30.0, 10.0, distance)
    ours = reverberate(IMPULSE, rate, SourcePath.static(30.0, 10.0, distance), renderer, room, np.random.default_rng(0))[2]
    ours = ours.astype(np.float64) * distance / renderer.reference_distance  # direct sound of amplitude 1
    material = pra.Material({"coeffs": list(room.absorption[0, :7]), "center_freqs": [125, 250, 500, 1000, 2000, 4000, 8000]})

    def simulate(order: int) -> np.ndarray:
        model = pra.ShoeBox(list(dimensions), fs=rate, materials=material, max_order=order, air_absorption=True)
        model.set_air_absorption(list(AIR[:7]))
        model.add_source(list(room.listener + offset))
        model.add_microphone(list(room.listener))
        model.compute_rir()
        return np.asarray(model.rir[0][0], dtype=np.float64)

    full, direct = simulate(30), simulate(0)
    size = max(full.size, direct.size)
    full, direct = (np.pad(x, (0, size - x.size)) for x in (full, direct))
    lead = pra.constants.get("frac_delay_length") // 2
    reference = (full - direct)[lead:] / np.sqrt(np.sum(direct**2))
    arrival = distance / SPEED_OF_SOUND
    for window in range(8):
        lo, hi = (int(round((arrival + t) * rate)) for t in (0.01 * window, 0.01 * (window + 1)))
        difference = 10 * np.log10(np.sum(ours[lo:hi] ** 2) / np.sum(reference[lo:hi] ** 2))
        assert abs(difference) < 2.0, (window, difference)


def test_tail_level_follows_statistical_room_acoustics(renderer):
    # diffuse-field energy density after the direct sound: 4π c r_ref² / V per second, decaying 60 dB per RT60 (Kuttruff ch. 5)
    dimensions, rt60 = (9.0, 7.0, 3.2), 0.8
    room = Shoebox.build(dimensions, rt60, listener=(3.1, 2.6, 1.35))  # no mirror symmetry: images arrive one by one
    wet = reverberate(IMPULSE, RATE, SourcePath.static(37.0, 12.0, 2.0), renderer, room, np.random.default_rng(1))[2]
    start, stop = 0.08, 0.2
    measured = np.sum(wet[int(start * RATE) : int(stop * RATE)].astype(np.float64) ** 2)
    decay = 6 * np.log(10) / rt60
    expected = 4 * np.pi * SPEED_OF_SOUND * renderer.reference_distance**2 / np.prod(dimensions) * (np.exp(-decay * start) - np.exp(-decay * stop)) / decay
    assert 10 * np.log10(measured / expected) == pytest.approx(0.0, abs=1.5)


def test_the_ambix_file_does_not_depend_on_the_binaural_renderer(renderer):
    room = Shoebox.build((6.0, 4.0, 3.0), 0.5)
    path = SourcePath.static(60.0, 0.0, 1.5)
    noise = np.random.default_rng(5).standard_normal(RATE // 4).astype(np.float32)
    _, with_hrtf = spatialise(noise, RATE, path, renderer, room, seed=3)
    _, with_foa = spatialise(noise, RATE, path, FoaBinauralRenderer(), room, seed=3)
    assert np.allclose(with_hrtf, with_foa, atol=1e-6)


def test_a_moving_source_is_followed_by_its_reflections(renderer):
    room = Shoebox.build((10.0, 10.0, 4.0), 0.4)
    path = SourcePath.from_keys([0.0, 2.0], [0.0, 0.0], [0.0, 0.0], [1.0, 4.0])
    clicks = np.zeros(2 * RATE + 1, np.float32)
    clicks[[0, 2 * RATE]] = 1.0  # one as the source leaves 1 m, one when it has reached 4 m
    wet = reverberate(clicks, RATE, path, renderer, room, np.random.default_rng(0))[2:, 2 * RATE :]
    far = reverberate(IMPULSE, RATE, SourcePath.static(0.0, 0.0, 4.0), renderer, room, np.random.default_rng(0))[2:]
    onset = int(images_and_onset(room, to_cartesian(0.0, 0.0, 4.0))[2] / SPEED_OF_SOUND * RATE)
    assert np.allclose(wet[:, :onset], far[:, :onset], atol=1e-6 * np.abs(far).max())
    tail_energy = [np.sum(x[:, onset : far.shape[-1]].astype(np.float64) ** 2) for x in (wet, far)]
    assert 10 * np.log10(tail_energy[0] / tail_energy[1]) == pytest.approx(0.0, abs=1.0)


def test_a_renderer_without_hrirs_renders_the_reflections_through_itself(renderer):
    class Opaque(Renderer):  # the hrtf renderer, seen from outside: no HRIR set to interpolate
        name = "opaque"
        reference_distance = renderer.reference_distance

        def render(self, mono, sample_rate, path):
            return renderer.render(mono, sample_rate, path)

    room = Shoebox.build((5.0, 4.0, 2.7), 0.5, listener=(2.2, 1.7, 1.3))
    path = SourcePath.static(40.0, 5.0, 1.5)
    through_hrirs = reverberate(IMPULSE, RATE, path, renderer, room, np.random.default_rng(0))
    through_renders = reverberate(IMPULSE, RATE, path, Opaque(), room, np.random.default_rng(0))
    assert np.abs(through_hrirs[2:] - through_renders[2:]).max() < 1e-6 * np.abs(through_hrirs[2:]).max()
    assert first_sound(through_renders[:2]) == pytest.approx(first_sound(through_hrirs[:2]), abs=0.002 * RATE)
    energy = [np.sum(x[:2].astype(np.float64) ** 2) for x in (through_hrirs, through_renders)]
    assert 10 * np.log10(energy[1] / energy[0]) == pytest.approx(0.0, abs=1.0)
