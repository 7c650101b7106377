"""Spatializers: a mono signal and where it is (a `SourcePath`) in, binaural (2, n) out.

Renderers know nothing of scenes or text. Chosen by name: `renderers.get("hrtf")`; the FOA stream
always comes from `renderers.foa.encode`, so every scene also gets an exact AmbiX file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from cascade.errors import RendererError
from cascade.registry import Option, Registry
from renderers.path import SourcePath

if TYPE_CHECKING:
    from renderers.hrir import HrirSet


class Renderer:
    """What every renderer has; subclasses set `name` and implement `render`.

    `reference_distance` (m) is where its distance gain is 1; `hrirs` is the head it renders with when
    it has one (a room renders its early reflections through it and gives its tail that head's diffuse
    field), else None.
    """

    name: ClassVar[str]
    reference_distance: float = 1.0
    hrirs: HrirSet | None = None

    def render(self, mono: np.ndarray, sample_rate: int, path: SourcePath) -> np.ndarray:
        """(2, n) float32 binaural of `mono` (samples at `sample_rate` Hz) moving along `path`."""
        raise NotImplementedError

    def render_many(self, mono: np.ndarray, sample_rate: int, sources: list[tuple[SourcePath, float]]) -> np.ndarray:
        """(2, n) float32 sum of `mono` rendered along each (path, amplitude gain): a source and its images."""
        return add_padded([gain * self.render(mono, sample_rate, path) for path, gain in sources])


def add_padded(signals: list[np.ndarray]) -> np.ndarray:
    """float32 sum of (..., n_i) arrays, each zero-padded to the longest n_i."""
    out = np.zeros(signals[0].shape[:-1] + (max(s.shape[-1] for s in signals),), dtype=np.float32)
    for signal in signals:
        out[..., : signal.shape[-1]] += signal
    return out


_SOFA = Option("sofa", None, "SimpleFreeFieldHRIR SOFA file; None = MIT KEMAR")
_EQ = Option("equalisation", None, "HRTF equalisation: diffuse (default) or none")
_DEVICE = Option("device", "--device", "torch device for learned models: cuda, mps or cpu (default: the best available)")

REGISTRY: Registry[Renderer] = Registry("renderer", RendererError)
REGISTRY.register("hrtf", "renderers.hrtf:HrtfRenderer", "HRIR convolution, MIT KEMAR or any SOFA file (sharpest; default)",
                  options=(_SOFA, _EQ))
REGISTRY.register("foa", "renderers.foa:FoaBinauralRenderer", "the AmbiX stream decoded to binaural (matches the FOA file; first order)",
                  options=(_SOFA, _EQ))
REGISTRY.register("nfs", "renderers.nfs:NfsRenderer", "Neural Fourier Shift network trained by this project",
                  options=(Option("checkpoint", "--nfs-checkpoint", "NFS checkpoint (.pt) instead of the shipped one", metavar="PT"), _DEVICE),
                  native_rate=16000)

get = REGISTRY.get
names = REGISTRY.names

__all__ = ["REGISTRY", "Renderer", "RendererError", "SourcePath", "add_padded", "get", "names"]
