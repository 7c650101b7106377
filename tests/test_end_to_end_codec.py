"""The FOA codec's shapes and output, and the codec loss's view of direction, against known answers."""

import numpy as np
import pytest
import torch

from cascade.end_to_end.codec import CodecConfig, FoaCodec
from cascade.end_to_end.facing import face_back, face_front, frame_parameters
from cascade.end_to_end.losses import codec_loss, intensity_distance, mel_basis, stft_distance
from cascade.geometry import unit_vectors
from cascade.metrics import foa_doa, spatial_angle
from renderers.foa import encode
from renderers.path import SourcePath

RATE = 16000
NOISE = np.random.default_rng(3).standard_normal(RATE // 2).astype(np.float32)


def _foa(azimuth: float, elevation: float = 0.0) -> torch.Tensor:
    return torch.from_numpy(encode(NOISE, RATE, SourcePath.static(azimuth, elevation, 1.0))[:, : NOISE.size])[None]


def test_latent_frames_are_samples_over_hop_rounded_up_and_decode_returns_hop_per_frame():
    config = CodecConfig(width=4, strides=(2, 4), latent=6, units=1)
    codec = FoaCodec(config)
    audio = torch.randn(3, 4, 8 * 10 + 5)
    mean, logvar = codec.encode(audio)
    assert config.latent_channels == 10 and mean.shape == (3, 10, 11) and logvar.shape == (3, 6, 11)
    assert codec.decode(mean).shape == (3, 4, 11 * 8)
    plain = FoaCodec(CodecConfig(width=4, strides=(2, 4), latent=6, units=1, facing=False))
    assert plain.encode(audio)[0].shape == (3, 6, 11)
    recon, kl = codec(audio)
    assert recon.shape == audio.shape and float(kl.detach()) >= 0.0


def test_default_hop_and_frame_rate():
    config = CodecConfig()
    assert config.hop == 512 and config.frame_rate == RATE / 512


@pytest.mark.parametrize(("azimuth", "elevation"), [(90.0, 0.0), (-135.0, 30.0), (10.0, -60.0), (180.0, 0.0)])
def test_the_latent_carries_a_static_sources_direction_and_the_coded_field_faces_ahead(azimuth, elevation):
    audio = _foa(azimuth, elevation)
    codec = FoaCodec(CodecConfig(width=4, strides=(2, 4), latent=6, units=1))
    latent = codec.encode(audio)[0][0].detach()
    assert torch.allclose(latent[6:9], torch.tensor(unit_vectors(azimuth, elevation), dtype=torch.float32)[:, None], atol=1e-5)
    assert float(latent[9].abs().max()) < 1e-4, "a plane wave is not diffuse"
    facing = face_front(audio, frame_parameters(audio, 8)[0], 8)[0]
    assert torch.allclose(facing[3], facing[0], atol=1e-5) and float(facing[1:3].abs().max()) < 1e-5, "X = W, Y = Z = 0: ahead"


@pytest.mark.parametrize(("azimuth", "elevation"), [(60.0, 10.0), (-100.0, -35.0)])
def test_even_an_untrained_codec_returns_a_plane_wave_from_where_it_came(azimuth, elevation):
    torch.manual_seed(1)
    codec = FoaCodec(CodecConfig(width=4, strides=(2, 4), latent=6, units=1))
    with torch.no_grad():
        recon = codec.decode(codec.encode(_foa(azimuth, elevation))[0])[0].numpy()
    measured = foa_doa(recon)
    assert spatial_angle(*measured, azimuth, elevation) < 0.1, "degrees"


def test_diffuseness_is_zero_for_a_plane_wave_and_near_one_for_a_diffuse_field():
    rng = np.random.default_rng(5)
    diffuse = rng.standard_normal((4, 32000)) * np.array([[1.0], [3 ** -0.5], [3 ** -0.5], [3 ** -0.5]])  # SN3D: X, Y, Z a third each
    _, psi = frame_parameters(torch.from_numpy(diffuse.astype(np.float32))[None], 512)
    assert float(psi[0, 0, 5:-5].mean()) > 0.85
    _, psi = frame_parameters(_foa(30.0, 20.0), 512)
    assert float(psi.max()) < 1e-4


def test_turning_back_undoes_turning_ahead_for_any_field_and_keeps_its_energy():
    audio = torch.randn(2, 4, 4000)
    directions = frame_parameters(audio, 64)[0]
    facing = face_front(audio, directions, 64)
    assert torch.allclose(face_back(facing, directions, 64), audio, atol=1e-5)
    assert torch.allclose(facing.pow(2).sum(), audio.pow(2).sum(), rtol=1e-5), "a rotation keeps the energy"
    assert torch.allclose(directions.norm(dim=1), torch.ones(2, directions.shape[-1]))


def test_a_silent_clip_faces_straight_ahead():
    directions, diffuseness = frame_parameters(torch.zeros(1, 4, 1024), 256)
    assert torch.equal(directions[0, :, 0], torch.tensor([1.0, 0.0, 0.0])) and float(diffuseness.max()) == 0.0


def test_decoder_output_is_linear_not_squashed():
    codec = FoaCodec(CodecConfig(width=4, strides=(2, 4), latent=6, units=1))
    last = codec.decoder.net[-1]
    with torch.no_grad():
        last.parametrizations.weight.original0.mul_(1e4)
    out = codec.decode(torch.randn(1, 10, 10)).detach()
    assert float(out.abs().max()) > 1.0, "a tanh would keep every sample inside (-1, 1)"


def test_per_channel_stft_cannot_tell_left_from_right_but_the_cardioids_can():
    left, right = _foa(90.0), _foa(-90.0)
    assert float(stft_distance(left, right)) < 1e-3, "|Y| is the same on either side"
    assert float(stft_distance(left, right, cardioids=True)) > 0.5
    assert float(stft_distance(left, left, cardioids=True)) < 1e-6


def test_intensity_distance_is_one_minus_the_cosine_of_the_directions_whatever_the_level():
    assert float(intensity_distance(_foa(90.0), _foa(90.0))) < 1e-6
    assert float(intensity_distance(3.0 * _foa(90.0), _foa(90.0))) < 1e-6
    assert abs(float(intensity_distance(_foa(90.0), _foa(0.0))) - 1.0) < 1e-4, "90 degrees apart"
    assert abs(float(intensity_distance(_foa(90.0), _foa(-90.0))) - 2.0) < 1e-4, "opposite"
    assert abs(float(intensity_distance(_foa(0.0, 60.0), _foa(0.0))) - (1 - 0.5)) < 1e-4, "cos 60° = 0.5"


def test_codec_loss_is_zero_for_a_perfect_reconstruction_apart_from_kl():
    target = _foa(30.0, 20.0)
    terms = codec_loss(target.clone(), target, torch.tensor(2.0), kl_weight=0.5)
    assert float(terms["stft"]) < 1e-6 and float(terms["wave"]) == 0.0 and float(terms["intensity"]) < 1e-6
    assert float(terms["kl"]) == 1.0


def test_mel_filters_are_triangles_up_to_one_that_cover_the_band():
    basis = mel_basis(RATE, 1024, 64)
    assert basis.shape == (64, 513) and float(basis.max()) <= 1.0
    assert bool((basis[32:].max(dim=1).values > 0.9).all()), "wide upper bands reach their peak on some bin"
    assert bool((basis.sum(dim=0)[2:-2] > 0).all()), "every bin but the edges falls in some band"
