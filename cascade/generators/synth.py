"""Shared DSP primitives of the procedural sound models: noise, envelopes, filters, event timing.

Pure functions over float64 arrays. Times and durations in seconds, frequencies in Hz, `sr` is the
sample rate in Hz, `n` a length in samples; randomness comes only from the `rng` passed in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.signal import butter, lfilter, sosfilt

from cascade.geometry import SPEED_OF_SOUND

_PINK_B = (0.049922035, -0.095993537, 0.050612699, -0.004408786)
_PINK_A = (1.0, -2.494956002, 2.017265875, -0.522189400)
_TABLE_SIZE = 4096
_DENORMAL_GUARD = 1e-20  # a floor added to IIR inputs so long decays never reach slow subnormal floats


# --- noise ---------------------------------------------------------------------------------------

def white(n: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian white noise, unit variance."""
    return rng.standard_normal(n)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink noise (-3 dB/octave), a 3-pole approximation of 1/f."""
    return lfilter(_PINK_B, _PINK_A, rng.standard_normal(n)) * 8.0


def brown(n: int, rng: np.random.Generator, sr: int, corner: float = 20.0) -> np.ndarray:
    """Brown noise (-6 dB/octave above `corner` Hz): white noise through a leaky integrator."""
    pole = np.exp(-2 * np.pi * corner / sr)
    return lfilter([1.0 - pole], [1.0, -pole], rng.standard_normal(n)) * np.sqrt(sr / (np.pi * corner))


def smooth_random(n: int, sr: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth random control signal in [0, 1]: random knots `rate` times a second, smoothstep-interpolated."""
    knots = rng.random(int(np.ceil(n / sr * rate)) + 2)
    position = np.arange(n) * (rate / sr)
    index = position.astype(int)
    frac = position - index
    frac = frac * frac * (3 - 2 * frac)
    return knots[index] + frac * (knots[index + 1] - knots[index])


# --- filters -------------------------------------------------------------------------------------

def bandpass(x: np.ndarray, low: float, high: float, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth band-pass between `low` and `high` Hz."""
    return sosfilt(butter(order, [low, min(high, 0.45 * sr)], "bandpass", fs=sr, output="sos"), x)


def lowpass(x: np.ndarray, cutoff: float, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth low-pass at `cutoff` Hz."""
    return sosfilt(butter(order, cutoff, "lowpass", fs=sr, output="sos"), x)


def highpass(x: np.ndarray, cutoff: float, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth high-pass at `cutoff` Hz."""
    return sosfilt(butter(order, cutoff, "highpass", fs=sr, output="sos"), x)


def modal(excitation: np.ndarray, sr: int, freqs: ArrayLike, taus: ArrayLike, amps: ArrayLike | None = None) -> np.ndarray:
    """Modal synthesis: each unit impulse of `excitation` rings every mode (Hz) as a sine decaying with time constant tau (s)."""
    excitation = excitation + _DENORMAL_GUARD
    out = np.zeros(len(excitation))
    modes = np.asarray(freqs, dtype=float)
    levels = np.ones(modes.size) if amps is None else np.asarray(amps, dtype=float)
    for freq, tau, amp in zip(modes, np.asarray(taus, dtype=float), levels):
        radius, angle = np.exp(-1.0 / (tau * sr)), 2 * np.pi * freq / sr
        out += lfilter([amp * np.sin(angle)], [1.0, -2 * radius * np.cos(angle), radius**2], excitation)
    return out


# --- oscillators ---------------------------------------------------------------------------------

def periodic(freq: np.ndarray | float, sr: int, amps: ArrayLike, n: int | None = None,
             phase: float = 0.0) -> np.ndarray:
    """A band-limited periodic wave: harmonic k has amplitude amps[k-1]; the fundamental follows `freq` (Hz, per sample).

    Harmonics that would pass the Nyquist frequency at the highest `freq` are dropped. A scalar
    `freq` needs `n`. `phase` is the starting phase in cycles.
    """
    freq = np.full(n, float(freq)) if np.ndim(freq) == 0 else np.asarray(freq, dtype=float)  # type: ignore[arg-type]
    levels = np.asarray(amps, dtype=float)[: _TABLE_SIZE // 2 - 1]
    levels = levels * (np.arange(1, len(levels) + 1) * freq.max() < sr / 2)
    spectrum = np.zeros(_TABLE_SIZE // 2 + 1, dtype=complex)
    spectrum[1 : len(levels) + 1] = -0.5j * _TABLE_SIZE * levels
    table = np.fft.irfft(spectrum, _TABLE_SIZE)
    table = np.append(table, table[0])
    position = (np.cumsum(freq) / sr + phase) % 1.0 * _TABLE_SIZE
    index = position.astype(int)
    return table[index] + (position - index) * (table[index + 1] - table[index])


def tone(freq: np.ndarray | float, sr: int, n: int | None = None, phase: float = 0.0) -> np.ndarray:
    """A sine following `freq` (Hz, per sample; a scalar needs `n`)."""
    return periodic(freq, sr, [1.0], n, phase)


def formant_amps(f0: float, formants: Sequence[tuple[float, float]], sr: int, tilt: float = 1.0,
                 max_harmonics: int = 200) -> np.ndarray:
    """Harmonic amplitudes of a pulse train at f0 Hz (source slope 1/k**tilt) shaped by (centre Hz, bandwidth Hz) resonances."""
    k = np.arange(1, min(max_harmonics, int(sr / 2 / f0)) + 1)
    f = k * f0
    response = sum(1.0 / np.sqrt((1 - (f / c) ** 2) ** 2 + (f * bw / c**2) ** 2) for c, bw in formants)
    return response / k**tilt


# --- envelopes and events ------------------------------------------------------------------------

def decays(n: int, sr: int, times: np.ndarray, amps: np.ndarray | float, tau: float, attack: float = 0.001) -> np.ndarray:
    """Sum of exponential decays (time constant `tau` s) starting at `times` s with peak about `amps`, each with a ~`attack` s onset."""
    decay_pole, attack_pole = np.exp(-1.0 / (tau * sr)), np.exp(-1.0 / (attack * sr))
    struck = lfilter([1.0], [1.0, -decay_pole], impulses(n, sr, times, amps) + _DENORMAL_GUARD)
    return lfilter([1.0 - attack_pole], [1.0, -attack_pole], struck)


def noise_bursts(noise: np.ndarray, sr: int, times: np.ndarray, amps: np.ndarray | float, tau: float,
                 attack: float = 0.0005) -> np.ndarray:
    """`noise` gated by decaying bursts (time constant `tau` s) at `times` s: claps, clicks, blasts."""
    return noise * decays(len(noise), sr, times, amps, tau, attack)


def overlap_add(n: int, starts: np.ndarray, grains: Sequence[np.ndarray]) -> np.ndarray:
    """Sum of `grains` placed at sample offsets `starts`, cut to `n` samples."""
    out = np.zeros(n)
    for start, grain in zip(np.asarray(starts, dtype=int), grains):
        if start < 0:
            grain, start = grain[-start:], 0
        out[start : start + len(grain)] += grain[: max(0, n - start)]
    return out


def impulses(n: int, sr: int, times: np.ndarray, amps: np.ndarray | float = 1.0) -> np.ndarray:
    """A train of impulses at `times` (s) with amplitudes `amps`."""
    index = np.round(np.asarray(times, dtype=float) * sr).astype(int)
    amps = np.broadcast_to(np.asarray(amps, dtype=float), index.shape)
    keep = (index >= 0) & (index < n)
    return np.bincount(index[keep], weights=amps[keep], minlength=n)


def gate(n: int, sr: int, starts: np.ndarray, lengths: np.ndarray, ramp: float = 0.01) -> np.ndarray:
    """1 inside the intervals [start, start + length) (s), 0 outside, with raised-cosine ramps of `ramp` s."""
    edge = (1 - np.cos(np.pi * np.arange(max(1, int(ramp * sr))) / max(1, int(ramp * sr)))) / 2
    boxes = [np.concatenate([edge, np.ones(max(0, int(length * sr) - 2 * len(edge))), edge[::-1]]) for length in lengths]
    return np.minimum(overlap_add(n, np.round(np.asarray(starts) * sr), boxes), 1.0)


def regular_times(duration: float, rate: float, rng: np.random.Generator, jitter: float = 0.0,
                  first: float | None = None) -> np.ndarray:
    """Event times at `rate` per second with Gaussian `jitter` (s), the first at `first` s (random within one period by default)."""
    start = rng.uniform(0.02, min(1.0 / rate, 0.3)) if first is None else first
    times = np.arange(start, duration, 1.0 / rate)
    return np.sort(np.clip(times + jitter * rng.standard_normal(len(times)), 0.0, None))


def poisson_times(duration: float, rate: float, rng: np.random.Generator, start: float = 0.0) -> np.ndarray:
    """Event times of a Poisson process of `rate` per second over [start, duration)."""
    count = rng.poisson(rate * max(duration - start, 0.0))
    return np.sort(rng.uniform(start, duration, count))


def grouped_times(duration: float, rng: np.random.Generator, size: tuple[int, int], spacing: tuple[float, float],
                  gap: tuple[float, float], first: tuple[float, float] = (0.02, 0.3)) -> tuple[np.ndarray, np.ndarray]:
    """Bursts of events: `size` events per group, `spacing` s apart, `gap` s of silence between groups.

    Returns (times in s, group index of each event). The first event falls within `first` s,
    scaled down for clips shorter than a second.
    """
    times, groups = [], []
    t = rng.uniform(*first) * min(1.0, duration)
    group = 0
    while t < duration:
        for _ in range(rng.integers(size[0], size[1] + 1)):
            if t >= duration:
                break
            times.append(t)
            groups.append(group)
            t += rng.uniform(*spacing)
        t += rng.uniform(*gap)
        group += 1
    return np.array(times), np.array(groups, dtype=int)


def pass_by(n: int, sr: int, speed: float, closest: float, t_closest: float) -> tuple[np.ndarray, np.ndarray]:
    """A source moving in a straight line at `speed` m/s, `closest` m from the listener at `t_closest` s.

    Returns (gain 1/r normalised to 1 at the closest point, Doppler frequency factor c / (c + radial velocity)).
    """
    x = speed * (np.arange(n) / sr - t_closest)
    r = np.hypot(x, closest)
    return closest / r, SPEED_OF_SOUND / (SPEED_OF_SOUND + speed * x / r)
