"""The comparison's measurements against known answers: plane waves of known direction, onsets at known times, levels
of known signals, embeddings of known classes."""

import numpy as np
import pytest

from benchmarks.compare_metrics import level_db, level_error, prompt_matching, prompt_similarity, timing
from benchmarks.intensity import direction_errors, intensity_frames, window_direction
from benchmarks.onsets import onset

RATE = 16000


def plane_wave(signal: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
    """AmbiX (SN3D) of a plane wave from (azimuth, elevation) degrees, written out from the definition."""
    a, e = np.radians(azimuth), np.radians(elevation)
    return np.stack([signal, signal * np.sin(a) * np.cos(e), signal * np.sin(e), signal * np.cos(a) * np.cos(e)])


def noise(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * RATE))


@pytest.mark.parametrize(("azimuth", "elevation"), [(0.0, 0.0), (90.0, 0.0), (-135.0, 20.0), (179.0, -40.0), (30.0, 75.0)])
def test_intensity_direction_of_a_plane_wave_is_its_direction(azimuth, elevation):
    times, vectors = intensity_frames(plane_wave(noise(1.0, 1), azimuth, elevation), RATE)
    found = window_direction(times, vectors, 0.0, 1.0)
    assert found == pytest.approx((azimuth, elevation), abs=1e-6)


def test_each_window_sees_only_the_source_that_sounds_in_it():
    foa = np.zeros((4, 3 * RATE))
    foa[:, :RATE] = plane_wave(noise(1.0, 2), 60.0, 10.0)
    foa[:, 2 * RATE :] = plane_wave(noise(1.0, 3), -120.0, -20.0)
    times, vectors = intensity_frames(foa, RATE)
    assert window_direction(times, vectors, 0.05, 0.95) == pytest.approx((60.0, 10.0), abs=1e-6)
    assert window_direction(times, vectors, 2.05, 2.95) == pytest.approx((-120.0, -20.0), abs=1e-6)
    assert np.isnan(window_direction(times, vectors, 1.2, 1.8)[0]), "a silent window has no direction"


def test_two_uncorrelated_sources_pull_the_direction_by_their_energies():
    strong, weak = plane_wave(2.0 * noise(4.0, 4), 0.0, 0.0), plane_wave(noise(4.0, 5), 90.0, 0.0)
    times, vectors = intensity_frames(strong + weak, RATE)
    azimuth, elevation = window_direction(times, vectors, 0.0, 4.0)
    assert azimuth == pytest.approx(np.degrees(np.arctan2(1.0, 4.0)), abs=1.0), "energies 4 : 1 from 0 and 90 degrees"
    assert elevation == pytest.approx(0.0, abs=0.5)


def test_direction_errors_follow_the_definitions():
    errors = direction_errors(175.0, 10.0, -175.0, 40.0)
    assert errors["l1_azimuth"] == pytest.approx(np.radians(10.0)), "azimuth wraps round the back"
    assert errors["l1_elevation"] == pytest.approx(np.radians(30.0))
    assert direction_errors(0.0, 0.0, 90.0, 0.0)["spatial_angle"] == pytest.approx(np.pi / 2)
    assert direction_errors(-60.0, 90.0, 120.0, 90.0)["spatial_angle"] == pytest.approx(0.0, abs=1e-7), "the zenith has one direction"
    assert direction_errors(45.0, 0.0, -135.0, 0.0)["spatial_angle"] == pytest.approx(np.pi)


def test_onset_of_a_burst_after_silence_and_after_a_quiet_floor():
    at = 0.7318
    burst = np.zeros(2 * RATE)
    burst[int(at * RATE) :] = noise(2.0, 6)[: 2 * RATE - int(at * RATE)]
    assert onset(burst, RATE) == pytest.approx(at, abs=0.005)
    floor = burst + 10 ** (-45 / 20) * noise(2.0, 7)
    assert onset(floor, RATE) == pytest.approx(at, abs=0.005), "a floor 45 dB down is not the sound"


def test_onset_of_a_tone_with_a_slow_attack_is_the_foot_of_the_attack():
    at, ramp = 1.2, 0.02
    t = np.arange(3 * RATE) / RATE
    tone = np.sin(2 * np.pi * 440 * t) * np.clip((t - at) / ramp, 0.0, 1.0)
    assert onset(tone, RATE) == pytest.approx(at, abs=0.01)


def test_onset_at_the_very_start_and_of_silence():
    assert onset(noise(1.0, 8), RATE) == pytest.approx(0.0, abs=0.003)
    assert np.isnan(onset(np.zeros(RATE), RATE))


def _burst(at: float, seconds: float = 3.0, floor: float = 0.0) -> np.ndarray:
    """Noise from `at` seconds on, after silence (or a noise floor of amplitude `floor`)."""
    signal = floor * noise(seconds, 10)
    signal[int(at * RATE) :] = noise(seconds, 11)[: int(seconds * RATE) - int(at * RATE)]
    return signal


def test_an_onset_is_judged_after_a_lead_in_and_its_error_is_the_delay():
    on_time = timing(_burst(0.7), RATE, 0.7, 2.0)
    assert on_time["judged"] and on_time["detected"] and not on_time["stationary"]
    assert on_time["onset_error_s"] == pytest.approx(0.0, abs=0.005)
    late = timing(_burst(0.7), RATE, 0.5, 2.0)
    assert late["onset_error_s"] == pytest.approx(0.2, abs=0.005)
    early = timing(_burst(0.1), RATE, 0.1, 2.0)
    assert not early["judged"] and early["stationary"] is None and not early["detected"], "no lead-in: not judged"


def test_a_stationary_output_has_no_onset_error_and_is_flagged():
    always = timing(noise(3.0, 12), RATE, 1.5, 2.5)
    assert always["judged"] and always["stationary"] and not always["detected"] and np.isnan(always["onset_error_s"])
    quiet_floor = timing(_burst(1.5, floor=10 ** (-20 / 20)), RATE, 1.5, 2.5)
    assert not quiet_floor["stationary"] and quiet_floor["detected"], "a floor 20 dB down is a lead-in"
    assert not timing(np.zeros(3 * RATE), RATE, 1.0, 2.0)["detected"], "silence has no onset"


def test_level_of_a_full_scale_sine_and_level_error_without_a_common_offset():
    sine = np.sin(2 * np.pi * 1000 * np.arange(2 * RATE) / RATE)
    assert level_db(sine, RATE, 0.5, 1.5) == pytest.approx(-3.01, abs=0.01)
    gains = [0.0, -6.0, -12.0, -20.0]
    assert level_error([g + 3.0 for g in gains], gains) == pytest.approx(0.0), "a common offset is no error"
    assert level_error([3.0, -3.0, -9.0, -11.0], gains) == pytest.approx(6.0 / 4), "offsets 3, 3, 3, 9 about their median 3"


def test_prompt_matching_and_similarity_of_known_embeddings():
    rng = np.random.default_rng(13)
    classes = ["a", "b", "c"] * 4
    basis = {"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0], "c": [0.0, 0.0, 1.0]}
    apart = np.array([basis[c] for c in classes]) + 0.01 * rng.standard_normal((12, 3))
    matched = prompt_matching(apart, classes)
    assert matched == {"share": 1.0, "scored": 12, "chance": pytest.approx(1 / 3)}
    similar = prompt_similarity(np.array([basis[c] for c in classes]), classes)
    assert similar["across"] == pytest.approx(0.0) and similar["within"] == pytest.approx(1.0)
    collapsed = np.ones((12, 3))
    assert prompt_matching(collapsed, classes)["share"] == 0.0, "a tie is a miss: a model that ignores its prompt matches nothing"
    assert prompt_similarity(collapsed, classes)["across"] == pytest.approx(1.0)
    assert prompt_matching(apart[:3], classes[:3])["scored"] == 0, "no class with a second output: nothing to compare"
