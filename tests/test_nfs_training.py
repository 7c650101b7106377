import json

import numpy as np
import pytest
import torch

from cascade.geometry import SPEED_OF_SOUND, unit_vectors
from cascade.training.nfs import LATERAL_DEG, draw_directions, filter_terms, head_fit, loss_terms, main
from renderers.hrir import HrirSet
from renderers.nfs import NfsRenderer, read_checkpoint

TINY = ["--set", "channels=4", "bands=16", "width=16", "blocks=1", "heads=2", "frame=512", "taps=256"]
RATE = 44100


def noise(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def test_eq5_loss_vanishes_only_for_the_target():
    x = torch.from_numpy(np.stack([noise(8000, 5), noise(8000, 6)]))[None] * 0.1
    same = loss_terms(x, x)
    assert all(float(v) < 1e-6 for v in same.values())
    shifted = loss_terms(torch.roll(x, 16, dims=-1), x)
    assert float(shifted["wave"]) > 1.0 and float(shifted["phase"]) > 0.5


def test_filter_terms_against_known_gains_and_delays():
    bins = 1025
    hz = np.linspace(0, RATE / 2, bins)
    target = torch.ones(3, 2, bins, dtype=torch.complex64)
    same = filter_terms(target, target, RATE)
    assert all(float(v) == pytest.approx(0.0, abs=1e-6) for v in same.values())
    louder = filter_terms(2 * target, target, RATE)
    assert float(louder["lsd"]) == pytest.approx(20 * np.log10(2), rel=1e-4)
    assert float(louder["wave"]) == pytest.approx(1.0, rel=1e-4)
    assert float(louder["ipd"]) == pytest.approx(0.0, abs=1e-5)
    tau = 2e-4  # the left ear 0.2 ms late: interaural phase 2π f τ, below π up to 1.5 kHz
    late = target.clone()
    late[:, 0] *= torch.from_numpy(np.exp(-2j * np.pi * hz * tau)).to(torch.complex64)
    band = (hz > 0) & (hz <= 1500)
    assert float(filter_terms(late, target, RATE)["ipd"]) == pytest.approx(np.mean(2 * np.pi * hz[band] * tau), rel=1e-3)


def test_head_fit_recovers_a_spherical_heads_radius_and_onset():
    rate, radius, onset, distance = 192000, 0.0912, 1.3e-3, 1.4
    azimuth, elevation = np.meshgrid(np.arange(-180.0, 180.0, 10.0), np.arange(-40.0, 61.0, 20.0))
    azimuth, elevation = azimuth.ravel(), elevation.ravel()
    hrirs = np.zeros((azimuth.size, 2, 1024), np.float32)
    for k, direction in enumerate(unit_vectors(azimuth, elevation)):
        for ear, side in enumerate((1.0, -1.0)):
            lateral = np.arcsin(np.clip(side * direction[1], -1, 1))  # angle toward this ear, Woodworth far field
            extra = -radius * np.sin(lateral) if lateral >= 0 else radius * -lateral
            hrirs[k, ear, int(round((onset + extra / SPEED_OF_SOUND) * rate))] = 1.0
    found_radius, found_onset = head_fit(HrirSet(azimuth, elevation, hrirs, rate, distance))
    assert found_radius == pytest.approx(radius, abs=1e-3)
    assert found_onset == pytest.approx(onset * 1e3, abs=0.02)


def test_training_directions_favour_the_horizontal_plane_and_the_interaural_axis():
    azimuth, elevation, distance = draw_directions(np.random.default_rng(0), 8000)
    lateral = np.degrees(np.arcsin(np.abs(unit_vectors(azimuth, elevation)[:, 1])))
    uniform_lateral = 1 - np.sin(np.radians(LATERAL_DEG))  # share of a uniform sphere that far from the median plane
    assert np.mean(lateral >= LATERAL_DEG) >= 0.25 + 0.5 * uniform_lateral - 0.02
    assert np.mean(np.abs(elevation) <= 20) >= 0.25 + 0.5 * np.sin(np.radians(20)) - 0.02
    assert distance.min() >= 1.0 and distance.max() <= 4.0


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train")
    out = folder / "tiny.pt"
    assert main(["--out", str(out), "--minutes", "5", "--steps", "4", "--eval-every", "2", "--val-clips", "2",
                 "--batch", "4", *TINY]) == 0
    return out


@pytest.mark.slow
def test_train_nfs_writes_checkpoint_curve_and_metrics(trained):
    metrics = json.loads(trained.with_suffix(".json").read_text())
    assert metrics["step"] == 4 and [h["step"] for h in metrics["history"]] == [0, 2, 4]
    assert metrics["config"]["channels"] == 4 and np.isfinite(metrics["history"][-1]["val"]["total"])
    assert trained.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert NfsRenderer(trained).config.sample_rate == RATE


@pytest.mark.slow
def test_resumed_stretches_train_exactly_like_one_run(trained, tmp_path):
    half = tmp_path / "half.pt"  # within the warm-up the learning rate does not depend on --steps
    assert main(["--out", str(half), "--minutes", "5", "--steps", "2", "--eval-every", "2", "--val-clips", "2",
                 "--batch", "4", *TINY]) == 0
    resumed = tmp_path / "resumed.pt"
    assert main(["--out", str(resumed), "--resume", str(half), "--steps", "4", "--minutes", "5"]) == 0
    one, two = read_checkpoint(trained), read_checkpoint(resumed)
    for key, value in one["state"].items():
        torch.testing.assert_close(two["state"][key], value, rtol=1e-5, atol=1e-6)
    assert two["training"]["step"] == 4 and len(two["training"]["runs"]) == 2


@pytest.mark.slow
def test_export_drops_training_state_and_halves_the_file(trained, tmp_path):
    out = tmp_path / "export.pt"
    assert main(["--export", str(trained), "--out", str(out), "--half"]) == 0
    assert "training" not in read_checkpoint(out)
    assert out.stat().st_size < 0.6 * trained.stat().st_size
    assert NfsRenderer(out).config == NfsRenderer(trained).config
