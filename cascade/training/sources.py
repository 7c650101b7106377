"""Mono source material for training and measuring renderers: speech, procedural sound classes, coloured noise.

Speech comes from the `speech` generator (espeak-ng voices at 22.05 kHz, so nothing above 11 kHz),
procedural clips from the `procedural` generator (44.1 kHz); coloured noise covers the whole band. Every
function returns float32 mono at the `sample_rate` asked for.
"""

from __future__ import annotations

import shutil

import numpy as np

from cascade.audio import resample

TRAINING_SEEDS = (10_000, 1_000_000)  # procedural and speech seeds drawn for training; measurements use seeds below


def has_speech() -> bool:
    """Whether the speech generator can run here (Debian's espeak-ng is installed)."""
    from cascade.generators.speech import ESPEAK

    return shutil.which(ESPEAK) is not None


def speech(prompt: str, seconds: float, seed: int, sample_rate: int) -> np.ndarray:
    """`seconds` of the `speech` generator for `prompt` (its quoted words, else seeded sentences) with `seed`."""
    from cascade.generators import get

    generator = get("speech")
    return resample(generator.generate([prompt], [seconds], [seed])[0], generator.sample_rate, sample_rate)


def random_speech(rng: np.random.Generator, sample_rate: int, seconds: float = 2.0) -> np.ndarray:
    """Seeded sentences of common words by a random voice, with a seed from TRAINING_SEEDS."""
    return speech("a person talks", seconds, int(rng.integers(*TRAINING_SEEDS)), sample_rate)


def procedural(name: str, seconds: float, seed: int, sample_rate: int) -> np.ndarray:
    """`seconds` of the procedural sound class `name` made with `seed`."""
    from cascade.generators.procedural import ProceduralGenerator

    generator = ProceduralGenerator()
    return resample(generator.synthesise(name, seconds, seed), generator.sample_rate, sample_rate)


def random_procedural(rng: np.random.Generator, sample_rate: int, seconds: float = 2.0) -> np.ndarray:
    """A random procedural sound class with a seed from TRAINING_SEEDS."""
    from cascade.generators.sounds import SOUNDS

    return procedural(str(rng.choice(sorted(SOUNDS))), seconds, int(rng.integers(*TRAINING_SEEDS)), sample_rate)


def coloured_noise(rng: np.random.Generator, sample_rate: int, seconds: float) -> np.ndarray:
    """Noise with a 1/f^α power spectrum (α uniform in [0, 2]) under a random slow amplitude envelope."""
    n = int(seconds * sample_rate)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    frequency = np.maximum(np.fft.rfftfreq(n, 1 / sample_rate), 20.0)
    noise = np.fft.irfft(spectrum * frequency ** (-rng.uniform(0, 2) / 2), n)
    envelope = np.interp(np.arange(n), np.linspace(0, n, 9), rng.uniform(0.1, 1.0, 9))
    return (noise * envelope).astype(np.float32)
