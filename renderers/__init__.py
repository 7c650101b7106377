"""Spatializers: a mono signal and where it is (a `SourcePath`) in, binaural (2, n) out.

Renderers know nothing of scenes or text. Chosen by name: `renderers.get("hrtf")`. Every renderer
has `name`, `reference_distance` (m, where its distance gain is 1) and
`render(mono, sample_rate, path) -> np.ndarray (2, n)`; the FOA stream always comes from
`renderers.foa.encode`, so every scene also gets an exact AmbiX file.
"""

from __future__ import annotations

from importlib import import_module
from typing import Protocol

import numpy as np

from cascade.errors import RendererError
from renderers.path import SourcePath


class Renderer(Protocol):
    name: str
    reference_distance: float

    def render(self, mono: np.ndarray, sample_rate: int, path: SourcePath) -> np.ndarray: ...


_REGISTRY = {
    "hrtf": ("renderers.hrtf", "HrtfRenderer"),
    "foa": ("renderers.foa", "FoaBinauralRenderer"),
    "nfs": ("renderers.nfs", "NfsRenderer"),
}


def names() -> list[str]:
    return list(_REGISTRY)


def get(name: str, **options) -> Renderer:
    """The renderer registered as `name`, built with `options` (e.g. `sofa=path`)."""
    if name not in _REGISTRY:
        raise RendererError(f"unknown renderer '{name}'; choose one of: {', '.join(_REGISTRY)}")
    module, cls = _REGISTRY[name]
    return getattr(import_module(module), cls)(**options)


__all__ = ["Renderer", "RendererError", "SourcePath", "get", "names"]
