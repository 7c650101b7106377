"""Diffuse ambience beds: uncorrelated AmbiX channels at diffuse-field energies, low interaural coherence above
the ear's low-frequency range, the clip's energy, and planners that choose a bed for ambience with no direction."""

from __future__ import annotations

import numpy as np
import pytest

import cascade
from renderers import get
from renderers.ambience import diffuse_bed, dodecahedron

RATE = 44100
NOISE = np.random.default_rng(4).standard_normal(2 * RATE).astype(np.float32) * 0.1


def _coherence(left: np.ndarray, right: np.ndarray, centre: float) -> float:
    spectra = np.fft.rfft(left), np.fft.rfft(right)
    frequency = np.fft.rfftfreq(left.size, 1 / RATE)
    band = (frequency > centre / 2**0.5) & (frequency < centre * 2**0.5)
    cross = np.sum(spectra[0][band] * np.conj(spectra[1][band]))
    return float(np.real(cross) / np.sqrt(np.sum(np.abs(spectra[0][band]) ** 2) * np.sum(np.abs(spectra[1][band]) ** 2)))


def test_the_design_is_twenty_unit_directions_with_no_preferred_one():
    azimuth, elevation = dodecahedron()
    x = np.cos(np.radians(azimuth)) * np.cos(np.radians(elevation))
    y = np.sin(np.radians(azimuth)) * np.cos(np.radians(elevation))
    z = np.sin(np.radians(elevation))
    assert azimuth.size == 20 and abs(x.sum()) + abs(y.sum()) + abs(z.sum()) < 1e-9
    assert np.allclose(np.cov(np.stack([x, y, z]), bias=True), np.eye(3) / 3, atol=1e-9)


@pytest.mark.parametrize("name", ["hrtf", "foa"])
def test_a_bed_is_a_diffuse_field_with_the_clips_energy(name):
    renderer = get(name)
    binaural, ambix = diffuse_bed(NOISE, RATE, renderer, renderer.reference_distance, seed=7)
    w, y, z, x = ambix.astype(np.float64)
    assert np.sum(w**2) == pytest.approx(np.sum(NOISE.astype(np.float64) ** 2), rel=0.05)
    for channel in (y, z, x):
        assert np.sum(channel**2) / np.sum(w**2) == pytest.approx(1 / 3, abs=0.05)
    correlations = np.corrcoef(np.stack([w, y, z, x]))
    assert np.abs(correlations[np.triu_indices(4, 1)]).max() < 0.1
    left, right = binaural.astype(np.float64)
    assert abs(10 * np.log10(np.sum(left**2) / np.sum(right**2))) < 1.0
    assert _coherence(left, right, 125) > 0.6  # at long wavelengths both ears hear the same pressure
    if name == "hrtf":  # a first-order decode cannot decorrelate the ears at high frequencies
        assert all(abs(_coherence(left, right, f)) < 0.35 for f in (2000, 4000, 8000))


def test_the_rule_planner_makes_undirected_ambience_a_bed():
    rain, thunder = cascade.plan_scene("rain for the whole scene while thunder rumbles far away").events
    assert rain.diffuse and not thunder.diffuse
    assert not cascade.plan_scene("rain falls on my left").events[0].diffuse


def test_a_diffuse_event_cannot_move():
    with pytest.raises(cascade.SceneError, match="diffuse"):
        cascade.Scene.from_dict({"events": [{"id": "rain", "description": "rain", "duration": 2, "diffuse": True,
                                             "trajectory": [{"time": 1, "position": {"azimuth": 90}}]}]})
