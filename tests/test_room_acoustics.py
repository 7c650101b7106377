"""The room benchmark's own measures against signals whose answer is known."""

import numpy as np
import pytest

from benchmarks.room_acoustics import RATE, band_iacc, t30

NOISE = np.random.default_rng(10).standard_normal((2, RATE))


@pytest.mark.parametrize("rt60", [0.3, 0.8])
def test_t30_of_exponentially_decaying_noise_is_its_rt60(rt60):
    decay = np.exp(-3 * np.log(10) * np.arange(RATE) / (rt60 * RATE))  # amplitude: -60 dB over rt60
    assert t30(NOISE[0] * decay) == pytest.approx(rt60, rel=0.03)


def test_iacc_is_one_for_identical_ears_and_small_for_independent_ones():
    same = np.stack([NOISE[0], NOISE[0]])
    assert band_iacc([same], 1000) == pytest.approx(1.0, abs=1e-6)
    assert band_iacc([NOISE], 1000) < 0.1


def test_iacc_finds_the_correlation_at_an_interaural_delay():
    delayed = np.stack([NOISE[0], np.roll(NOISE[0], int(0.0005 * RATE))])  # 0.5 ms: within the ±1 ms search
    assert band_iacc([delayed], 500) == pytest.approx(1.0, abs=0.02)
