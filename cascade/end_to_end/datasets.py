"""Reading training folders: the `synth` verb's examples.npz (and, once merged, the dataset builder's items).

Windows whose W channel is silent (below SILENT_DBFS RMS: a sparse sound whose visible part fell in a gap)
are left out; they teach nothing and would divide the codec's relative losses by zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cascade.end_to_end.checkpoints import CheckpointError
from cascade.end_to_end.data import Example, load_examples

SYNTHETIC = "examples.npz"
SILENT_DBFS = -60.0


def _path(folder: Path) -> Path:
    path = Path(folder) / SYNTHETIC
    if not path.is_file():
        raise CheckpointError(f"{folder} holds no {SYNTHETIC}; make one with `cascade train-e2e synth --out {folder}`")
    return path


def _sounding(w: np.ndarray) -> bool:
    return float(np.sqrt(np.mean(w.astype(np.float64) ** 2))) > 10 ** (SILENT_DBFS / 20)


def training_audio(folder: Path, sample_rate: int) -> tuple[np.ndarray, str]:
    """The sounding FOA windows of `folder` as (k, 4, n) float16 at `sample_rate`, and a one-line note of their source."""
    path = _path(folder)
    with np.load(path) as data:
        foa = data["foa"]
    keep = np.array([_sounding(w) for w in foa[:, 0]])
    foa = foa[keep]
    return foa, f"{foa.shape[0]} synthetic windows of {foa.shape[-1] / sample_rate:g} s ({path}; {int((~keep).sum())} silent left out)"


def training_examples(folder: Path, sample_rate: int) -> list[Example]:
    """The sounding labelled FOA windows of `folder` at `sample_rate`."""
    return [e for e in load_examples(_path(folder)) if _sounding(e.foa[0])]
