"""Signal models of people and their surroundings: steps, knocks, doors, hands, voices, breaking and bangs.

Each model is `model(n, sr, rng) -> np.ndarray`: `n` samples at `sr` Hz of unnormalised float64
mono audio, all randomness drawn from `rng`.
"""

from __future__ import annotations

import numpy as np

from cascade.generators.synth import (
    bandpass,
    brown,
    formant_amps,
    gate,
    grouped_times,
    highpass,
    impulses,
    lowpass,
    modal,
    noise_bursts,
    overlap_add,
    periodic,
    pink,
    poisson_times,
    regular_times,
    smooth_random,
    white,
)

# (F1, F2, F3) in Hz of the vowels /a e i o u æ ə/ of an adult speaker
_VOWELS = np.array([[730, 1090, 2440], [530, 1840, 2480], [270, 2290, 3010], [570, 840, 2410],
                    [300, 870, 2240], [660, 1720, 2410], [500, 1500, 2500]], dtype=float)


def footsteps(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Walking at 1.8-2.2 steps a second: a heel thud and surface scuff, then a softer toe 50-80 ms later."""
    heels = regular_times(n / sr, rng.uniform(1.8, 2.2), rng, jitter=0.008)
    loudness = rng.uniform(0.8, 1.0, len(heels)) * np.where(np.arange(len(heels)) % 2, 0.85, 1.0)
    surface = lowpass(white(n, rng), rng.uniform(1500, 3500), sr)
    toes = heels + rng.uniform(0.05, 0.08)
    scuff = noise_bursts(surface, sr, np.concatenate([heels, toes]), np.concatenate([loudness, 0.4 * loudness]), 0.012)
    thud = modal(impulses(n, sr, heels, loudness), sr, [rng.uniform(60, 120)], [0.03]) * 3.0
    return scuff + thud


def knock(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Knocking on a wooden door: 2-4 knocks ~0.17 s apart, 1.5-3.5 s between groups; panel modes at 120-200 Hz and up."""
    times, _ = grouped_times(n / sr, rng, size=(2, 4), spacing=(0.13, 0.22), gap=(1.5, 3.5))
    amps = rng.uniform(0.8, 1.0, len(times))
    panel = rng.uniform(120, 200) * np.array([1.0, 2.3, 4.1, 6.8])
    body = modal(impulses(n, sr, times, amps), sr, panel, [0.05, 0.03, 0.015, 0.008], [1.0, 0.7, 0.4, 0.2])
    click = noise_bursts(bandpass(white(n, rng), 1000, 4000, sr), sr, times, amps, 0.002)
    return body + 0.5 * click


def door_creak(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A creaking hinge: stick-slip pulses at a wandering 30-200 Hz ringing wooden resonances, creaks of 0.7-2 s."""
    starts, _ = grouped_times(n / sr, rng, size=(1, 2), spacing=(1.5, 2.5), gap=(1.0, 3.0))
    lengths = np.minimum(rng.uniform(0.7, 2.0, len(starts)), np.diff(np.append(starts, np.inf)))
    rate = 30 + 170 * smooth_random(n, sr, 3.0, rng)
    cycles = np.cumsum(rate) / sr
    slips = np.diff(np.floor(cycles), prepend=0.0) * (1 + 0.5 * rng.random(n))
    pulses = slips * gate(n, sr, starts, lengths, 0.05)
    wood = [rng.uniform(400, 700), rng.uniform(1000, 1600), rng.uniform(2200, 3200)]
    return modal(pulses, sr, wood, [0.01, 0.006, 0.004], [1.0, 0.7, 0.4])


def applause(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Applause of 10-30 people clapping about 4 times a second: short noise bursts in three hand-cavity bands."""
    clappers = rng.integers(10, 31)
    swell = np.minimum(np.arange(n) / (0.4 * sr), 1.0) * (0.7 + 0.3 * smooth_random(n, sr, 0.5, rng))
    noise, out = white(n, rng), np.zeros(n)
    for low, high in ((800, 1500), (1300, 2500), (2200, 4500)):
        times = poisson_times(n / sr, clappers * 4.0 / 3, rng)
        out += noise_bursts(bandpass(noise, low, high, sr), sr, times, rng.uniform(0.5, 1.0, len(times)), 0.006)
    return out * swell


def glass(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Breaking glass every 4-9 s: a bright impact, a shower of ringing shards at 3-9 kHz, then sparse tinkles."""
    breaks, _ = grouped_times(n / sr, rng, size=(1, 1), spacing=(0, 0), gap=(4.0, 9.0), first=(0.02, 0.2))
    impact = noise_bursts(highpass(white(n, rng), 1000, sr), sr, breaks, 1.0, 0.03)
    shards = [b + rng.exponential(0.25, rng.integers(40, 80)) for b in breaks]
    tinkles = [b + 0.3 + rng.exponential(0.8, rng.integers(5, 15)) for b in breaks]
    times = np.concatenate(shards + tinkles) if len(breaks) else breaks
    ringing = np.zeros(n)
    for mode in rng.uniform(3000, 9000, 6):
        subset = times[rng.random(len(times)) < 0.3]
        ringing += modal(impulses(n, sr, subset, rng.uniform(0.2, 1.0, len(subset))), sr, [mode], [rng.uniform(0.02, 0.08)])
    return 0.7 * impact + ringing


def typing(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Typing: words of 3-8 keystrokes at 7-14 keys a second with pauses; each a plastic click and a key-bed thock."""
    times, _ = grouped_times(n / sr, rng, size=(3, 8), spacing=(0.07, 0.15), gap=(0.15, 0.7))
    amps = rng.uniform(0.5, 1.0, len(times))
    click = noise_bursts(bandpass(white(n, rng), 2000, 6000, sr), sr, times, amps, 0.003)
    thock = modal(impulses(n, sr, times, amps), sr, [rng.uniform(300, 600)], [0.012])
    return click + 0.5 * thock


def _syllable(sr: int, f0: float, vowel: np.ndarray, length: float, hiss: np.ndarray | None,
              rng: np.random.Generator) -> np.ndarray:
    """One syllable: a glottal pulse train through the vowel's formants, gliding in pitch, after an optional fricative `hiss`."""
    t = np.arange(int(length * sr)) / sr
    glide = f0 * (1 + rng.uniform(-0.12, 0.08) * t / length)
    voiced = periodic(glide, sr, formant_amps(f0, [(f, 60 + 0.06 * f) for f in vowel], sr, tilt=1.2), phase=rng.random())
    voiced *= np.sin(np.pi * t / length) / (np.abs(voiced).max() + 1e-12)
    if hiss is not None:
        voiced[: len(hiss)] += hiss[: len(voiced)]
    return voiced


def _fricative(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A 60 ms hiss of noise above 2.5-5 kHz, as in 's', 'f', 'sh'."""
    length = int(0.06 * sr)
    return highpass(white(length, rng), rng.uniform(2500, 5000), sr) * np.hanning(length) * 0.15


def _random_syllable(sr: int, f0: float, fricative: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A syllable of a random vowel, 0.1-0.18 s long, opening with `fricative` 40 % of the time."""
    return _syllable(sr, f0, _VOWELS[rng.integers(len(_VOWELS))], rng.uniform(0.1, 0.18),
                     fricative * rng.uniform(0.5, 1.0) if rng.random() < 0.4 else None, rng)


def _phrases(duration: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Syllable onsets (s) in phrases of 4-12 syllables at 4-6 a second, 0.3-1 s pauses; and each syllable's place in its phrase."""
    times, groups = grouped_times(duration, rng, size=(4, 12), spacing=(0.16, 0.25), gap=(0.3, 1.0))
    return times, np.arange(len(times)) - np.searchsorted(groups, groups)


def speech(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One talker at 95-230 Hz: phrases of syllables, pitch falling through each phrase."""
    times, place = _phrases(n / sr, rng)
    base, fricative = rng.uniform(95, 230), _fricative(sr, rng)
    grains = [_random_syllable(sr, base * (1.1 - 0.03 * p) * rng.uniform(0.93, 1.07), fricative, rng) for p in place]
    return overlap_add(n, times * sr, grains)


def crowd(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A crowd: 3-6 overlapping talkers drawing on a shared bank of 48 syllables, over a murmur of speech-band noise."""
    bases, fricative = rng.uniform(95, 230, rng.integers(3, 7)), _fricative(sr, rng)
    bank = [_random_syllable(sr, rng.choice(bases) * rng.uniform(0.9, 1.1), fricative, rng) for _ in range(48)]
    times = np.concatenate([_phrases(n / sr, rng)[0] for _ in bases])
    talkers = overlap_add(n, times * sr, [bank[i] * rng.uniform(0.5, 1.0) for i in rng.integers(0, len(bank), len(times))])
    murmur = bandpass(pink(n, rng), 200, 2500, sr) * (0.5 + 0.5 * smooth_random(n, sr, 4.0, rng))
    return talkers / (np.std(talkers) + 1e-12) + 0.5 * murmur / np.std(murmur)


def gunshot(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Gunshots in groups of 1-3: a broadband muzzle blast, a low boom, and a half-second reverberant tail."""
    times, _ = grouped_times(n / sr, rng, size=(1, 3), spacing=(0.15, 0.6), gap=(1.0, 4.0))
    amps = rng.uniform(0.8, 1.0, len(times))
    noise = white(n, rng)
    blast = noise_bursts(noise, sr, times, amps, rng.uniform(0.01, 0.025))
    tail = noise_bursts(lowpass(noise, 2000, sr), sr, times, amps, rng.uniform(0.15, 0.3), attack=0.01) * 0.25
    boom = modal(impulses(n, sr, times, amps), sr, [rng.uniform(60, 100)], [0.08]) * 2.0
    return blast + tail + boom


def explosion(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Explosions every 4-9 s: a sharp crack, a long sub-bass boom (0.6-1.5 s decay), and falling debris."""
    booms, _ = grouped_times(n / sr, rng, size=(1, 1), spacing=(0, 0), gap=(4.0, 9.0), first=(0.02, 0.3))
    rumble = lowpass(brown(n, rng, sr, corner=30.0), rng.uniform(300, 600), sr, order=4)
    boom = noise_bursts(rumble / np.std(rumble), sr, booms, 1.0, rng.uniform(0.6, 1.5), attack=0.008)
    crack = noise_bursts(lowpass(white(n, rng), 5000, sr), sr, booms, 1.0, 0.04)
    debris_times = np.concatenate([b + 0.2 + rng.exponential(0.8, 30) for b in booms]) if len(booms) else booms
    debris = modal(impulses(n, sr, debris_times, rng.uniform(0.05, 0.3, len(debris_times))), sr,
                   rng.uniform(1500, 4000, 2), [0.01, 0.006])
    return boom + 0.3 * crack + debris
