"""Mono generators: prompts and durations in, mono clips out. Chosen by name: `generators.get("procedural")`.

Every generator is batched: `generate(prompts, durations, seeds)` returns one float32 mono array per
prompt, exactly `round(duration * sample_rate)` samples long, at the generator's own `sample_rate`
(the pipeline resamples to the scene's rate at its boundary). A generator may also define
`detail(prompt, duration, seed) -> dict` to record what it chose (a file, a match score).
"""

from __future__ import annotations

from importlib import import_module
from typing import Protocol, Sequence

import numpy as np

from cascade.errors import GeneratorError


class Generator(Protocol):
    name: str
    sample_rate: int

    def generate(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> list[np.ndarray]: ...


_REGISTRY = {
    "procedural": ("cascade.generators.procedural", "ProceduralGenerator"),
    "tangoflux": ("cascade.generators.tangoflux", "TangoFluxGenerator"),
    "library": ("cascade.generators.library", "LibraryGenerator"),
}


def names() -> list[str]:
    return list(_REGISTRY)


def get(name: str, **options) -> Generator:
    """The generator registered as `name`, built with `options`."""
    if name not in _REGISTRY:
        raise GeneratorError(f"unknown generator '{name}'; choose one of: auto, {', '.join(_REGISTRY)}")
    module, cls = _REGISTRY[name]
    return getattr(import_module(module), cls)(**options)


def clip_length(duration: float, sample_rate: int) -> int:
    """Samples in a clip of `duration` seconds."""
    return max(1, int(round(duration * sample_rate)))
