"""Diffuse late tail: level, decay per band, AmbiX diffuse-field balance, and interaural coherence of a real diffuse field."""

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from renderers.bands import CENTRES
from renderers.hrtf import HrtfRenderer
from renderers.late_reverb import TailShape, diffuse_tail
from renderers.path import SourcePath

RATE = 44100
BANDS = (250.0, 500.0, 1000.0, 2000.0, 4000.0)


@pytest.fixture(scope="module")
def renderer() -> HrtfRenderer:
    return HrtfRenderer()


def octave(signal: np.ndarray, centre: float) -> np.ndarray:
    """`signal` (..., n) through a 6th-order Butterworth octave band-pass around `centre` (IEC 61260 style)."""
    sos = butter(3, [centre / np.sqrt(2), centre * np.sqrt(2)], btype="bandpass", fs=RATE, output="sos")
    return sosfilt(sos, np.asarray(signal, dtype=np.float64), axis=-1)


def t30(signal: np.ndarray) -> float:
    """RT60 (s) from a line fitted to Schroeder's backward-integrated energy between -5 and -35 dB."""
    energy = np.cumsum((signal.astype(np.float64) ** 2)[::-1])[::-1]
    decay = 10 * np.log10(energy / energy[0])
    fit = (decay <= -5) & (decay >= -35)
    return -60.0 / np.polyfit(np.flatnonzero(fit) / RATE, decay[fit], 1)[0]


def iacc(binaural: np.ndarray, centre: float) -> float:
    """Peak |normalised cross-correlation| of the two ears in an octave band, within ±1 ms."""
    left, right = octave(binaural, centre)
    size = 2 * left.size
    cross = np.fft.irfft(np.fft.rfft(left, size) * np.conj(np.fft.rfft(right, size)), size)
    lags = int(1e-3 * RATE)
    window = np.concatenate([cross[-lags:], cross[: lags + 1]])
    return float(np.abs(window).max() / np.sqrt(np.sum(left**2) * np.sum(right**2)))


@pytest.fixture(scope="module")
def diffuse_field(renderer) -> tuple[np.ndarray, np.ndarray]:
    """(binaural, W) of 400 independent noises from directions spread evenly over the sphere (a Fibonacci lattice): a diffuse field."""
    count = 400
    index = np.arange(count) + 0.5
    elevation = np.degrees(np.arcsin(1 - 2 * index / count))
    azimuth = (np.degrees(np.pi * (1 + 5**0.5) * index) + 180) % 360 - 180
    rng = np.random.default_rng(11)
    total, w = np.zeros((2, RATE + 2000)), np.zeros(RATE)
    for az, el in zip(azimuth, elevation):
        noise = rng.standard_normal(RATE).astype(np.float32)
        ears = renderer.render(noise, RATE, SourcePath.static(az, el, renderer.reference_distance))
        total[:, : ears.shape[-1]] += ears
        w += noise
    return total[:, 2000:RATE] / np.sqrt(count), w[1000:] / np.sqrt(count)


def steady(level: float, rt60: float) -> TailShape:
    """W power `level` per sample at every frequency, one decay time throughout."""
    return TailShape(np.full(CENTRES.size, level), np.full(CENTRES.size, rt60), 0.0, np.full(CENTRES.size, rt60))


def test_w_starts_at_the_requested_power_and_decays_with_each_band_s_rt60(renderer):
    rt60 = np.array([1.2, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    shape = TailShape(np.full(CENTRES.size, 1e-3), rt60, 0.0, rt60)
    _, ambix = diffuse_tail(shape, int(1.3 * RATE), RATE, renderer.hrirs.at_rate(RATE), np.random.default_rng(1))
    start = ambix[0, int(0.002 * RATE) : int(0.012 * RATE)].astype(np.float64)
    assert np.mean(start**2) == pytest.approx(1e-3 * np.exp(-13.8 * 0.007 / 0.8), rel=0.25)
    for band in BANDS:
        assert t30(octave(ambix[0], band)) == pytest.approx(np.interp(band, CENTRES, rt60), rel=0.05)


def test_the_early_decay_turns_into_the_rt60_at_the_knee(renderer):
    shape = TailShape(np.full(CENTRES.size, 1e-3), np.full(CENTRES.size, 0.3), 0.1, np.full(CENTRES.size, 1.0))
    _, ambix = diffuse_tail(shape, RATE, RATE, renderer.hrirs.at_rate(RATE), np.random.default_rng(4))
    w = ambix[0].astype(np.float64)
    early, late = (10 * np.log10(np.mean(w[int(a * RATE) : int(b * RATE)] ** 2)) for a, b in ((0.01, 0.04), (0.06, 0.09)))
    assert early - late == pytest.approx(60 * 0.05 / 0.3, abs=0.5)  # 10 dB over 50 ms at 0.3 s per 60 dB
    assert t30(w[int(0.1 * RATE) :]) == pytest.approx(1.0, rel=0.05)


def test_ambix_tail_is_a_diffuse_field_in_sn3d(renderer):
    _, ambix = diffuse_tail(steady(1e-3, 1.0), RATE, RATE, renderer.hrirs.at_rate(RATE), np.random.default_rng(2))
    energy = np.sum(ambix.astype(np.float64) ** 2, axis=1)
    assert energy[1:] == pytest.approx(np.full(3, energy[0] / 3), rel=0.05)
    assert np.abs(np.corrcoef(ambix)[np.triu_indices(4, 1)]).max() < 0.05


@pytest.mark.parametrize("band", BANDS)
def test_binaural_tail_has_the_coherence_and_spectrum_of_a_diffuse_field_at_this_head(renderer, diffuse_field, band):
    binaural, ambix = diffuse_tail(steady(1e-3, 20.0), RATE, RATE, renderer.hrirs.at_rate(RATE), np.random.default_rng(3))
    field, w = diffuse_field
    assert iacc(binaural, band) == pytest.approx(iacc(field, band), abs=0.1)
    tail_ratio = np.mean(octave(binaural, band) ** 2) / np.mean(octave(ambix[0], band) ** 2)
    field_ratio = np.mean(octave(field, band) ** 2) / np.mean(octave(w, band) ** 2)
    assert 10 * np.log10(tail_ratio / field_ratio) == pytest.approx(0.0, abs=1.0)


def test_same_seed_same_tail(renderer):
    def tail(seed):
        return diffuse_tail(steady(1e-3, 0.5), RATE // 2, RATE, renderer.hrirs.at_rate(RATE), np.random.default_rng(seed))[1]
    assert np.array_equal(tail(7), tail(7)) and not np.allclose(tail(7), tail(8))
