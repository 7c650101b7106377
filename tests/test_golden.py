"""Golden renders: scenes that must keep sounding the same unless a change means them to sound different and
regenerates them (tests/golden/make.py) with that change.

The tolerance comes from the arithmetic, so the goldens hold on any x86-64 or ARM CPU: a CPU changes how
float32 results are rounded (SIMD paths, fused multiply-add, its libm), never what is computed. Every output
sample comes out of at most STAGES FFT convolutions (clip, HRIR, room, mix), each a forward and an inverse FFT
of at most 2**LOG2_FFT points, and an FFT's rounding error is bounded normwise by about log2(N) units of
float32 rounding (Higham, Accuracy and Stability of Numerical Algorithms, §24.1). Anything past that bound is a
change in what the render computes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

FOLDER = Path(__file__).parent / "golden"
sys.path.insert(0, str(FOLDER))
from make import render  # noqa: E402

STAGES = 4
LOG2_FFT = 16
UNIT_ROUNDOFF = float(np.finfo(np.float32).eps) / 2
TOLERANCE = STAGES * 2 * LOG2_FFT * UNIT_ROUNDOFF  # normwise: |got - want| / |want|, about 7.6e-6
SCENES = sorted(FOLDER.glob("*.json"))


def assert_matches_recording(scene: Path) -> None:
    expected = np.load(scene.with_suffix(".npz"))
    result = render(scene)
    for name in ("binaural", "foa"):
        got, want = getattr(result, name), expected[name]
        assert got.shape == want.shape, f"{name}: {got.shape} samples, recorded {want.shape}"
        for channel, (g, w) in enumerate(zip(got.astype(np.float64), want.astype(np.float64))):
            error = np.linalg.norm(g - w) / max(np.linalg.norm(w), 1e-30)
            assert error <= TOLERANCE, f"{name} channel {channel} differs from the recording by {error:.2e} (rounding allows {TOLERANCE:.1e})"


@pytest.mark.parametrize("scene", SCENES, ids=lambda p: p.stem)
def test_a_golden_scene_renders_to_its_recorded_samples(scene):
    assert_matches_recording(scene)


def _rounded_otherwise(function, rng):
    """`function` whose array results are moved by up to 4 units in the last place, as another CPU's SIMD path may."""
    def moved(*args, **kwargs):
        out = function(*args, **kwargs)
        if isinstance(out, np.ndarray) and out.dtype.kind in "fc":
            eps = np.finfo(out.dtype).eps
            out = (out * (1 + rng.uniform(-4, 4, out.shape) * eps)).astype(out.dtype)
        return out
    return moved


@pytest.mark.slow
@pytest.mark.parametrize("scene", SCENES, ids=lambda p: p.stem)
def test_a_golden_scene_holds_when_elementary_functions_round_differently(scene, monkeypatch):
    # a render must not hinge on the last bits of sin, cos, atan2 or exp (a tie between two HRIR facets once did)
    rng = np.random.default_rng(0)
    for name in ("sin", "cos", "arctan2", "hypot", "exp", "log", "sqrt", "power"):
        monkeypatch.setattr(np, name, _rounded_otherwise(getattr(np, name), rng))
    assert_matches_recording(scene)
