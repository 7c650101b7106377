"""The offline default generator: TangoFlux when its weights and libraries are here, procedural synthesis otherwise
(speech prompts then go to espeak-ng, see `speech_prompt`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from cascade.generators import Generator, GeneratorError
from cascade.generators.speech import ESPEAK, QUOTED
from cascade.generators.tangoflux_files import PATH_VARIABLE, find_checkpoint, find_text_encoder
from cascade.taxonomy import classify

TANGOFLUX_MODULES = ("diffusers", "transformers", "safetensors")
SPEECH_CLASSES = ("speech", "whisper")  # classes espeak-ng can say; laughter and crying stay procedural


def speech_prompt(prompt: str) -> bool:
    """Whether `auto` without TangoFlux sends `prompt` to the `speech` generator: it quotes words, or names someone
    speaking or whispering, and espeak-ng is installed."""
    return (bool(QUOTED.search(prompt)) or classify(prompt) in SPEECH_CLASSES) and shutil.which(ESPEAK) is not None


def choose(tangoflux_path: str | Path | None = None) -> tuple[str, str]:
    """(generator name, one-line reason): "tangoflux" when it can run from local files, else "procedural"."""
    try:
        checkpoint = find_checkpoint(tangoflux_path)
        find_text_encoder(checkpoint)
    except GeneratorError as err:
        if tangoflux_path is None and not os.environ.get(PATH_VARIABLE):
            return "procedural", "no TangoFlux weights on this machine (`cascade models download tangoflux` gets them)"
        return "procedural", f"procedural synthesis, because {err}"
    missing = [name for name in TANGOFLUX_MODULES if find_spec(name) is None]
    if missing:
        return "procedural", (f"procedural synthesis: TangoFlux weights are in {checkpoint} but {', '.join(missing)} "
                              "is not installed; pip install 'text2spatial-cascade[tangoflux]'")
    return "tangoflux", f"TangoFlux weights found in {checkpoint}"


class AutoGenerator(Generator):
    """The generator `auto` stands for, chosen when built: TangoFlux with `options` when it can run here, else procedural.

    The resolved scene records the chosen backend, never 'auto'; `note` says which and why.
    """

    name = "auto"

    def __init__(self, **tangoflux_options: Any) -> None:
        from cascade import generators

        chosen, reason = choose(tangoflux_options.get("path"))
        self.inner = generators.get(chosen, **(tangoflux_options if chosen == "tangoflux" else {}))
        self.sample_rate = self.inner.sample_rate
        self.cache_tag = self.inner.cache_tag
        self.note = f"generator auto -> {chosen}: {reason}"

    @property
    def backend(self) -> str:
        return self.inner.backend

    def generate(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> list[np.ndarray]:
        return self.inner.generate(prompts, durations, seeds)

    def detail(self, prompt: str, duration: float, seed: int) -> dict[str, Any]:
        return self.inner.detail(prompt, duration, seed)
