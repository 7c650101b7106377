"""Training folders: the `synth` verb's examples.npz, read as `Example` windows.

Windows whose W channel is silent (below SILENT_DBFS RMS) are left out: they teach nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cascade.end_to_end.checkpoints import CheckpointError
from cascade.end_to_end.data import Example, load_examples

SYNTHETIC = "examples.npz"
SILENT_DBFS = -60.0


def _sounding(w: np.ndarray) -> bool:
    return float(np.sqrt(np.mean(w.astype(np.float64) ** 2))) > 10 ** (SILENT_DBFS / 20)


def training_examples(folder: Path) -> list[Example]:
    """The sounding labelled windows of a `synth` folder."""
    path = Path(folder) / SYNTHETIC
    if not path.is_file():
        raise CheckpointError(f"{folder} holds no {SYNTHETIC}: make one with `cascade train-e2e synth --out {folder}`")
    return [e for e in load_examples(path) if _sounding(e.foa[0])]
