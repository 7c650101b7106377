"""Audio boundary: BS.1770 loudness against EBU Tech 3341 definitions, resampling, atomic writes."""

import numpy as np
import pytest

from cascade.audio import fit_length, integrated_loudness, resample


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
def test_stereo_sine_at_minus_23_dbfs_reads_minus_23_lufs(rate):
    # EBU Tech 3341, test 1: 1 kHz sine at -23 dBFS in both channels of a stereo signal -> -23.0 LUFS.
    t = np.arange(rate * 5) / rate
    tone = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
    assert integrated_loudness(np.stack([tone, tone]), rate) == pytest.approx(-23.0, abs=0.1)


def test_relative_gate_ignores_quiet_passage():
    # EBU Tech 3341, test 3 shape: -36 dBFS for 10 s then -23 dBFS for 60 s ... here 10 s @ -36, 20 s @ -23: the
    # quiet part lies >10 LU under the loud one, so the relative gate removes it and the result is -23 LUFS.
    rate = 48000
    quiet, loud = (10 ** (-36 / 20), 10 ** (-23 / 20))
    t = np.arange(rate * 30) / rate
    amplitude = np.where(t < 10, quiet, loud)
    tone = amplitude * np.sin(2 * np.pi * 1000 * t)
    assert integrated_loudness(np.stack([tone, tone]), rate) == pytest.approx(-23.0, abs=0.1)


def test_loudness_of_silence_is_minus_infinity():
    assert integrated_loudness(np.zeros((2, 48000)), 48000) == float("-inf")


def test_resample_keeps_frequency_and_length():
    rate_in, rate_out = 44100, 16000
    t = np.arange(rate_in) / rate_in
    out = resample(np.stack([np.sin(2 * np.pi * 440 * t)] * 2).astype(np.float32), rate_in, rate_out)
    assert out.shape == (2, rate_out) and out.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(out[0]))
    assert np.argmax(spectrum) * rate_out / out.shape[-1] == pytest.approx(440, abs=1)


def test_fit_length_trims_and_pads():
    x = np.ones((2, 10))
    assert fit_length(x, 4).shape == (2, 4)
    padded = fit_length(x, 12)
    assert padded.shape == (2, 12) and padded[:, 10:].sum() == 0


