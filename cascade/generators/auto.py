"""The offline default generator: TangoFlux when its weights and libraries are here, procedural synthesis otherwise."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from cascade.generators import GeneratorError
from cascade.generators.tangoflux_files import find_checkpoint, find_text_encoder

TANGOFLUX_MODULES = ("diffusers", "transformers", "safetensors")


def choose(tangoflux_path: str | Path | None = None) -> tuple[str, str]:
    """(generator name, one-line reason): "tangoflux" when it can run from local files, else "procedural"."""
    try:
        checkpoint = find_checkpoint(tangoflux_path)
        find_text_encoder(checkpoint)
    except GeneratorError as err:
        return "procedural", f"procedural synthesis, because {err}"
    missing = [name for name in TANGOFLUX_MODULES if find_spec(name) is None]
    if missing:
        return "procedural", (f"procedural synthesis: TangoFlux weights are in {checkpoint} but {', '.join(missing)} "
                              "is not installed; pip install 'text2spatial-cascade[tangoflux]'")
    return "tangoflux", f"TangoFlux weights found in {checkpoint}"
