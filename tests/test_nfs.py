import json

import numpy as np
import pytest
import torch

from cascade.geometry import SPEED_OF_SOUND
from cascade.metrics import ild, itd
from renderers import RendererError, get
from renderers.hrtf import HrtfRenderer
from renderers.nfs import NeuralFourierShift, NfsConfig, NfsRenderer, frame_count
from renderers.path import SourcePath

CONFIG = NfsConfig(channels=4, bands=16, width=16, blocks=1, heads=2)
RATE = CONFIG.sample_rate


def zeroed() -> NeuralFourierShift:
    model = NeuralFourierShift(CONFIG)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    return model.eval()


def noise(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def band_limited(n: int, seed: int = 0, top: float = 0.35) -> np.ndarray:
    """Noise without energy above `top` × the sample rate, where a fractional delay is well defined."""
    spectrum = np.fft.rfft(noise(n, seed))
    spectrum[np.fft.rfftfreq(n) > top] = 0.0
    return np.fft.irfft(spectrum, n).astype(np.float32)


def delayed(x: np.ndarray, delay: float, length: int) -> np.ndarray:
    """x delayed by `delay` samples (band-limited, via a long zero-padded DFT)."""
    size = 1 << int(np.ceil(np.log2(4 * length)))
    phase = np.exp(-2j * np.pi * np.fft.rfftfreq(size) * delay)
    return np.fft.irfft(np.fft.rfft(x, size) * phase, size)[:length]


def ear_path(r: float, azimuth: float, ear_azimuth: float, a: float = CONFIG.head_radius) -> float:
    """Woodworth path (m) from a horizontal source at (r, azimuth) to the ear at ear_azimuth (±90°) on a sphere of radius a."""
    angle = np.radians(abs((azimuth - ear_azimuth + 180.0) % 360.0 - 180.0))
    tangent = np.arccos(a / r)
    if angle <= tangent:
        return float(np.sqrt(r * r + a * a - 2 * r * a * np.cos(angle)))
    return float(np.sqrt(r * r - a * a) + a * (angle - tangent))


def run(model: NeuralFourierShift, x: np.ndarray, position, length: int) -> np.ndarray:
    with torch.no_grad():
        out = model(torch.from_numpy(x)[None], torch.tensor([[position]], dtype=torch.float32), length)
    return out[0].numpy()


def test_frame_pipeline_shapes_and_causality():
    model = NeuralFourierShift(CONFIG).eval()
    n, length = 4000, 5000
    x = noise(n)
    positions = torch.randn(2, frame_count(n, CONFIG), 3) + torch.tensor([2.0, 0.0, 0.0])
    with torch.no_grad():
        out = model(torch.from_numpy(np.stack([x, x])), positions, length)
    assert out.shape == (2, 2, length)
    k = 3000
    y = x.copy()
    y[k:] += noise(n - k, seed=1)
    a, b = run(model, x, [1.0, 0.5, 0.0], length), run(model, y, [1.0, 0.5, 0.0], length)
    earliest = k - CONFIG.frame  # first sample of the earliest frame that holds input sample k
    assert np.array_equal(a[:, :earliest], b[:, :earliest])
    assert not np.allclose(a[:, k:], b[:, k:])


@pytest.mark.parametrize("azimuth", [0.0, 90.0, -40.0])
def test_zeroed_network_is_pure_delay_with_distance_gain(azimuth):
    r = 2.0
    rad = np.radians(azimuth)
    source = np.array([np.cos(rad), np.sin(rad), 0.0]) * r
    x = band_limited(6000)
    out = run(zeroed(), x, source.tolist(), 7000)
    for ear, side in zip(out, (90.0, -90.0)):
        flight = ear_path(r, azimuth, side) / SPEED_OF_SOUND * RATE
        expected = delayed(x, flight, 7000) * CONFIG.reference_distance / r
        inner = slice(CONFIG.frame, 6000)
        error = np.sqrt(np.mean((ear[inner] - expected[inner]) ** 2) / np.mean(expected[inner] ** 2))
        assert error < 0.005


def test_zeroed_network_energy_falls_as_inverse_square_and_delay_grows_r_over_c():
    r = 1.0
    x = noise(8000)
    near, far = run(zeroed(), x, [r, 0.0, 0.0], 9000)[0], run(zeroed(), x, [2 * r, 0.0, 0.0], 9000)[0]
    assert 10 * np.log10(np.sum(near**2) / np.sum(far**2)) == pytest.approx(20 * np.log10(2), abs=0.1)
    lag = itd(np.stack([near, far]), RATE, max_itd=0.01)
    assert lag == pytest.approx((ear_path(2 * r, 0.0, 90.0) - ear_path(r, 0.0, 90.0)) / SPEED_OF_SOUND, abs=2e-5)
    assert lag == pytest.approx(r / SPEED_OF_SOUND, rel=0.01)


def test_missing_or_corrupt_checkpoint_is_one_line_renderer_error(tmp_path):
    with pytest.raises(RendererError, match="not found"):
        NfsRenderer(tmp_path / "none.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(RendererError) as error:
        NfsRenderer(bad)
    assert "\n" not in str(error.value)


@pytest.fixture(scope="module")
def shipped() -> NfsRenderer:
    return get("nfs")


@pytest.mark.parametrize("azimuth", [90.0, -90.0])
def test_shipped_checkpoint_lateral_itd_matches_kemar(shipped, azimuth):
    x = noise(44100, seed=3) * 0.1
    path = SourcePath.static(azimuth, 0.0, 1.4)
    out = shipped.render(x, 44100, path)
    assert out.dtype == np.float32 and out.shape[0] == 2
    kemar = itd(HrtfRenderer().render(x, 44100, path), 44100)
    found = itd(out, 44100)
    assert np.sign(found) == np.sign(azimuth) == np.sign(ild(out))
    assert found == pytest.approx(kemar, rel=0.2)


def test_shipped_checkpoint_moving_source_itd_changes_sign(shipped):
    x = noise(4 * RATE, seed=4) * 0.1
    path = SourcePath.from_keys([0.0, 4.0], [90.0, -90.0], [0.0, 0.0], [1.5, 1.5])
    out = shipped.render(x, RATE, path)
    assert itd(out[:, : RATE], RATE) > 2e-4
    assert itd(out[:, 3 * RATE : 4 * RATE], RATE) < -2e-4


def test_training_loss_vanishes_only_for_the_target():
    from renderers.nfs_train import loss_terms

    x = torch.from_numpy(np.stack([noise(8000, 5), noise(8000, 6)]))[None] * 0.1
    same = loss_terms(x, x)
    assert all(float(v) < 1e-6 for v in same.values())
    shifted = loss_terms(torch.roll(x, 16, dims=-1), x)
    assert float(shifted["wave"]) > 1.0 and float(shifted["phase"]) > 0.5


def test_train_nfs_writes_a_loadable_checkpoint_and_its_metrics(tmp_path):
    from renderers.nfs_train import main

    out = tmp_path / "tiny.pt"
    tiny = ["--set", "channels=4", "bands=16", "width=16", "blocks=1", "heads=2"]
    assert main(["--data", str(tmp_path / "data"), "--out", str(out), "--clips", "24", "--minutes", "0.02", *tiny]) == 0
    metrics = json.loads(out.with_suffix(".json").read_text())
    assert metrics["steps"] >= 1 and metrics["config"]["channels"] == 4 and metrics["data"]["clips_train"] == 18
    assert np.isfinite(metrics["final_val"]["total"])
    resumed = tmp_path / "resumed.pt"
    assert main(["--data", str(tmp_path / "data"), "--out", str(resumed), "--resume", str(out), "--minutes", "0.01"]) == 0
    assert NfsRenderer(resumed).config == NfsRenderer(out).config
    assert json.loads(resumed.with_suffix(".json").read_text())["earlier_run"] == metrics
    from cascade.cli import main as cascade

    with pytest.raises(SystemExit) as exit_info:
        cascade(["train-nfs", "--data", str(tmp_path / "data"), "--set", "colour=blue"])
    assert exit_info.value.code == 2
