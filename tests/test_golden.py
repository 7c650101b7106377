"""Golden renders: scenes that must keep sounding the same, sample for sample (to float rounding), unless a
change means them to sound different and regenerates them (tests/golden/make.py) with that change."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

FOLDER = Path(__file__).parent / "golden"
sys.path.insert(0, str(FOLDER))
from make import render  # noqa: E402


@pytest.mark.parametrize("scene", sorted(FOLDER.glob("*.json")), ids=lambda p: p.stem)
def test_a_golden_scene_renders_to_its_recorded_samples(scene):
    expected = np.load(scene.with_suffix(".npz"))
    result = render(scene)
    for name in ("binaural", "foa"):
        got, want = getattr(result, name), expected[name]
        assert got.shape == want.shape, f"{name}: {got.shape} samples, recorded {want.shape}"
        assert np.abs(got - want).max() <= 1e-5 * max(1.0, float(np.abs(want).max())), f"{name} differs from the recording"
