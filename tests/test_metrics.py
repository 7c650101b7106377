"""Spatial metrics against hand-made signals with known answers."""

import numpy as np
import pytest

from cascade.metrics import circular_error, foa_doa, ild, itd, woodworth_itd

RATE = 48000
NOISE = np.random.default_rng(8).standard_normal(RATE // 2)


def delayed(signal: np.ndarray, samples: float) -> np.ndarray:
    """`signal` delayed by a fractional number of samples (exact band-limited shift)."""
    spectrum = np.fft.rfft(signal, 2 * signal.size)
    shift = np.exp(-2j * np.pi * np.fft.rfftfreq(2 * signal.size) * samples)
    return np.fft.irfft(spectrum * shift, 2 * signal.size)[: signal.size]


def test_woodworth_at_the_side_and_ahead():
    assert woodworth_itd(90.0) == pytest.approx(656e-6, rel=0.002)  # the textbook 0.656 ms for an 8.75 cm head
    assert woodworth_itd(-90.0) == pytest.approx(-656e-6, rel=0.002)
    assert woodworth_itd(0.0) == pytest.approx(0.0, abs=1e-12)
    assert woodworth_itd(150.0) == pytest.approx(woodworth_itd(30.0))  # cone of confusion


@pytest.mark.parametrize("samples", [12.0, -7.0, 3.4, -20.75])
def test_itd_finds_a_known_shift_positive_when_left_leads(samples):
    # right = left delayed by `samples`: for samples > 0 the left ear leads
    pair = np.stack([NOISE, delayed(NOISE, samples)])
    assert itd(pair, RATE) == pytest.approx(samples / RATE, abs=0.05 / RATE)


def test_ild_is_left_over_right_in_db():
    assert ild(np.stack([NOISE, 0.5 * NOISE])) == pytest.approx(20 * np.log10(2))
    assert ild(np.stack([0.1 * NOISE, NOISE])) == pytest.approx(-20.0)


@pytest.mark.parametrize("azimuth, elevation", [(0.0, 0.0), (90.0, 0.0), (-135.0, 30.0), (180.0, -60.0)])
def test_doa_of_a_hand_encoded_plane_wave(azimuth, elevation):
    a, e = np.radians(azimuth), np.radians(elevation)
    foa = np.stack([NOISE, NOISE * np.sin(a) * np.cos(e), NOISE * np.sin(e), NOISE * np.cos(a) * np.cos(e)])
    found_az, found_el = foa_doa(foa)
    assert circular_error(found_az, azimuth) < 1e-6 and found_el == pytest.approx(elevation)


def test_circular_error_wraps():
    assert circular_error(170.0, -170.0) == pytest.approx(20.0)
    assert circular_error(0.0, 180.0) == pytest.approx(180.0)
    assert circular_error(np.array([-90.0, 45.0]), np.array([270.0, 44.0])) == pytest.approx([0.0, 1.0])
