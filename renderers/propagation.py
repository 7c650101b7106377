"""What every renderer shares about distance: the 1/r gain and the travel time, Doppler included.

A source at distance r (m) reaches the listener r / c seconds later with gain
reference_distance / max(r, MIN_DISTANCE). Fractional delays are Kaiser-windowed sinc interpolation
over FRACTIONAL_TAPS samples, flat within 0.01 dB up to 0.36 of the sample rate (16 kHz at 44.1 kHz) for
every fraction, so the level of a source does not wobble with its distance. For a moving source the
delay follows the emission time of every output sample.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from cascade.dsp import convolve
from cascade.geometry import SPEED_OF_SOUND
from renderers.path import SourcePath

MIN_DISTANCE = 0.2  # m; closer sources are not louder
FRACTIONAL_TAPS = 16  # input samples -7..8 around a fractional position
KAISER_BETA = 6.5
TABLE_STEPS = 4096  # the kernel is tabulated at this many fractions (phase error below -70 dB at 0.36 fs)
BLOCK = 1 << 16  # moving sources are resampled this many output samples at a time
PATH_STEP = 0.001  # s between the samples of a moving source's distance that its travel time is interpolated from


def distance_gain(distance: np.ndarray | float, reference_distance: float) -> np.ndarray:
    """Amplitude gain reference_distance / max(r, 0.2 m)."""
    return reference_distance / np.maximum(np.asarray(distance, dtype=np.float64), MIN_DISTANCE)


def emission_times(path: SourcePath, times: np.ndarray) -> np.ndarray:
    """Time (s) at which the sound heard at `times` (s) left the source: t - r(emission) / c.

    The distance along a straight segment is sampled every PATH_STEP seconds (and at every key), where arrival time is
    linear to within micrometres of travel for any speed below that of sound.
    """
    times = np.asarray(times, dtype=np.float64)
    if not path.moves:
        return times - path.distance[0] / SPEED_OF_SOUND
    end = max(path.times[-1], times.max(initial=0.0)) + 1.0
    grid = np.union1d(path.times, np.append(np.arange(0.0, path.times[-1], PATH_STEP), end))
    arrivals = grid + path.at(grid)[2] / SPEED_OF_SOUND
    delays = np.interp(times, arrivals, arrivals - grid)
    return times - delays


OFFSETS = np.arange(FRACTIONAL_TAPS) - (FRACTIONAL_TAPS // 2 - 1)  # input sample offsets from floor(position)


def fractional_taps(fraction: np.ndarray | float) -> np.ndarray:
    """(..., FRACTIONAL_TAPS) float64 weights of the samples at OFFSETS for a delay of `fraction` in [0, 1] samples
    (a fraction of 0 gives the unit impulse)."""
    x = OFFSETS - np.asarray(fraction, dtype=np.float64)[..., None]
    window = np.i0(KAISER_BETA * np.sqrt(np.clip(1.0 - (x / (FRACTIONAL_TAPS / 2)) ** 2, 0.0, None))) / np.i0(KAISER_BETA)
    return np.sinc(x) * window


@lru_cache(maxsize=1)
def _table() -> np.ndarray:
    """(TABLE_STEPS + 1, FRACTIONAL_TAPS) float32 `fractional_taps` at fractions 0, 1 / TABLE_STEPS, ..., 1."""
    return fractional_taps(np.arange(TABLE_STEPS + 1) / TABLE_STEPS).astype(np.float32)


def delay_taps(delay: float) -> tuple[int, np.ndarray]:
    """(first sample, float32 taps) of a delay of `delay` samples: convolve with the taps, place from the first sample on."""
    whole = int(np.floor(delay))
    return whole + int(OFFSETS[0]), _table()[int(round((delay - whole) * TABLE_STEPS))]


def propagated_length(samples: int, path: SourcePath, sample_rate: int) -> int:
    """Samples of `samples` of input after the longest travel time along `path`."""
    return samples + int(np.ceil(float(path.distance.max()) / SPEED_OF_SOUND * sample_rate))


def static_delay(path: SourcePath, sample_rate: int, reference_distance: float) -> tuple[int, np.ndarray]:
    """(first output sample, float32 FIR taps) of a static path's delay r / c and gain (see `delay_taps`)."""
    start, taps = delay_taps(path.distance[0] / SPEED_OF_SOUND * sample_rate)
    return start, taps * np.float32(distance_gain(path.distance[0], reference_distance))


def propagate(mono: np.ndarray, sample_rate: int, path: SourcePath, reference_distance: float) -> np.ndarray:
    """Delay by r / c and scale by 1/r (see `distance_gain`); float32 of `propagated_length` samples."""
    mono = np.asarray(mono, dtype=np.float32).reshape(-1)
    length = propagated_length(mono.size, path, sample_rate)
    if not path.moves:
        start, taps = static_delay(path, sample_rate, reference_distance)
        return place(convolve(mono, taps), start, length)
    emitted = emission_times(path, np.arange(length) / sample_rate)
    position = emitted * sample_rate
    base = np.floor(position)
    rows = np.rint((position - base) * TABLE_STEPS).astype(np.int64)
    margin = FRACTIONAL_TAPS
    padded = np.concatenate([np.zeros(2 * margin, np.float32), mono, np.zeros(2 * margin, np.float32)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, FRACTIONAL_TAPS)
    first = np.clip(base.astype(np.int64) + 2 * margin + int(OFFSETS[0]), 0, windows.shape[0] - 1)
    table = _table()
    out = np.empty(length, dtype=np.float32)
    for lo in range(0, length, BLOCK):
        block = slice(lo, lo + BLOCK)
        out[block] = np.einsum("nk,nk->n", table[rows[block]], windows[first[block]])
    inside = (position > -FRACTIONAL_TAPS) & (position < mono.size + FRACTIONAL_TAPS)
    gain = distance_gain(path.at(np.clip(emitted, 0.0, None))[2], reference_distance).astype(np.float32)
    return np.where(inside, out * gain, 0.0).astype(np.float32)


def place(signal: np.ndarray, start: int, length: int) -> np.ndarray:
    """float32 `signal` (..., n) written from sample `start` (may be negative) into zeros of (..., length)."""
    out = np.zeros(signal.shape[:-1] + (length,), dtype=np.float32)
    lo, hi = max(start, 0), min(start + signal.shape[-1], length)
    if hi > lo:
        out[..., lo:hi] = signal[..., lo - start : hi - start]
    return out
