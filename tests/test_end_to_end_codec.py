"""The spectral codec: what goes in comes back (direction, level, onset, pitch, diffuseness) and the decoder follows its latent."""

import math

import numpy as np
import pytest
import torch

from cascade.end_to_end.codec import CodecConfig, SpectralCodec, mel_filters
from cascade.metrics import foa_doa, spatial_angle
from renderers import foa
from renderers.path import SourcePath

RATE = 16000
pytestmark = pytest.mark.slow  # Griffin-Lim runs take a second or more each


def _noise(seconds: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * RATE)).astype(np.float32) * 0.05


def _round_trip(codec: SpectralCodec, audio: np.ndarray) -> np.ndarray:
    return codec.decode(codec.encode(torch.from_numpy(audio[None])))[0].numpy()


@pytest.fixture(scope="module")
def codec():
    return SpectralCodec(CodecConfig(iterations=16))


@pytest.mark.parametrize(("azimuth", "elevation"), [(0.0, 0.0), (90.0, 0.0), (-135.0, 30.0), (60.0, -40.0)])
def test_a_plane_wave_keeps_its_direction(codec, azimuth, elevation):
    field = foa.encode(_noise(1.0), RATE, SourcePath.static(azimuth, elevation, 1.0))
    out = _round_trip(codec, field)
    az, el = foa_doa(out)
    assert spatial_angle(az, el, azimuth, elevation) < 1.0  # degrees


def test_level_and_onset_survive(codec):
    signal = np.zeros(2 * RATE, np.float32)
    signal[RATE:] = _noise(1.0, 3)
    out = _round_trip(codec, foa.encode(signal, RATE, SourcePath.static(30.0, 0.0, 1.0)))[0]
    level_in = 10 * np.log10(np.mean(signal[RATE:] ** 2))
    level_out = 10 * np.log10(np.mean(out[RATE:] ** 2))
    assert abs(level_out - level_in) < 0.5
    envelope = np.convolve(out**2, np.ones(80) / 80, mode="same")
    onset = np.argmax(envelope > 0.1 * envelope.max()) / RATE
    assert abs(onset - 1.0) < 0.04  # a latent frame is 32 ms, the STFT frame 64 ms: the smear must stay inside them


def test_a_tone_comes_back_within_its_mel_band(codec):
    """The representation keeps pitch to within one mel band: at 440 Hz, HTK mel spacing of 32 bands up to 8 kHz."""
    t = np.arange(RATE) / RATE
    tone = (0.1 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    out = _round_trip(codec, foa.encode(tone, RATE, SourcePath.static(0.0, 0.0, 1.0)))[0]
    spectrum = np.abs(np.fft.rfft(out * np.hanning(out.size)))
    spacing_mel = 2595 * math.log10(1 + 8000 / 700) / 33
    band_hz = spacing_mel * (700 + 440) * math.log(10) / 2595
    assert abs(np.argmax(spectrum) * RATE / out.size - 440.0) < band_hz


def test_diffuseness_is_measured_and_rebuilt(codec):
    rng = np.random.default_rng(5)
    diffuse = np.stack([rng.standard_normal(RATE)] + [rng.standard_normal(RATE) / math.sqrt(3) for _ in range(3)]).astype(np.float32) * 0.05
    latent = codec.encode(torch.from_numpy(diffuse[None]))
    assert float(latent[0, -1].median()) > 0.8
    plane = codec.encode(torch.from_numpy(foa.encode(_noise(1.0), RATE, SourcePath.static(45.0, 0.0, 1.0))[None]))
    assert float(plane[0, -1].median()) < 0.05
    rebuilt = codec.encode(codec.decode(latent))
    assert float(rebuilt[0, -1].median()) > 0.7


def test_the_decoder_follows_its_latent(codec):
    """Different inputs give different outputs, each nearer its own input's log-mel spectrum than the zero latent's decoding."""
    t = np.arange(RATE) / RATE
    low = foa.encode((0.1 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), RATE, SourcePath.static(0.0, 0.0, 1.0))
    high = foa.encode(_noise(1.0), RATE, SourcePath.static(0.0, 0.0, 1.0))
    latents = codec.encode(torch.from_numpy(np.stack([low, high])))
    decoded = codec.encode(codec.decode(latents))
    zero = codec.encode(codec.decode(torch.zeros_like(latents)))
    mels = codec.config.mels
    own = (decoded[:, :mels] - latents[:, :mels]).abs().mean(dim=(1, 2))
    crossed = (decoded.flip(0)[:, :mels] - latents[:, :mels]).abs().mean(dim=(1, 2))
    from_zero = (zero[:, :mels] - latents[:, :mels]).abs().mean(dim=(1, 2))
    assert torch.all(own < 0.5 * crossed) and torch.all(own < 0.5 * from_zero)


def test_the_mono_codec_codes_one_channel():
    mono = SpectralCodec(CodecConfig(channels=1, iterations=8))
    latent = mono.encode(torch.from_numpy(_noise(0.5)[None, None]))
    assert latent.shape == (1, 32, 16)
    assert mono.decode(latent).shape == (1, 1, 16 * 512)
    with pytest.raises(ValueError, match="1-channel"):
        mono.encode(torch.zeros(1, 4, 512))


def test_mel_filters_peak_at_their_htk_centres_and_cover_the_band():
    filters = mel_filters(RATE, 1024, 32, 0.0)
    assert filters.shape == (32, 513)
    top = 2595 * math.log10(1 + 8000 / 700)
    centres = [700 * (10 ** (top * (k + 1) / 33 / 2595) - 1) for k in range(32)]
    peaks = filters.argmax(dim=1).numpy() * RATE / 1024
    assert np.all(np.abs(peaks - centres) <= RATE / 1024 / 2 + 1e-6)
    assert bool((filters[:, 1:-1].sum(dim=0) > 0).all())
