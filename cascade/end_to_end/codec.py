"""The end-to-end model's codec: a fixed (not learned) spectral representation of AmbiX, after DirAC.

Encoding: per latent frame (`hop` samples at `sample_rate`), the log mel power spectrum of W (`mels` bands,
log10 of the power averaged over the frame's STFT frames, which come every `n_fft` / 4 samples) and, for
4-channel audio, DirAC's parameters of the frame: the unit intensity direction
(x front, y left, z up) and the diffuseness ψ in [0, 1] (`facing.frame_parameters`). A 1-channel codec (the
learned cascade's mono generator) keeps only the mel bands.

Decoding: each latent frame's mel powers repeated over its STFT frames and spread back over FFT bins (each bin a weighted
mean of the band densities that cover it), a phase found by fast Griffin-Lim (momentum 0.99) from a fixed random start, a per-frame gain
that brings each frame's mel energy back to the latent's, then DirAC synthesis: the directional part
W·√(1-ψ)·(y, z, x) and a diffuse part √(ψ/3)·W' per first-order channel, where W' are copies of W with
random STFT phase (decorrelated, same spectrogram). A single plane wave (ψ = 0) keeps its direction exactly;
a diffuse field keeps its diffuseness. Nothing is trained, so the decoder can only ignore its latent if the
latent is empty. Knows nothing of scenes: (batch, channels, samples) in, (batch, latent_channels, frames) out.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from functools import lru_cache

import torch
from torch import nn

from cascade.end_to_end.facing import frame_parameters, per_sample

FLOOR = 1e-8  # mel power added before log10: -80 dB re full-scale power per band, the latent's silence


@dataclass(frozen=True)
class CodecConfig:
    """A latent frame every `hop` samples at `sample_rate` Hz (a multiple of the STFT's hop, `n_fft` / 4); `mels` bands
    from `fmin` Hz to Nyquist; `channels` 4 (AmbiX: mels + direction + diffuseness) or 1 (mono: mels); `iterations`
    of Griffin-Lim; `smooth` latent frames either side the direction estimate is smoothed over."""

    sample_rate: int = 16000
    channels: int = 4
    n_fft: int = 1024
    hop: int = 512
    mels: int = 32
    fmin: float = 0.0
    iterations: int = 48
    smooth: int = 2

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop

    @property
    def latent_channels(self) -> int:
        """Mel bands, then direction (3) and diffuseness (1) for AmbiX."""
        return self.mels + (4 if self.channels == 4 else 0)

    @classmethod
    def from_dict(cls, data: dict) -> CodecConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict:
        return asdict(self)


def _hz_to_mel(hz: float) -> float:
    return 2595.0 * math.log10(1.0 + hz / 700.0)


def band_power(latent: torch.Tensor, mels: int) -> torch.Tensor:
    """(batch, mels, frames) mel power of latents (batch, channels, frames): the inverse of the log10 the codec takes."""
    return (10.0 ** latent[:, :mels].float() - FLOOR).clamp_min(0.0)


@lru_cache(maxsize=8)
def mel_filters(sample_rate: int, n_fft: int, mels: int, fmin: float) -> torch.Tensor:
    """(mels, n_fft // 2 + 1) triangular filters on the HTK mel scale from `fmin` to Nyquist, peak 1."""
    edges_mel = torch.linspace(_hz_to_mel(fmin), _hz_to_mel(sample_rate / 2), mels + 2, dtype=torch.float64)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    bins = torch.linspace(0.0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0).float()


class SpectralCodec(nn.Module):
    """`encode` (batch, channels, n) -> latent (batch, latent_channels, ceil(n / hop)); `decode` the way back."""

    filters: torch.Tensor
    spread: torch.Tensor
    window: torch.Tensor

    def __init__(self, config: CodecConfig = CodecConfig()) -> None:
        super().__init__()
        if config.channels not in (1, 4):
            raise ValueError(f"codec channels must be 1 or 4, got {config.channels}")
        if config.hop % (config.n_fft // 4):
            raise ValueError(f"codec hop must be a multiple of n_fft / 4 = {config.n_fft // 4}, got {config.hop}")
        self.config = c = config
        self.stft_hop = c.n_fft // 4
        self.ratio = c.hop // self.stft_hop  # STFT frames per latent frame
        filters = mel_filters(c.sample_rate, c.n_fft, c.mels, c.fmin)
        self.register_buffer("filters", filters, persistent=False)
        # bin power = sum over bands of weight(band, bin) x band power density (power / bins the band spans)
        weights = filters / filters.sum(dim=0, keepdim=True).clamp_min(1e-6)
        density = 1.0 / filters.sum(dim=1, keepdim=True).clamp_min(1e-6)
        self.register_buffer("spread", (weights * density).T.contiguous(), persistent=False)
        self.register_buffer("window", torch.hann_window(c.n_fft), persistent=False)

    @property
    def hop(self) -> int:
        return self.config.hop

    def frames(self, samples: int) -> int:
        return -(-samples // self.config.hop)

    def _stft(self, audio: torch.Tensor) -> torch.Tensor:
        """(..., n) -> complex (..., bins, n / stft_hop) for n a multiple of the STFT hop (frame k centred on sample k·hop)."""
        shape = audio.shape
        spec = torch.stft(audio.reshape(-1, shape[-1]), self.config.n_fft, self.stft_hop, window=self.window, center=True,
                          return_complex=True)
        spec = spec[..., : shape[-1] // self.stft_hop]
        return spec.reshape(*shape[:-1], *spec.shape[-2:])

    def _istft(self, spec: torch.Tensor, samples: int) -> torch.Tensor:
        """The inverse of `_stft`: (..., bins, frames) -> (..., samples)."""
        shape = spec.shape
        frames = torch.nn.functional.pad(spec.reshape(-1, *shape[-2:]), (0, 1))
        audio = torch.istft(frames, self.config.n_fft, self.stft_hop, window=self.window, center=True, length=samples)
        return audio.reshape(*shape[:-2], samples)

    def mel_power(self, audio: torch.Tensor) -> torch.Tensor:
        """(batch, n) -> mel power (batch, mels, STFT frames) of a signal already padded to whole frames."""
        return torch.einsum("mf,bft->bmt", self.filters, self._stft(audio).abs().pow(2))

    def pad(self, audio: torch.Tensor) -> torch.Tensor:
        extra = -audio.shape[-1] % self.config.hop
        return torch.nn.functional.pad(audio, (0, extra)) if extra else audio

    @torch.no_grad()
    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        """(batch, channels, n) -> (batch, latent_channels, ceil(n / hop)): log10 mel power of W (plus FLOOR), then the
        direction (x, y, z) and diffuseness of each frame for AmbiX."""
        c = self.config
        if audio.shape[1] != c.channels:
            raise ValueError(f"the codec takes {c.channels}-channel audio, got {audio.shape[1]} channels")
        audio = self.pad(audio.float())
        power = self.mel_power(audio[:, 0])
        power = power.reshape(*power.shape[:-1], -1, self.ratio).mean(dim=-1)
        mels = torch.log10(power + FLOOR)
        if c.channels == 1:
            return mels
        directions, diffuseness = frame_parameters(audio, c.hop, c.smooth)
        return torch.cat([mels, directions, diffuseness], dim=1)

    @torch.no_grad()
    def decode(self, latent: torch.Tensor, seed: int = 0) -> torch.Tensor:
        """(batch, latent_channels, frames) -> (batch, channels, frames * hop); `seed` fixes the random phases."""
        c = self.config
        generator = torch.Generator().manual_seed(seed)
        power = band_power(latent, c.mels).repeat_interleave(self.ratio, dim=-1)
        samples = latent.shape[-1] * c.hop
        w = self._griffin_lim(torch.einsum("fm,bmt->bft", self.spread, power).sqrt(), samples, generator)
        w = self._match_energy(w, power)
        if c.channels == 1:
            return w[:, None]
        directions = latent[:, c.mels : c.mels + 3]
        directions = directions / directions.norm(dim=1, keepdim=True).clamp_min(1e-6)
        psi = latent[:, c.mels + 3 :].clamp(0.0, 1.0)
        d = per_sample(directions, c.hop, samples)
        psi_n = per_sample(psi, c.hop, samples)[:, 0]
        spec = self._stft(w)
        diffuse = [self._istft(spec * torch.exp(2j * math.pi * torch.rand(spec.shape, generator=generator).to(spec.device)), samples)
                   for _ in range(3)]
        direct = w * (1.0 - psi_n).sqrt()
        spread = (psi_n / 3.0).sqrt()
        dx, dy, dz = d.unbind(dim=1)
        return torch.stack([w, direct * dy + spread * diffuse[0], direct * dz + spread * diffuse[1], direct * dx + spread * diffuse[2]], dim=1)

    def _griffin_lim(self, magnitude: torch.Tensor, samples: int, generator: torch.Generator) -> torch.Tensor:
        """A signal of `samples` whose STFT magnitude approaches `magnitude` (batch, bins, frames): fast Griffin-Lim."""
        phase = torch.exp(2j * math.pi * torch.rand(magnitude.shape, generator=generator)).to(magnitude.device)
        spec = magnitude * phase
        previous = torch.zeros_like(spec)
        for _ in range(self.config.iterations):
            rebuilt = self._stft(self._istft(spec, samples))
            accelerated = rebuilt + 0.99 * (rebuilt - previous)
            previous = rebuilt
            spec = magnitude * accelerated / accelerated.abs().clamp_min(1e-12)
        return self._istft(spec, samples)

    def _match_energy(self, w: torch.Tensor, power: torch.Tensor) -> torch.Tensor:
        """`w` with each frame's total mel energy brought to `power`'s (gain between 0.1 and 10, interpolated per sample)."""
        actual = self.mel_power(w).sum(dim=1, keepdim=True)
        target = power.sum(dim=1, keepdim=True)
        gain = ((target + 1e-12) / (actual + 1e-12)).sqrt().clamp(0.1, 10.0)
        return w * per_sample(gain, self.stft_hop, w.shape[-1])[:, 0]
