"""Mixer: exact start samples, stem gains, loudness target per output, peak safety."""

import numpy as np
import pyloudnorm
import pytest

from cascade.mixer import PEAK_CEILING, Stem, mix, place

RATE = 48000


def _noise_stem(event_id, start, seconds, level=0.1, gain_db=0.0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    return Stem(event_id, start, (level * rng.standard_normal((2, n))).astype(np.float32),
                (level * rng.standard_normal((4, n))).astype(np.float32), gain_db)


def test_each_stem_starts_at_its_exact_sample():
    impulse = np.zeros((2, 10), np.float32)
    impulse[:, 0] = 1.0
    stems = [Stem("a", 0.5, impulse, np.zeros((4, 10), np.float32)), Stem("b", 1.2345, 0.5 * impulse, np.zeros((4, 10), np.float32))]
    binaural, _ = place(stems, RATE, 2 * RATE)
    assert list(np.flatnonzero(binaural[0])) == [24000, round(1.2345 * RATE)]


def test_gain_db_scales_the_stem():
    ones = np.ones((2, 100), np.float32)
    binaural, foa = place([Stem("a", 0.0, ones, np.ones((4, 100), np.float32), gain_db=-6.0)], RATE, 100)
    assert binaural[0, 50] == pytest.approx(10 ** (-6 / 20)) and foa[3, 50] == pytest.approx(10 ** (-6 / 20))


def test_stem_running_past_the_end_is_cut():
    binaural, _ = place([_noise_stem("a", 0.9, 1.0)], RATE, RATE)
    assert binaural.shape == (2, RATE)


@pytest.mark.parametrize("target", [-23.0, -16.0])
def test_mix_meets_loudness_target_by_independent_meter(target):
    stems = [_noise_stem("a", 0.0, 4.0, 0.01), _noise_stem("b", 2.0, 4.0, 0.02, seed=1)]
    binaural, foa, report = mix(stems, RATE, 6 * RATE, target)
    meter = pyloudnorm.Meter(RATE)
    assert meter.integrated_loudness(binaural.T.astype(np.float64)) == pytest.approx(target, abs=0.5)
    w = foa[0].astype(np.float64)
    assert meter.integrated_loudness(np.stack([w, w], axis=1)) == pytest.approx(target, abs=0.5)  # W heard by both ears
    assert not report.peak_limited and report.binaural.gain_db > 0 and report.ambix.gain_db > 0


def test_loud_peaky_mix_is_held_below_full_scale_and_says_so():
    clicks = np.zeros((2, RATE * 3), np.float32)
    clicks[:, ::RATE // 2] = 1.0
    stems = [Stem("clicks", 0.0, clicks, np.zeros((4, RATE * 3), np.float32))]
    binaural, _, report = mix(stems, RATE, RATE * 3, -10.0)
    assert np.max(np.abs(binaural)) <= 10 ** (PEAK_CEILING / 20) + 1e-6
    assert report.peak_limited and "peak" in report.describe()


def test_ambix_is_levelled_by_its_own_loudness_and_stays_peak_safe():
    clicks = np.zeros((4, RATE * 3), np.float32)
    clicks[:, ::RATE // 2] = 1.0
    stems = [Stem("a", 0.0, (0.01 * np.random.default_rng(3).standard_normal((2, RATE * 3))).astype(np.float32), clicks)]
    _, foa, report = mix(stems, RATE, RATE * 3, -20.0)
    assert np.max(np.abs(foa)) <= 10 ** (PEAK_CEILING / 20) + 1e-6
    assert report.ambix.peak_limited and not report.binaural.peak_limited
    assert "AmbiX" in report.describe() and "held" in report.describe()


def test_ambix_output_does_not_depend_on_the_binaural_stem():
    rng = np.random.default_rng(4)
    foa = (0.05 * rng.standard_normal((4, RATE * 3))).astype(np.float32)
    quiet, loud = (Stem("a", 0.0, (level * rng.standard_normal((2, RATE * 3))).astype(np.float32), foa) for level in (0.001, 0.3))
    assert np.array_equal(mix([quiet], RATE, RATE * 3)[1], mix([loud], RATE, RATE * 3)[1])


def test_silence_passes_unchanged():
    silent = Stem("s", 0.0, np.zeros((2, RATE), np.float32), np.zeros((4, RATE), np.float32))
    binaural, _, report = mix([silent], RATE, RATE)
    assert not binaural.any() and report.binaural.gain_db == 0.0 and "silent" in report.describe()
