"""The offline procedural generator: a description picks a signal model by its sound class, a seed picks its variation.

    gen = ProceduralGenerator()
    [clip] = gen.generate(["a dog barks behind me"], [3.0], [0])   # float32, 132300 samples at 44.1 kHz
    match_class("someone knocks on the door")                      # 'knock'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cascade.audio import fit_length
from cascade.generators import Generator, check_request, clip_length
from cascade.taxonomy import classify, sound_class

PEAK_DBFS = -3.0
FADE_SECONDS = 0.005


def match_class(description: str) -> str:
    """The signal model for `description`: its sound class's (cascade.taxonomy), else 'texture'."""
    return sound_class(classify(description)).synth


def _finish(audio: np.ndarray, sr: int) -> np.ndarray:
    """Fade both ends over FADE_SECONDS (raised cosine), remove the mean, peak-normalise to PEAK_DBFS; returns float32.

    The mean comes out as a Hann-shaped offset over the whole clip (a component below 1 / duration Hz), so the
    ends stay at zero and the clip carries no DC.
    """
    audio = np.asarray(audio, dtype=np.float64)
    fade = min(int(FADE_SECONDS * sr), len(audio) // 2)
    if fade > 0:
        ramp = (1 - np.cos(np.pi * np.arange(fade) / fade)) / 2
        audio[:fade] *= ramp
        audio[len(audio) - fade :] *= ramp[::-1]
    if len(audio) > 2:
        bump = np.hanning(len(audio))
        audio = audio - bump * (audio.sum() / bump.sum())
    peak = np.abs(audio).max(initial=0.0)
    if peak > 0:
        audio = audio * (10 ** (PEAK_DBFS / 20) / peak)
    return audio.astype(np.float32)


class ProceduralGenerator(Generator):
    """Offline mono generator: synthesises one of the sound classes in `sounds.SOUNDS` for each prompt."""

    name = "procedural"
    sample_rate = 44100

    def generate(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> list[np.ndarray]:
        """One float32 clip per prompt, clip_length(duration, 44100) samples, peak at -3 dBFS, faded ends."""
        check_request(prompts, durations, seeds)
        return [self.synthesise(match_class(prompt), float(duration), int(seed))
                for prompt, duration, seed in zip(prompts, durations, seeds)]

    def detail(self, prompt: str, duration: float, seed: int) -> dict[str, Any]:
        """What made the clip: {'sound_class': the taxonomy's class, 'model': the signal model}."""
        return {"sound_class": classify(prompt) or "none", "model": match_class(prompt)}

    def synthesise(self, model: str, duration: float, seed: int) -> np.ndarray:
        """One clip of a named class in `sounds.SOUNDS` (no input checks: `generate` is the boundary)."""
        from cascade.generators.sounds import SOUNDS  # the signal models import scipy.signal: only when synthesising

        n = clip_length(duration, self.sample_rate)
        audio = SOUNDS[model](n, self.sample_rate, np.random.default_rng(seed))
        return _finish(fit_length(audio, n), self.sample_rate)
