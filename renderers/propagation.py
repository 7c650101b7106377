"""What every renderer shares about distance: the 1/r gain and the travel time, Doppler included.

A source at distance r (m) reaches the listener r / c seconds later with gain
reference_distance / max(r, MIN_DISTANCE). For a moving source the delay follows the emission
time of every output sample, read from the input with 6-point Lagrange interpolation.
"""

from __future__ import annotations

import numpy as np

from cascade.dsp import convolve
from cascade.geometry import SPEED_OF_SOUND
from renderers.path import SourcePath

MIN_DISTANCE = 0.2  # m; closer sources are not louder
LAGRANGE_POINTS = 6


def distance_gain(distance: np.ndarray | float, reference_distance: float) -> np.ndarray:
    """Amplitude gain reference_distance / max(r, 0.2 m)."""
    return reference_distance / np.maximum(np.asarray(distance, dtype=np.float64), MIN_DISTANCE)


def emission_times(path: SourcePath, times: np.ndarray) -> np.ndarray:
    """Time (s) at which the sound heard at `times` (s) left the source: t - r(emission) / c.

    Exact for the piecewise-linear distance of a `SourcePath` (arrival time is piecewise linear too).
    """
    times = np.asarray(times, dtype=np.float64)
    if not path.moves:
        return times - path.distance[0] / SPEED_OF_SOUND
    grid = np.append(path.times, max(path.times[-1], times.max(initial=0.0)) + 1.0)
    arrivals = grid + path.at(grid)[2] / SPEED_OF_SOUND
    delays = np.interp(times, arrivals, arrivals - grid)
    return times - delays


def _lagrange_weights(fraction: np.ndarray) -> np.ndarray:
    """(6, len(fraction)) float32 weights for the samples at offsets -2..3 from floor(position)."""
    offsets = np.arange(LAGRANGE_POINTS) - (LAGRANGE_POINTS // 2 - 1)
    differences = np.asarray(fraction, dtype=np.float32)[None, :] - offsets[:, None].astype(np.float32)
    before = np.ones_like(differences)
    after = np.ones_like(differences)
    for j in range(1, LAGRANGE_POINTS):
        before[j] = before[j - 1] * differences[j - 1]
        after[-j - 1] = after[-j] * differences[-j]
    denominators = np.array([np.prod([oj - om for om in offsets if om != oj]) for oj in offsets], dtype=np.float32)
    return before * after / denominators[:, None]


def propagated_length(samples: int, path: SourcePath, sample_rate: int) -> int:
    """Samples of `samples` of input after the longest travel time along `path`."""
    return samples + int(np.ceil(float(path.distance.max()) / SPEED_OF_SOUND * sample_rate))


def static_delay(path: SourcePath, sample_rate: int, reference_distance: float) -> tuple[int, np.ndarray]:
    """(first output sample, float32 FIR taps) of a static path's delay r / c and gain: convolve with the
    taps and place the result from the first sample on (a fractional delay is 6-point Lagrange)."""
    delay = path.distance[0] / SPEED_OF_SOUND * sample_rate
    whole = int(np.floor(delay))
    fraction = delay - whole
    gain = np.float32(distance_gain(path.distance[0], reference_distance))
    if fraction < 1e-9:
        return whole, np.array([gain], dtype=np.float32)
    return whole - (LAGRANGE_POINTS // 2 - 1), _lagrange_weights(np.array([fraction]))[:, 0] * gain


def propagate(mono: np.ndarray, sample_rate: int, path: SourcePath, reference_distance: float) -> np.ndarray:
    """Delay by r / c and scale by 1/r (see `distance_gain`); float32 of `propagated_length` samples."""
    mono = np.asarray(mono, dtype=np.float32).reshape(-1)
    length = propagated_length(mono.size, path, sample_rate)
    if not path.moves:
        start, taps = static_delay(path, sample_rate, reference_distance)
        return place(mono * taps[0] if taps.size == 1 else convolve(mono, taps), start, length)
    times = np.arange(length) / sample_rate
    emitted = emission_times(path, times)
    position = emitted * sample_rate
    base = np.floor(position)
    weights = _lagrange_weights(position - base)
    margin = LAGRANGE_POINTS
    padded = np.concatenate([np.zeros(margin, np.float32), mono, np.zeros(margin, np.float32)])
    index = np.clip(base.astype(np.int64) + margin, 0, padded.size - LAGRANGE_POINTS)
    offsets = np.arange(LAGRANGE_POINTS) - (LAGRANGE_POINTS // 2 - 1)
    out = np.zeros(length, dtype=np.float32)
    for j, offset in enumerate(offsets):
        out += weights[j] * padded[np.clip(index + offset, 0, padded.size - 1)]
    inside = (position > -LAGRANGE_POINTS) & (position < mono.size + LAGRANGE_POINTS)
    gain = distance_gain(path.at(np.clip(emitted, 0.0, None))[2], reference_distance).astype(np.float32)
    return np.where(inside, out * gain, 0.0).astype(np.float32)


def place(signal: np.ndarray, start: int, length: int) -> np.ndarray:
    """float32 `signal` (..., n) written from sample `start` (may be negative) into zeros of (..., length)."""
    out = np.zeros(signal.shape[:-1] + (length,), dtype=np.float32)
    lo, hi = max(start, 0), min(start + signal.shape[-1], length)
    if hi > lo:
        out[..., lo:hi] = signal[..., lo - start : hi - start]
    return out
