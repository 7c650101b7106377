"""FOA codec: a 1-D convolutional VAE over 4-channel AmbiX audio, after the Descript Audio Codec.

Encoder: a 7-tap convolution, then one block per stride (dilated residual units with Snake activations,
then a strided convolution that doubles the channels), then a convolution to the mean and log-variance
of `latent` channels at `sample_rate / hop` frames per second. Decoder: the mirror image with transposed
convolutions; its output is linear (no tanh), so levels above full scale and the exact inter-channel
ratios that carry direction pass through. Continuous bottleneck, no quantizer.

With `facing` (the default) the codec carries DirAC's parameters of each frame explicitly, as four more latent
channels: the intensity direction (x, y, z unit vector) and the diffuseness ψ (`facing.frame_parameters`).
The encoder turns the field so that every frame's direction lies ahead (`facing.face_front`, an exact FOA
rotation) and codes it as W and the departure from a plane wave from ahead (Y, Z, X - W); the decoder
scales its departure channels by √ψ, adds W back to X and turns the field back. A single plane wave (ψ = 0)
then keeps its direction exactly whatever the conv codec's error in timbre, and diffuse sound (rooms,
several sources) gets back as much of its off-axis energy as its diffuseness says. Knows nothing of scenes: (batch, 4, samples) in, (batch, latent_channels, frames) out, and back.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from cascade.end_to_end.facing import face_back, face_front, frame_parameters, per_sample


@dataclass(frozen=True)
class CodecConfig:
    """Sizes: `width` channels at the input rate, doubled by every stride; rates in Hz."""

    sample_rate: int = 16000
    channels: int = 4
    width: int = 16
    strides: tuple[int, ...] = (4, 4, 4, 8)
    latent: int = 32
    units: int = 2  # residual units per block, dilations 1, 3, 9, ...
    facing: bool = True  # code the field turned to face its per-frame direction; direction and diffuseness as 4 more latent channels
    smooth: int = 4  # frames either side the direction estimate is smoothed over

    @property
    def hop(self) -> int:
        """Input samples per latent frame."""
        return math.prod(self.strides)

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop

    @property
    def latent_channels(self) -> int:
        """Channels of a latent: the VAE's, then direction (3) and diffuseness (1) when `facing`."""
        return self.latent + 4 * self.facing

    @classmethod
    def from_dict(cls, data: dict) -> CodecConfig:
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if "strides" in values:
            values["strides"] = tuple(values["strides"])
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)


class Snake(nn.Module):
    """x + sin²(αx)/α with a learned α per channel (periodic inductive bias for audio)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.sin(self.alpha * x).pow(2) / (self.alpha + 1e-9)


def _conv(cin: int, cout: int, kernel: int, stride: int = 1, dilation: int = 1) -> nn.Module:
    padding = (kernel - stride) // 2 if stride > 1 else dilation * (kernel - 1) // 2
    return weight_norm(nn.Conv1d(cin, cout, kernel, stride, padding=padding, dilation=dilation))


class ResidualUnit(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.block = nn.Sequential(Snake(channels), _conv(channels, channels, 7, dilation=dilation),
                                   Snake(channels), _conv(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


def _units(channels: int, count: int) -> list[nn.Module]:
    return [ResidualUnit(channels, 3**k) for k in range(count)]


class Encoder(nn.Module):
    def __init__(self, c: CodecConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = [_conv(c.channels, c.width, 7)]
        width = c.width
        for stride in c.strides:
            layers += _units(width, c.units) + [Snake(width), _conv(width, 2 * width, 2 * stride, stride)]
            width *= 2
        layers += [Snake(width), _conv(width, 2 * c.latent, 3)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, c: CodecConfig) -> None:
        super().__init__()
        width = c.width * 2 ** len(c.strides)
        layers: list[nn.Module] = [_conv(c.latent, width, 7)]
        for stride in reversed(c.strides):
            up = weight_norm(nn.ConvTranspose1d(width, width // 2, 2 * stride, stride, padding=stride // 2 + stride % 2,
                                                output_padding=stride % 2))
            width //= 2
            layers += [Snake(2 * width), up, *_units(width, c.units)]
        layers += [Snake(width), _conv(width, c.channels, 7)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def _ahead_residual(audio: torch.Tensor, sign: float) -> torch.Tensor:
    """AmbiX with `sign` × W added to X: -1 gives a forward-facing field's departure from a plane wave from ahead, +1 undoes it."""
    w, y, z, x = audio.unbind(dim=1)
    return torch.stack([w, y, z, x + sign * w], dim=1)


class FoaCodec(nn.Module):
    """VAE: `encode` gives the posterior mean and log-variance, `decode` the waveform (linear output)."""

    def __init__(self, config: CodecConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def pad(self, audio: torch.Tensor) -> torch.Tensor:
        """Zero-pad the last axis to a whole number of frames."""
        extra = -audio.shape[-1] % self.config.hop
        return torch.nn.functional.pad(audio, (0, extra)) if extra else audio

    def encode(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, 4, n) -> mean (batch, latent_channels, ceil(n / hop)): the VAE's posterior mean, then the frame
        directions and diffuseness when `facing`; and the VAE's log-variance (batch, latent, ceil(n / hop))."""
        audio = self.pad(audio)
        c = self.config
        if not c.facing:
            mean, logvar = self.encoder(audio).chunk(2, dim=1)
            return mean, logvar.clamp(-30.0, 20.0)
        directions, diffuseness = (p.detach() for p in frame_parameters(audio, c.hop, c.smooth))
        mean, logvar = self.encoder(_ahead_residual(face_front(audio, directions, c.hop), -1.0)).chunk(2, dim=1)
        return torch.cat([mean, directions, diffuseness], dim=1), logvar.clamp(-30.0, 20.0)

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        """(batch, latent_channels, frames) -> (batch, 4, frames * hop)."""
        c = self.config
        audio = self.decoder(latent[:, : c.latent])
        if not c.facing:
            return audio
        gate = per_sample(latent[:, c.latent + 3 :].clamp(0.0, 1.0), c.hop, audio.shape[-1]).sqrt()
        audio = torch.cat([audio[:, :1], gate * audio[:, 1:]], dim=1)
        return face_back(_ahead_residual(audio, 1.0), latent[:, c.latent : c.latent + 3], c.hop)

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstruction (same length as `audio`) from a posterior sample, and the KL per element (mean)."""
        mean, logvar = self.encode(audio)
        vae = mean[:, : self.config.latent]
        sample = vae + torch.randn_like(vae) * torch.exp(0.5 * logvar)
        kl = 0.5 * (vae.pow(2) + logvar.exp() - 1.0 - logvar).mean()
        return self.decode(torch.cat([sample, mean[:, self.config.latent :]], dim=1))[..., : audio.shape[-1]], kl
