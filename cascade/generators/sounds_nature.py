"""Signal models of animals, weather, water and fire.

Each model is `model(n, sr, rng) -> np.ndarray`: `n` samples at `sr` Hz of unnormalised float64
mono audio, all randomness drawn from `rng`.
"""

from __future__ import annotations

import numpy as np

from cascade.generators.synth import (
    bandpass,
    brown,
    formant_amps,
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
    tone,
    white,
)


def _bark(sr: int, rng: np.random.Generator) -> np.ndarray:
    """One bark: a harsh harmonic burst with a falling pitch, formants near 1 and 2.5 kHz, and breath noise."""
    length = rng.uniform(0.12, 0.22)
    t = np.arange(int(length * sr)) / sr
    f0 = rng.uniform(350, 650) * (1 + 0.35 * np.sin(np.pi * t / length) - 0.3 * t / length)
    formants = [(rng.uniform(800, 1200), 300.0), (rng.uniform(2000, 2800), 500.0)]
    voiced = periodic(f0, sr, formant_amps(f0.mean(), formants, sr, tilt=0.5))
    voiced /= np.abs(voiced).max()
    noisy = bandpass(white(len(t), rng), 600, 4000, sr) * 0.25
    roughness = 1 + 0.4 * np.sin(2 * np.pi * rng.uniform(30, 60) * t)
    envelope = np.minimum(t / 0.008, 1.0) * np.exp(-t / (0.5 * length)) * np.sin(np.pi * t / length) ** 0.3
    return (voiced * roughness + noisy) * envelope


def dog(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Barks in bursts of 1-4, about 0.3 s apart, with 0.8-2.5 s gaps."""
    times, _ = grouped_times(n / sr, rng, size=(1, 4), spacing=(0.25, 0.45), gap=(0.8, 2.5))
    return overlap_add(n, times * sr, [_bark(sr, rng) * rng.uniform(0.7, 1.0) for _ in times])


def _chirp(sr: int, start: float, end: float, length: float) -> np.ndarray:
    """A bird chirp: a sine gliding from `start` to `end` Hz with a weak second harmonic, sin² envelope."""
    t = np.arange(int(length * sr)) / sr
    glide = start + (end - start) * t / length
    return periodic(glide, sr, [1.0, 0.15]) * np.sin(np.pi * t / length) ** 2


def bird(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Song phrases of 3-9 chirps between 2.5 and 7 kHz; chirps of one phrase share a motif."""
    times, groups = grouped_times(n / sr, rng, size=(3, 9), spacing=(0.08, 0.2), gap=(0.6, 2.5))
    motifs = rng.uniform(2500, 7000, size=(groups.max() + 1 if len(groups) else 1, 2))
    glides = [motifs[g] * rng.uniform(0.92, 1.08, 2) for g in groups]
    grains = [_chirp(sr, start, end, rng.uniform(0.04, 0.12)) for start, end in glides]
    return overlap_add(n, times * sr, grains)


def _meow(sr: int, rng: np.random.Generator) -> np.ndarray:
    """One meow: an arched pitch contour through the vowel formants of 'i', 'a' and 'u'."""
    length = rng.uniform(0.5, 1.0)
    t = np.arange(int(length * sr)) / sr
    f0 = rng.uniform(450, 600) * (1 + rng.uniform(0.2, 0.5) * np.sin(np.pi * (t / length) ** 0.7))
    vowels = ([(400, 120), (2600, 300)], [(900, 150), (1600, 250)], [(550, 120), (1000, 200)])
    parts = [periodic(f0, sr, formant_amps(f0.mean(), v, sr, tilt=0.8)) for v in vowels]
    weights = np.clip(1 - np.abs(np.linspace(0, 2, len(t))[None] - np.arange(3)[:, None]), 0, 1)
    envelope = np.sin(np.pi * t / length) ** 0.6
    return sum(w * p / np.abs(p).max() for w, p in zip(weights, parts)) * envelope


def cat(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Meows every 1.5-3.5 s."""
    times, _ = grouped_times(n / sr, rng, size=(1, 2), spacing=(0.9, 1.3), gap=(1.5, 3.5))
    return overlap_add(n, times * sr, [_meow(sr, rng) for _ in times])


def _buzz(n: int, sr: int, rng: np.random.Generator, wingbeat: tuple[float, float]) -> np.ndarray:
    """A flying insect: a buzzy wingbeat tone with wandering pitch and a near/far loudness drift."""
    f0 = rng.uniform(*wingbeat) * (1 + 0.08 * (smooth_random(n, sr, 1.5, rng) - 0.5))
    wave = periodic(f0, sr, 1.0 / np.arange(1, 30) ** 1.2, phase=rng.random())
    return wave * (0.3 + 0.7 * smooth_random(n, sr, 0.6, rng))


def bee(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A bee or fly: wingbeat 170-260 Hz."""
    return _buzz(n, sr, rng, (170, 260))


def mosquito(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A mosquito: a high whine, wingbeat 450-700 Hz."""
    return _buzz(n, sr, rng, (450, 700))


def cricket(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Chirps of 3-5 pulses (30 pulses/s) on a 4-5 kHz carrier, 1.5-3 chirps per second."""
    chirps = regular_times(n / sr, rng.uniform(1.5, 3.0), rng, jitter=0.02)
    pulses = (chirps[:, None] + np.arange(rng.integers(3, 6)) / 30.0).ravel()
    pulse = np.sin(np.pi * np.arange(int(0.018 * sr)) / (0.018 * sr)) ** 2
    envelope = overlap_add(n, pulses * sr, [pulse] * len(pulses))
    return tone(rng.uniform(4000, 5000), sr, n) * envelope


def rain(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Broadband hiss of countless distant drops plus 150-400 nearby drop impacts a second."""
    hiss = bandpass(white(n, rng), 200, 14000, sr) * (0.8 + 0.2 * smooth_random(n, sr, 0.5, rng))
    times = poisson_times(n / sr, rng.uniform(150, 400), rng)
    splashes = highpass(lowpass(impulses(n, sr, times, rng.exponential(1.0, len(times))), 9000, sr), 1500, sr, order=1)
    return hiss + 1.5 * splashes


def wind(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Low pink noise swelling in gusts, with a whistle that rises with gust strength."""
    gust = 0.25 + 0.75 * smooth_random(n, sr, rng.uniform(0.15, 0.4), rng) ** 2
    body = lowpass(pink(n, rng), rng.uniform(500, 900), sr) * gust
    whistle = modal(white(n, rng), sr, [rng.uniform(500, 900)], [0.03]) * 0.02 * gust**2
    return body + whistle


def _bubble(sr: int, freq: float, tau: float, rise: float) -> np.ndarray:
    """A water bubble or drop: a decaying sine whose pitch rises by the factor `rise` (Minnaert resonance)."""
    t = np.arange(int(4 * tau * sr)) / sr
    return tone(freq * (1 + (rise - 1) * (1 - np.exp(-t / tau))), sr) * np.exp(-t / tau)


def stream(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Flowing water: a bed of band-limited noise and 60-150 bubbles a second at 400-2500 Hz."""
    bank = [_bubble(sr, f, rng.uniform(0.004, 0.012), rng.uniform(1.1, 1.6)) for f in rng.uniform(400, 2500, 24)]
    times = poisson_times(n / sr, rng.uniform(60, 150), rng)
    choice = rng.integers(0, len(bank), len(times))
    bubbles = overlap_add(n, times * sr, [bank[c] * rng.uniform(0.2, 1.0) for c in choice])
    bed = bandpass(white(n, rng), 300, 3000, sr) * (0.05 + 0.03 * smooth_random(n, sr, 2.0, rng))
    return bubbles + bed


def drip(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Drops every 0.4-1.5 s: a rising 'plink' from 800-2500 Hz."""
    times = regular_times(n / sr, 1.0 / rng.uniform(0.4, 1.5), rng, jitter=0.03)
    pitch = rng.uniform(800, 2500)
    grains = [_bubble(sr, pitch * rng.uniform(0.9, 1.1), rng.uniform(0.02, 0.04), 1.5) for _ in times]
    return overlap_add(n, times * sr, grains)


def ocean(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Breaking waves every 6-11 s: a rising roar, a crash of bright foam, a long receding wash."""
    starts, _ = grouped_times(n / sr, rng, size=(1, 1), spacing=(0, 0), gap=(5.0, 9.0), first=(0.0, 2.0))
    shapes = []
    for _ in starts:
        rise, wash = rng.uniform(1.5, 3.0), rng.uniform(3.0, 6.0)
        shapes.append(np.concatenate([np.linspace(0, 1, int(rise * sr)) ** 2, np.exp(-np.arange(int(wash * sr)) / (0.35 * wash * sr))]))
    envelope = 0.1 + overlap_add(n, (starts - 1.0) * sr, shapes)
    roar = lowpass(pink(n, rng), 600, sr)
    foam = bandpass(white(n, rng), 1500, 8000, sr) * 0.3
    return roar * envelope + foam * envelope**3


def thunder(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Claps every 4-10 s: a short crack, then a long low rumble of several decaying rolls below 200-400 Hz."""
    claps, _ = grouped_times(n / sr, rng, size=(1, 1), spacing=(0, 0), gap=(4.0, 10.0), first=(0.05, 0.5))
    rolls = np.concatenate([c + np.sort(rng.uniform(0, 2.0, 4)) for c in claps]) if len(claps) else claps
    rumble = lowpass(brown(n, rng, sr, corner=40.0), rng.uniform(200, 400), sr, order=4)
    rolling = noise_bursts(rumble / np.std(rumble), sr, rolls, rng.uniform(0.4, 1.0, len(rolls)), rng.uniform(0.5, 1.5), 0.05)
    crack = noise_bursts(lowpass(white(n, rng), 3000, sr), sr, claps, 1.0, 0.06, 0.002)
    return rolling + 0.2 * crack


def fire(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A low flickering roar, a soft hiss, and 8-25 sharp crackles a second with heavy-tailed loudness."""
    roar = lowpass(brown(n, rng, sr), 300, sr) * (0.5 + 0.5 * smooth_random(n, sr, 3.0, rng))
    hiss = bandpass(white(n, rng), 2000, 8000, sr) * 0.03
    times = poisson_times(n / sr, rng.uniform(8, 25), rng)
    crackles = modal(impulses(n, sr, times, rng.pareto(2.0, len(times)) + 0.3), sr,
                     rng.uniform(1500, 5000, 3), [0.002, 0.003, 0.0015])
    return 0.3 * roar / np.std(roar) + hiss + crackles


def texture(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """The fallback for unmatched descriptions: one octave of noise at 200-4000 Hz with a slow swell."""
    centre = np.exp(rng.uniform(np.log(200), np.log(4000)))
    return bandpass(white(n, rng), centre / np.sqrt(2), centre * np.sqrt(2), sr) * (0.3 + 0.7 * smooth_random(n, sr, 0.3, rng))
