"""Audio at the boundaries: resampling, reading, checking, and ITU-R BS.1770-4 loudness.

Arrays are float32, shape (channels, samples) (a mono clip may be 1-D).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from cascade.dsp import convolve, impulse_response


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


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Read any soundfile-readable file as float32 (channels, samples) and its rate in Hz."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), int(rate)


def audio_fault(audio: np.ndarray, length: int | None = None, mono: bool = False) -> str | None:
    """Why `audio` is not usable float32 audio (1-D when `mono`, `length` samples when given, every sample
    finite), or None when it is. The one check for clips read from caches, libraries and models."""
    if not isinstance(audio, np.ndarray) or audio.dtype != np.float32:
        return f"it is {getattr(audio, 'dtype', type(audio).__name__)}, not float32 audio"
    if mono and audio.ndim != 1:
        return f"it has shape {audio.shape}, not a mono clip"
    if audio.shape[-1] == 0 or (length is not None and audio.shape[-1] != length):
        return f"it holds {audio.shape[-1]} samples, not {length}" if length is not None else "it holds no samples"
    bad = int(np.count_nonzero(~np.isfinite(audio)))
    if bad:
        return f"it holds {bad} NaN or infinite sample{'s' if bad > 1 else ''}"
    return None


K_WEIGHTING_SECONDS = 0.1  # the K-weighting filters' impulse response has decayed by 200 dB after this
LOUDNESS_CHUNK_HOPS = 100  # 10 s of audio filtered at a time


@lru_cache(maxsize=8)
def k_weighting(sample_rate: int) -> np.ndarray:
    """BS.1770 K-weighting (pre-filter high shelf, then the RLB high-pass) as an FIR of K_WEIGHTING_SECONDS, float64.

    Both biquads are designed for any rate by the bilinear transform, with the constants of BS.1770-4.
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sample_rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = np.array([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0])
    shelf_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sample_rate)
    a0 = 1 + k / q + k * k
    high_b, high_a = np.array([1.0, -2.0, 1.0]), np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return impulse_response(np.convolve(shelf_b, high_b), np.convolve(shelf_a, high_a), int(K_WEIGHTING_SECONDS * sample_rate))


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4: K-weighting, 400 ms blocks, absolute and relative gates).

    Channels are summed with weight 1 (left, right, or any FOA channel set you pass). Returns -inf
    for silence or a signal shorter than one block.
    """
    audio = np.atleast_2d(audio)
    hop = int(round(0.1 * sample_rate))
    block = 4 * hop  # 400 ms gating blocks, 75 % overlap
    if audio.shape[-1] < block:
        return float("-inf")
    fir = k_weighting(sample_rate)
    count = audio.shape[-1] // hop
    energy = np.zeros(count)  # K-weighted energy of every 100 ms hop, summed over channels
    step = LOUDNESS_CHUNK_HOPS * hop  # filtered a chunk at a time, so memory does not grow with the length
    for start in range(0, count * hop, step):
        stop = min(start + step, count * hop)
        lead = min(start, fir.size - 1)
        piece = np.asarray(audio[:, start - lead : stop], dtype=np.float64)
        weighted = convolve(piece, fir)[:, lead : lead + stop - start]
        energy[start // hop : stop // hop] = (weighted**2).reshape(weighted.shape[0], -1, hop).sum(axis=(0, 2))
    power = np.convolve(energy, np.ones(4), mode="valid") / block
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(power)
    gated = power[loudness > -70.0]
    if gated.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    gated = power[(loudness > -70.0) & (loudness > relative)]
    return float(-0.691 + 10 * np.log10(gated.mean()))
