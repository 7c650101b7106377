"""Signal models of engines, vehicles, sirens, bells, ringers and clocks.

Each model is `model(n, sr, rng) -> np.ndarray`: `n` samples at `sr` Hz of unnormalised float64
mono audio, all randomness drawn from `rng`.
"""

from __future__ import annotations

import numpy as np

from cascade.generators.synth import (
    bandpass,
    gate,
    grouped_times,
    impulses,
    lowpass,
    modal,
    noise_bursts,
    pass_by,
    periodic,
    pink,
    regular_times,
    smooth_random,
    tone,
    white,
)

_CHURCH_BELL_PARTIALS = np.array([0.5, 1.0, 1.183, 1.506, 2.0, 2.514, 2.662, 3.011, 4.166])
_CHURCH_BELL_AMPS = np.array([0.6, 0.8, 0.7, 0.4, 1.0, 0.5, 0.4, 0.3, 0.2])
_SMALL_BELL_PARTIALS = np.array([1.0, 1.47, 2.09, 2.56, 3.37])
_RING_CADENCES = ((0.4, 0.2, 0.4, 2.0), (2.0, 4.0))  # on/off seconds: UK double ring, North American ring


def _engine_wave(f_fire: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Exhaust of a piston engine firing at `f_fire` Hz: strong firing harmonics, weaker half-order imbalance, rough."""
    k = np.arange(1, 40)
    amps = np.where(k % 2 == 0, 1.0, 0.35) / k**0.7
    wave = periodic(f_fire / 2, sr, amps, phase=rng.random())
    return wave * (1 + 0.3 * lowpass(white(len(f_fire), rng), 4 * f_fire.mean(), sr))


def engine(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """An idling engine: firing rate 22-35 Hz (4 cylinders at 650-1050 rpm) with a slight wander, below ~500 Hz."""
    f_fire = rng.uniform(22, 35) * (1 + 0.03 * (smooth_random(n, sr, 2.0, rng) - 0.5))
    return lowpass(_engine_wave(f_fire, sr, rng), 450, sr)


def vehicle(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A car passing by at 12-25 m/s, 3-8 m away: Doppler-shifted engine and tyre noise, louder at the closest point."""
    gain, doppler = pass_by(n, sr, rng.uniform(12, 25), rng.uniform(3, 8), n / sr * rng.uniform(0.4, 0.6))
    motor = lowpass(_engine_wave(rng.uniform(60, 110) * doppler, sr, rng), 1500, sr)
    tyres = bandpass(white(n, rng), 400, 2500, sr) * 0.6
    return (motor + tyres) * gain**1.5


def helicopter(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Main-rotor blade slap at 14-22 Hz, tail-rotor whine at about 5x that, turbine hiss; slowly nearing and fading."""
    blade_rate = rng.uniform(14, 22)
    slaps = regular_times(n / sr, blade_rate, rng, jitter=0.0005)
    slap = noise_bursts(lowpass(white(n, rng), 1200, sr), sr, slaps, 1.0, 0.008, attack=0.002)
    tail = periodic(blade_rate * rng.uniform(4.5, 6.0), sr, 1.0 / np.arange(1, 12), n) * 0.08
    hiss = bandpass(white(n, rng), 3000, 9000, sr) * 0.05
    distance = 0.5 + 0.5 * smooth_random(n, sr, 0.2, rng)
    return (slap + tail + hiss) * distance


def aircraft(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A jet flying over at 150-400 m: broadband roar brightening near overhead, a Doppler-falling turbine whine."""
    gain, doppler = pass_by(n, sr, rng.uniform(70, 120), rng.uniform(150, 400), n / sr * rng.uniform(0.4, 0.6))
    roar = lowpass(pink(n, rng), 1200, sr) * gain + bandpass(white(n, rng), 1500, 6000, sr) * 0.2 * gain**2
    whine = tone(rng.uniform(2000, 3500) * doppler, sr) * 0.05 * gain**2
    return roar + whine


def siren(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """An emergency siren: a wail (3-6 s sweeps), a yelp (0.25-0.4 s sweeps) or a hi-lo two-tone, square-ish timbre."""
    t = np.arange(n) / sr
    low, high = rng.uniform(550, 750), rng.uniform(1200, 1600)
    kind = rng.integers(3)
    if kind == 2:
        sweep = (np.floor(t / rng.uniform(0.5, 0.7) + rng.random()) % 2)
    else:
        period = rng.uniform(3.0, 6.0) if kind == 0 else rng.uniform(0.25, 0.4)
        sweep = np.sin(np.pi * (t / period + rng.random())) ** 2
    odd = np.array([1.0, 0.0, 0.33, 0.0, 0.2, 0.0, 0.14])
    return periodic(low + (high - low) * sweep, sr, odd)


def horn(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A car horn: two brassy tones a third apart (about 400 and 500 Hz), honks of 0.2-0.9 s in groups of 1-3."""
    times, _ = grouped_times(n / sr, rng, size=(1, 3), spacing=(0.35, 1.1), gap=(1.5, 4.0))
    lengths = rng.uniform(0.2, 0.9, len(times))
    lengths = np.minimum(lengths, np.diff(np.append(times, np.inf)) - 0.12)
    f0 = rng.uniform(380, 440)
    brass = 1.0 / np.arange(1, 25)
    return (periodic(f0, sr, brass, n) + periodic(f0 * 1.25, sr, brass, n)) * gate(n, sr, times, lengths, 0.01)


def _strikes(n: int, sr: int, times: np.ndarray, fundamental: float, partials: np.ndarray, amps: np.ndarray,
             tau: float, rng: np.random.Generator) -> np.ndarray:
    """A bell struck at `times`: inharmonic partials (ratios to `fundamental` Hz), higher ones decaying faster."""
    excitation = impulses(n, sr, times, rng.uniform(0.8, 1.0, len(times)))
    taus = tau * partials.min() / partials
    return modal(excitation, sr, fundamental * partials, taus, amps)


def bell(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A tolling church bell every 2-3.5 s: hum, prime, minor-third tierce, quint, nominal... decaying over seconds."""
    times = regular_times(n / sr, 1.0 / rng.uniform(2.0, 3.5), rng, jitter=0.03, first=rng.uniform(0.02, 0.2))
    return _strikes(n, sr, times, rng.uniform(200, 400), _CHURCH_BELL_PARTIALS, _CHURCH_BELL_AMPS, rng.uniform(1.5, 3.0), rng)


def bicycle_bell(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A bicycle bell: trills of 4-10 strikes at 12-16 per second on a 2.5-4 kHz dome, every 1.5-4 s."""
    times, _ = grouped_times(n / sr, rng, size=(4, 10), spacing=(1 / 16, 1 / 12), gap=(1.5, 4.0))
    amps = 1.0 / np.arange(1, len(_SMALL_BELL_PARTIALS) + 1)
    return _strikes(n, sr, times, rng.uniform(2500, 4000), _SMALL_BELL_PARTIALS, amps, rng.uniform(0.3, 0.6), rng)


def phone(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A telephone ring: a 400-480 Hz tone pair warbling at 20 Hz, in a UK double-ring or North American cadence."""
    cadence = np.array(_RING_CADENCES[rng.integers(len(_RING_CADENCES))])
    offsets = np.concatenate([[0.0], np.cumsum(cadence)[:-1]])[::2]
    period = cadence.sum()
    starts = (np.arange(0.05, n / sr, period)[:, None] + offsets).ravel()
    lengths = np.resize(cadence[::2], len(starts))
    f1 = rng.uniform(400, 440)
    pair = tone(f1, sr, n, rng.random()) + tone(f1 * 1.1, sr, n, rng.random())
    warble = 0.6 + 0.4 * tone(20.0, sr, n)
    return pair * warble * gate(n, sr, starts, lengths, 0.01)


def alarm(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A piezo alarm at 2.5-3.5 kHz: groups of four 0.1 s beeps, or a steady 0.25 s on/off beep."""
    if rng.random() < 0.5:
        times, _ = grouped_times(n / sr, rng, size=(4, 4), spacing=(0.2, 0.2), gap=(0.6, 0.6))
        length = 0.1
    else:
        times, length = regular_times(n / sr, 2.0, rng), 0.25
    square = np.array([1.0, 0.0, 0.33, 0.0, 0.2])
    return periodic(rng.uniform(2500, 3500), sr, square, n) * gate(n, sr, times, np.full(len(times), length), 0.003)


def clock(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A clock ticking exactly once a second, alternating a brighter 'tick' and a duller 'tock'."""
    times = regular_times(n / sr, 1.0, rng)
    modes = rng.uniform(2000, 3000) * np.array([1.0, 1.7, 2.6])
    tick = modal(impulses(n, sr, times[::2]), sr, modes, [0.004, 0.003, 0.002])
    tock = modal(impulses(n, sr, times[1::2]), sr, modes * 0.8, [0.004, 0.003, 0.002])
    return tick + tock
