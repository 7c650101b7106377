"""Audio at the boundaries: resampling, atomic WAV I/O, and ITU-R BS.1770-4 loudness.

Arrays are float32, shape (channels, samples) (a mono clip may be 1-D).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

SPEED_OF_SOUND = 343.0  # m/s at 20 °C


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample along the last axis (soxr, high quality); returns float32."""
    audio = np.asarray(audio, dtype=np.float32)
    if rate_in == rate_out:
        return audio
    if audio.ndim == 1:
        return soxr.resample(audio, rate_in, rate_out, quality="HQ").astype(np.float32)
    flat = audio.reshape(-1, audio.shape[-1])
    out = soxr.resample(np.ascontiguousarray(flat.T), rate_in, rate_out, quality="HQ").T
    return np.ascontiguousarray(out, dtype=np.float32).reshape(*audio.shape[:-1], -1)


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Trim or zero-pad the last axis to exactly `length` samples."""
    if audio.shape[-1] >= length:
        return audio[..., :length]
    pad = [(0, 0)] * (audio.ndim - 1) + [(0, length - audio.shape[-1])]
    return np.pad(audio, pad)


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int, subtype: str = "FLOAT") -> Path:
    """Write (channels, samples) to `path` atomically: a temporary file beside it, then a rename."""
    path = Path(path)
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None]
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        sf.write(tmp, audio.T, sample_rate, subtype=subtype, format="WAV")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file (UTF-8) atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write a file atomically: a temporary file beside it, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Read any soundfile-readable file as float32 (channels, samples) and its rate in Hz."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), int(rate)


SUBNORMAL_GUARD = 1e-20


def _k_weighting(sample_rate: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """BS.1770 pre-filter (high shelf) and RLB high-pass, designed for any rate by the bilinear transform."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sample_rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = (np.array([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]),
             np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]))
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sample_rate)
    a0 = 1 + k / q + k * k
    highpass = (np.array([1.0, -2.0, 1.0]), np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]))
    return shelf, highpass


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4: K-weighting, 400 ms blocks, absolute and relative gates).

    Channels are summed with weight 1 (left, right, or any FOA channel set you pass). Returns -inf
    for silence or a signal shorter than one block.
    """
    from scipy.signal import lfilter  # here, not at the top: importing scipy.signal takes over a second, and only loudness needs it

    audio = np.atleast_2d(np.asarray(audio, dtype=np.float64))
    # a -400 dBFS tone at half the sample rate keeps the filters' state out of subnormal floats, which
    # made silent stretches about 4x slower to filter; its power is 1e-40, far below the -70 LUFS gate
    guard = SUBNORMAL_GUARD * (1.0 - 2.0 * (np.arange(audio.shape[-1]) % 2))
    (b1, a1), (b2, a2) = _k_weighting(sample_rate)
    weighted = lfilter(b2, a2, lfilter(b1, a1, audio + guard, axis=-1), axis=-1)
    block, hop = int(round(0.4 * sample_rate)), int(round(0.1 * sample_rate))
    if weighted.shape[-1] < block:
        return float("-inf")
    starts = np.arange(0, weighted.shape[-1] - block + 1, hop)
    cumulative = np.concatenate([np.zeros((weighted.shape[0], 1)), np.cumsum(weighted**2, axis=-1)], axis=-1)
    power = ((cumulative[:, starts + block] - cumulative[:, starts]) / block).sum(axis=0)
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(power)
    gated = power[loudness > -70.0]
    if gated.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    gated = power[(loudness > -70.0) & (loudness > relative)]
    return float(-0.691 + 10 * np.log10(gated.mean()))
