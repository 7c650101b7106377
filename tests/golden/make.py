"""Regenerate the golden renders after an intended change to how scenes sound:

    python tests/golden/make.py

Each scene in this folder (*.json) is rendered with the offline defaults and its binaural and AmbiX samples
saved beside it (*.npz). tests/test_golden.py renders the same scenes and compares. Commit regenerated files
only with the change that explains them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import cascade

FOLDER = Path(__file__).parent


def render(path: Path) -> cascade.RenderResult:
    return cascade.render_scene(cascade.Scene.load(path), generator="procedural", cache=False)


def main() -> None:
    for path in sorted(FOLDER.glob("*.json")):
        result = render(path)
        np.savez_compressed(path.with_suffix(".npz"), binaural=result.binaural, foa=result.foa)
        print(f"{path.name}: {result.binaural.shape[-1]} samples at {result.sample_rate} Hz")


if __name__ == "__main__":
    main()
