"""Codec losses and distances on (batch, 4, n) AmbiX waveforms (torch).

A per-channel multi-resolution STFT loss cannot see a channel's sign: a source on the left (Y = +W) and
its mirror on the right (Y = -W) have the same |Y|. The codec loss therefore also compares the six
first-order cardioids pointing along ±x, ±y, ±z, 0.5 (W + u·(X, Y, Z)), whose magnitudes do carry the
direction; they are linear in the channels, so their STFTs are sums of the channels' (no extra transform).
"""

from __future__ import annotations

from functools import lru_cache

import torch

RESOLUTIONS = ((2048, 512), (1024, 256), (512, 128), (256, 64))  # (FFT size, hop) in samples
EPS = 1e-5
# rows: W, Y, Z, X weights of the cardioids towards +x, -x, +y, -y, +z, -z (AmbiX SN3D)
CARDIOIDS = 0.5 * torch.tensor([[1, 0, 0, 1], [1, 0, 0, -1], [1, 1, 0, 0], [1, -1, 0, 0], [1, 0, 1, 0], [1, 0, -1, 0]],
                               dtype=torch.float32)


def stft(audio: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """Complex STFT (batch, channels, bins, frames) with a Hann window."""
    window = torch.hann_window(n_fft, device=audio.device, dtype=audio.dtype)
    spec = torch.stft(audio.reshape(-1, audio.shape[-1]), n_fft, hop, window=window, return_complex=True)
    return spec.reshape(*audio.shape[:-1], *spec.shape[-2:])


def _with_cardioids(spec: torch.Tensor) -> torch.Tensor:
    """The four channels' spectra followed by the six cardioids' (batch, 10, bins, frames)."""
    weights = CARDIOIDS.to(spec.device).to(spec.real.dtype)
    cardioids = torch.einsum("kc,bcft->bkft", weights.to(spec.dtype), spec)
    return torch.cat([spec, cardioids], dim=1)


def stft_distance(pred: torch.Tensor, target: torch.Tensor, cardioids: bool = False) -> torch.Tensor:
    """Mean over RESOLUTIONS of spectral convergence (over all channels at once, so a silent channel such as Z of a
    horizontal source does not divide by zero) plus the mean |log10 magnitude difference| over channels and bins."""
    total = pred.new_zeros(())
    for n_fft, hop in RESOLUTIONS:
        p, t = stft(pred, n_fft, hop), stft(target, n_fft, hop)
        if cardioids:
            p, t = _with_cardioids(p), _with_cardioids(t)
        mp, mt = p.abs(), t.abs()
        convergence = torch.linalg.vector_norm(mt - mp, dim=(-3, -2, -1)) / torch.linalg.vector_norm(mt, dim=(-3, -2, -1)).clamp_min(EPS)
        log = (torch.log10(mp + EPS) - torch.log10(mt + EPS)).abs().mean(dim=(-3, -2, -1))
        total = total + (convergence + log).mean()
    return total / len(RESOLUTIONS)


@lru_cache(maxsize=8)
def mel_basis(sample_rate: int, n_fft: int, bands: int) -> torch.Tensor:
    """(bands, n_fft // 2 + 1) triangular mel filters (HTK mel scale) from 0 Hz to Nyquist."""
    def mel(f: torch.Tensor) -> torch.Tensor:
        return 2595.0 * torch.log10(1.0 + f / 700.0)

    edges = torch.linspace(0.0, float(mel(torch.tensor(sample_rate / 2))), bands + 2)
    hz = 700.0 * (10 ** (edges / 2595.0) - 1.0)
    freqs = torch.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    low, centre, high = hz[:-2, None], hz[1:-1, None], hz[2:, None]
    rising = (freqs - low) / (centre - low)
    falling = (high - freqs) / (high - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def mel_distance(pred: torch.Tensor, target: torch.Tensor, sample_rate: int, n_fft: int = 1024, bands: int = 64) -> torch.Tensor:
    """Mean |log10 mel-magnitude difference| per channel (batch, channels), FFT 1024 / hop 256."""
    basis = mel_basis(sample_rate, n_fft, bands).to(pred.device, pred.dtype)
    p = torch.einsum("mf,bcft->bcmt", basis, stft(pred, n_fft, n_fft // 4).abs())
    t = torch.einsum("mf,bcft->bcmt", basis, stft(target, n_fft, n_fft // 4).abs())
    return (torch.log10(p + EPS) - torch.log10(t + EPS)).abs().mean(dim=(-2, -1))


def intensity_distance(pred: torch.Tensor, target: torch.Tensor, n_fft: int = 512, hop: int = 128) -> torch.Tensor:
    """1 - cosine between the active intensity vectors Re(W* (X, Y, Z)) of prediction and target in each STFT bin,
    averaged with the target's W energy as weight: 0 when every time-frequency bin points the same way."""
    def intensity(spec: torch.Tensor) -> torch.Tensor:
        w = spec[:, 0].conj()
        return torch.stack([(w * spec[:, c]).real for c in (3, 1, 2)], dim=1)

    p, t = stft(pred, n_fft, hop), stft(target, n_fft, hop)
    cosine = torch.nn.functional.cosine_similarity(intensity(p), intensity(t), dim=1, eps=1e-8)
    weight = t[:, 0].abs().pow(2)
    return ((1 - cosine) * weight).sum() / weight.sum().clamp_min(EPS)


def codec_loss(pred: torch.Tensor, target: torch.Tensor, kl: torch.Tensor, kl_weight: float) -> dict[str, torch.Tensor]:
    """Loss terms: per-channel and cardioid multi-resolution STFT, 10 × waveform L1 (relative to the target's mean
    |sample|), 10 × `intensity_distance` (the direction of every time-frequency bin), and the KL of the posterior
    times `kl_weight`."""
    scale = target.abs().mean().clamp_min(EPS)
    return {"stft": stft_distance(pred, target, cardioids=True), "wave": 10.0 * (pred - target).abs().mean() / scale,
            "intensity": 10.0 * intensity_distance(pred, target), "kl": kl_weight * kl}

