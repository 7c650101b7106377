
from dataclasses import asdict

import numpy as np
import pytest
import torch

from cascade.geometry import SPEED_OF_SOUND
from cascade.metrics import ild, itd
from renderers import RendererError, get
from renderers.hrtf import HrtfRenderer
from renderers.nfs import NeuralFourierShift, NfsConfig, NfsRenderer, frame_count, key_frames, save_checkpoint
from renderers.path import SourcePath

CONFIG = NfsConfig(channels=4, bands=16, width=16, blocks=1, heads=2)
RATE = CONFIG.sample_rate


def zeroed(config: NfsConfig = CONFIG) -> NeuralFourierShift:
    model = NeuralFourierShift(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    return model.eval()


def noise(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def band_limited(n: int, seed: int = 0, low: float = 0.0, high: float = 0.35) -> np.ndarray:
    """Noise with energy only between `low` and `high` × the sample rate."""
    spectrum = np.fft.rfft(noise(n, seed))
    frequency = np.fft.rfftfreq(n)
    spectrum[(frequency < low) | (frequency > high)] = 0.0
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
    """Output for one source at `position` (3,) or at positions (P, 3), one per frame."""
    positions = torch.tensor(position, dtype=torch.float32).reshape(1, -1, 3)
    with torch.no_grad():
        return model(torch.from_numpy(x)[None], positions, length)[0].numpy()


def random_model(seed: int = 0, spread: float = 3.0, config: NfsConfig = CONFIG) -> NeuralFourierShift:
    """An untrained model with its Shifter's head scaled up, so its delays jump across the whole range from bin to bin."""
    torch.manual_seed(seed)
    model = NeuralFourierShift(config)
    with torch.no_grad():
        model.shift_head[1].weight.normal_(0.0, spread)
        model.scale_head[1].weight.normal_(0.0, 0.1)
    return model.eval()


@pytest.mark.slow
def test_frame_pipeline_shapes_and_causality():
    model = random_model()
    n, length = 20000, 22000
    x = noise(n)
    positions = torch.randn(2, frame_count(n, CONFIG), 3) + torch.tensor([2.0, 0.0, 0.0])
    with torch.no_grad():
        out = model(torch.from_numpy(np.stack([x, x])), positions, length)
    assert out.shape == (2, 2, length)
    k = 12000
    y = x.copy()
    y[k:] += noise(n - k, seed=1)
    for position in ([[1.0, 0.5, 0.0]], [[1.0, 0.5, 0.0]] * frame_count(n, CONFIG)):  # static, and framed
        a, b = run(model, x, position, length), run(model, y, position, length)
        earliest = k - CONFIG.latency  # a filter starts `latency` samples before the sound reaches the head centre
        np.testing.assert_allclose(a[:, :earliest], b[:, :earliest], atol=1e-6 * np.abs(a).max())
        assert not np.allclose(a[:, k:], b[:, k:])


@pytest.mark.slow
def test_framed_rendering_of_a_source_that_stays_put_is_one_convolution():
    """Hann frames at 50 % overlap sum to one, so a constant filter per frame is a plain convolution."""
    model = random_model(spread=6.0)
    n = 20000
    x = noise(n, seed=9)
    static = run(model, x, [[0.5, -1.0, 0.3]], n + CONFIG.taps)
    framed = run(model, x, [[0.5, -1.0, 0.3]] * frame_count(n, CONFIG), n + CONFIG.taps)
    np.testing.assert_allclose(framed, static, atol=1e-4 * np.abs(static).max())


def test_moving_source_keys_are_at_most_16_frames_and_about_5_degrees_apart():
    """The learned response of a moving source is computed at key frames and interpolated between: never
    further apart than 16 frames, nor than 5 degrees of turn (plus the one frame that crossed it)."""
    step = 0.9  # degrees per frame over the first 200 frames, then still for 100
    azimuth = np.radians(np.concatenate([np.arange(200) * step, np.full(100, 199 * step)]))
    positions = torch.tensor(np.stack([np.cos(azimuth), np.sin(azimuth), np.zeros_like(azimuth)], -1)[None] * 2.0)
    keys = key_frames(positions.float()).numpy()
    assert keys[0] == 0 and keys[-1] == 299 and np.diff(keys).max() <= 16
    turn = np.degrees(np.diff(azimuth[keys]))
    assert turn.max() < 5.0 + step and np.all(np.diff(keys[keys >= 200][:-1]) == 16)


@pytest.mark.slow
def test_framed_rendering_is_time_invariant_and_leaks_no_frequency():
    """An LTI filter cannot create frequencies the input lacks: high-passed noise stays high-passed through the
    frames of a source that stays put, however wildly the (untrained) network shifts each bin. Filters as long
    as a frame are designed on the frame's own DFT, where an uncut filter would wrap around."""
    n = 40000
    x = band_limited(n, low=0.1, high=0.4)
    model = random_model(spread=6.0, config=NfsConfig(**(asdict(CONFIG) | {"taps": CONFIG.frame})))
    positions = [[0.3, 1.2, 0.4]] * frame_count(n, CONFIG)
    out = run(model, x, positions, n + CONFIG.frame)

    def low_share(signal: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(signal[..., 3000:35000] * np.blackman(32000), axis=-1)) ** 2
        frequency = np.fft.rfftfreq(32000)
        return float(spectrum[..., frequency < 0.05].sum() / spectrum[..., frequency > 0.1].sum())

    assert low_share(out) < 1e-8 and low_share(x) < 1e-8
    shifted = run(model, np.roll(x, 700), positions, n + CONFIG.frame)
    np.testing.assert_allclose(shifted[:, 5000:30000], out[:, 4300:29300], atol=1e-5 * np.abs(out).max())


@pytest.mark.parametrize("azimuth", [0.0, 90.0, -40.0])
@pytest.mark.slow
def test_zeroed_network_is_the_spherical_head_delay(azimuth):
    r = 2.0
    rad = np.radians(azimuth)
    source = np.array([np.cos(rad), np.sin(rad), 0.0]) * r
    x = band_limited(12000)
    out = run(zeroed(), x, source.tolist(), 13000)
    for ear, side in zip(out, (90.0, -90.0)):
        delay = (CONFIG.onset_ms * 1e-3 + (ear_path(r, azimuth, side) - r) / SPEED_OF_SOUND) * RATE
        expected = delayed(x, delay, 13000)
        inner = slice(CONFIG.frame, 10000)
        error = np.sqrt(np.mean((ear[inner] - expected[inner]) ** 2) / np.mean(expected[inner] ** 2))
        assert error < 0.005


@pytest.fixture(scope="module")
def zeroed_renderer(tmp_path_factory) -> NfsRenderer:
    path = tmp_path_factory.mktemp("nfs") / "zeroed.pt"
    save_checkpoint(zeroed(), path)
    return NfsRenderer(path)


@pytest.mark.slow
def test_zeroed_renderer_adds_travel_time_and_inverse_square_energy(zeroed_renderer):
    x = band_limited(RATE, high=0.3)  # inside the band where the fractional travel delay is flat
    near = zeroed_renderer.render(x, RATE, SourcePath.static(0.0, 0.0, 1.0))
    far = zeroed_renderer.render(x, RATE, SourcePath.static(0.0, 0.0, 2.0))
    assert 10 * np.log10(np.sum(near[0] ** 2) / np.sum(far[0] ** 2)) == pytest.approx(20 * np.log10(2), abs=0.1)
    n = min(near.shape[-1], far.shape[-1])
    lag = itd(np.stack([near[0, :n], far[0, :n]]), RATE, max_itd=0.01)
    assert lag == pytest.approx((ear_path(2.0, 0.0, 90.0) - ear_path(1.0, 0.0, 90.0)) / SPEED_OF_SOUND, abs=2e-5)
    assert np.sum(near[0] ** 2) / np.sum(x**2) == pytest.approx((CONFIG.reference_distance / 1.0) ** 2, rel=0.02)


def test_missing_corrupt_or_older_checkpoint_is_one_line_renderer_error(tmp_path):
    with pytest.raises(RendererError, match="not found"):
        NfsRenderer(tmp_path / "none.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    older = tmp_path / "older.pt"
    torch.save({"config": {"sample_rate": 16000, "frame": 512}, "state": {}}, older)
    for path, reason in ((bad, "unreadable"), (older, "older NFS")):
        with pytest.raises(RendererError, match=reason) as error:
            NfsRenderer(path)
        assert "\n" not in str(error.value)


def test_config_refuses_filters_longer_than_a_frame():
    with pytest.raises(RendererError, match="taps"):
        NfsConfig(frame=1024, taps=2048)


@pytest.fixture(scope="module")
def shipped() -> NfsRenderer:
    return get("nfs")


def test_shipped_checkpoint_is_full_band_and_small():
    from renderers.nfs import DEFAULT_CHECKPOINT

    assert get("nfs").config.sample_rate >= 44100
    assert DEFAULT_CHECKPOINT.stat().st_size < 10e6


@pytest.mark.slow
def test_shipped_checkpoint_keeps_the_octaves_above_8_khz(shipped):
    x = noise(RATE, seed=2) * 0.1
    path = SourcePath.static(30.0, 0.0, 1.5)

    def high_share(binaural: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(binaural, axis=-1)) ** 2
        return float(spectrum[:, np.fft.rfftfreq(binaural.shape[-1], 1 / RATE) > 8000].sum() / spectrum.sum())

    found, kemar = high_share(shipped.render(x, RATE, path)), high_share(HrtfRenderer().render(x, RATE, path))
    assert 10 * np.log10(found / kemar) == pytest.approx(0.0, abs=1.5)


@pytest.mark.parametrize("azimuth", [90.0, -90.0])
@pytest.mark.slow
def test_shipped_checkpoint_lateral_itd_matches_kemar(shipped, azimuth):
    x = noise(44100, seed=3) * 0.1
    path = SourcePath.static(azimuth, 0.0, 1.4)
    out = shipped.render(x, 44100, path)
    assert out.dtype == np.float32 and out.shape[0] == 2
    kemar = itd(HrtfRenderer().render(x, 44100, path), 44100)
    found = itd(out, 44100)
    assert np.sign(found) == np.sign(azimuth) == np.sign(ild(out))
    assert found == pytest.approx(kemar, rel=0.1)


def bird(seed: int) -> np.ndarray:
    from cascade.training.sources import procedural

    return procedural("bird", 2.0, seed, RATE)


@pytest.mark.parametrize("kind", ["low-passed noise", "high-passed noise", "bird"])
@pytest.mark.parametrize("azimuth", [60.0, -60.0])
@pytest.mark.slow
def test_shipped_checkpoint_itd_holds_for_band_limited_sources(shipped, kind, azimuth):
    """Sources with (almost) nothing below or above 1.5 kHz keep KEMAR's interaural delay (GCC-PHAT below 1.5 kHz)."""
    x = {"low-passed noise": band_limited(RATE, 4, high=1000 / RATE), "high-passed noise": band_limited(RATE, 5, low=3000 / RATE),
         "bird": bird(7)}[kind] * 0.1
    path = SourcePath.static(azimuth, 0.0, 1.5)
    kemar = itd(HrtfRenderer().render(x, RATE, path), RATE)
    found = itd(shipped.render(x, RATE, path), RATE)
    assert np.sign(found) == np.sign(kemar) == np.sign(azimuth)
    assert found == pytest.approx(kemar, rel=0.15)


@pytest.mark.slow
def test_shipped_checkpoint_at_48_khz_keeps_the_interaural_delay(shipped):
    x = noise(48000, seed=6) * 0.1
    path = SourcePath.static(-60.0, 10.0, 2.0)
    found, kemar = itd(shipped.render(x, 48000, path), 48000), itd(HrtfRenderer().render(x, 48000, path), 48000)
    assert found == pytest.approx(kemar, rel=0.1)


@pytest.mark.slow
def test_shipped_checkpoint_moving_source_itd_changes_sign(shipped):
    x = noise(4 * RATE, seed=4) * 0.1
    path = SourcePath.from_keys([0.0, 4.0], [90.0, -90.0], [0.0, 0.0], [1.5, 1.5])
    out = shipped.render(x, RATE, path)
    assert itd(out[:, : RATE], RATE) > 2e-4
    assert itd(out[:, 3 * RATE : 4 * RATE], RATE) < -2e-4


@pytest.mark.slow
def test_shipped_checkpoint_renders_a_source_with_its_room_images_once(shipped):
    x = noise(RATE, seed=8) * 0.1
    direct, image = SourcePath.static(20.0, 0.0, 2.0), SourcePath.static(-110.0, 5.0, 5.0)
    together = shipped.render_many(x, 48000, [(direct, 1.0), (image, 0.4)])
    apart = [shipped.render(x, 48000, direct), 0.4 * shipped.render(x, 48000, image)]
    summed = np.zeros_like(together)
    for part in apart:
        summed[:, : part.shape[-1]] += part
    np.testing.assert_allclose(together, summed, atol=2e-3 * np.abs(summed).max())


def test_cli_train_nfs_bad_setting_is_a_usage_error():
    from cascade.cli import main as cascade

    with pytest.raises(SystemExit) as exit_info:
        cascade(["train-nfs", "--minutes", "0", "--set", "colour=blue"])
    assert exit_info.value.code == 2


def test_train_nfs_default_output_is_the_users_cache_not_the_shipped_file(monkeypatch, tmp_path, capsys):
    from cascade.training import nfs as training

    monkeypatch.setenv("CASCADE_CACHE_DIR", str(tmp_path))
    seen = {}
    monkeypatch.setattr(training, "train", lambda out, *args, **kwargs: seen.setdefault("out", out))
    assert training.main(["--minutes", "0"]) == 0
    assert seen["out"] == tmp_path / "nfs" / "nfs.pt"
    with pytest.raises(SystemExit):
        training.main(["--help"])
    assert "$CASCADE_CACHE_DIR/nfs/nfs.pt" in capsys.readouterr().out.replace("\n", "").replace(" ", "")
