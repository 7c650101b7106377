"""Mono source material for training and measuring renderers: speech, procedural sound classes, coloured noise.

Speech is Debian's espeak-ng (22.05 kHz voices, so nothing above 11 kHz); procedural clips come from the
`procedural` generator at 44.1 kHz; coloured noise covers the whole band. Every function returns float32
mono at the `sample_rate` asked for.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from cascade.audio import read_audio, resample
from cascade.errors import GeneratorError

WORDS = ("time", "person", "year", "way", "day", "thing", "man", "world", "life", "hand", "part", "child", "eye", "woman",
         "place", "work", "week", "case", "point", "number", "group", "problem", "fact", "water", "room", "mother", "area",
         "money", "story", "month", "lot", "right", "study", "book", "word", "business", "issue", "side", "kind", "head",
         "house", "service", "friend", "father", "power", "hour", "game", "line", "end", "member", "law", "car", "city",
         "name", "team", "minute", "idea", "kid", "body", "back", "parent", "face", "others", "level", "office", "door",
         "health", "art", "war", "history", "party", "result", "change", "morning", "reason", "research", "girl", "guy",
         "moment", "air", "teacher", "force", "education", "open", "walk", "carry", "sing", "quickly", "slowly", "bright",
         "green", "under", "over", "through", "seven", "twelve", "purple", "silver", "garden", "window", "river", "mountain")
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-us+f3", "en-us+m3", "en-gb+f2", "en-us+f5")
TRAINING_SEEDS = (10_000, 1_000_000)  # procedural seeds drawn for training; measurements use seeds below


def has_speech() -> bool:
    """Whether espeak-ng is installed."""
    return shutil.which("espeak-ng") is not None


def espeak(text: str, voice: str, sample_rate: int, options: tuple[str, ...] = ()) -> np.ndarray:
    """Mono speech of `text` by espeak-ng (`options` e.g. ("-s", "150") for words per minute) at `sample_rate` Hz."""
    if not has_speech():
        raise GeneratorError("speech needs espeak-ng: apt-get install espeak-ng")
    with tempfile.TemporaryDirectory() as work:
        wav = Path(work) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, *options, "-w", str(wav), text], check=True, capture_output=True)
        audio, rate = read_audio(wav)
    return resample(audio[0], rate, sample_rate)


def random_speech(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A few seconds of espeak-ng speech: 6-13 random words, a random voice, speed (120-200 wpm) and pitch."""
    text = " ".join(rng.choice(WORDS, size=int(rng.integers(6, 14))))
    voice = str(rng.choice(VOICES))
    options = ("-s", str(int(rng.integers(120, 200))), "-p", str(int(rng.integers(20, 80))))
    return espeak(text, voice, sample_rate, options)


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
