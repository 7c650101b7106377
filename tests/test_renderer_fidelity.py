"""The fidelity benchmark's own measuring parts: alignment and the error metrics, against known answers."""

import numpy as np
import pytest

from benchmarks.renderer_fidelity import RATE, align, fidelity


def binaural_noise(n: int = RATE, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((2, n)).astype(np.float32) * 0.1


@pytest.mark.parametrize("lag", [-37, 0, 12])
def test_align_undoes_a_known_lag_and_gain(lag):
    reference = binaural_noise()
    render = 0.25 * np.roll(reference, -lag, axis=-1)
    aligned = align(render, reference)
    inner = slice(100, -100)
    np.testing.assert_allclose(aligned[:, inner], reference[:, inner], atol=1e-2)


@pytest.mark.slow
def test_metrics_are_zero_for_a_perfect_render_and_grow_with_error():
    reference = binaural_noise()
    perfect = fidelity(reference, reference)
    assert perfect["l2"] == 0 and perfect["mag"] == 0 and perfect["phs"] == pytest.approx(0, abs=1e-6)
    assert perfect["stft"] == pytest.approx(0, abs=1e-6)
    noisy = fidelity(reference + binaural_noise(seed=1) * 0.3, reference)
    unrelated = fidelity(binaural_noise(seed=2), reference)
    assert 0 < noisy["stft"] < unrelated["stft"] and 0 < noisy["phs"] < unrelated["phs"]
    assert unrelated["l2"] == pytest.approx(1e3 * 2 * 0.1**2, rel=0.05)  # two independent unit-variance 0.1 noises
    assert unrelated["phs"] == pytest.approx(np.pi / 2, rel=0.05)  # unrelated phases: mean |wrapped diff| = π/2
