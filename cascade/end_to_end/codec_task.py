"""Training the FOA codec: random sounding crops of FOA windows, rotated about the vertical axis and sign-flipped
(both exact for a sound field), reconstructed through the VAE; validation on anechoic single sources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from cascade.end_to_end.codec import CodecConfig, FoaCodec
from cascade.end_to_end.losses import codec_loss, mel_distance, stft_distance
from cascade.metrics import foa_doa, spatial_angle
from renderers.foa import rotate

LEVEL_DBFS = -23.0  # W-channel RMS every training crop is brought to (± 6 dB)


def sounding_crop(foa: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A (4, length) crop of `foa` (4, n), drawn among the starts whose W energy is at least a quarter of the
    loudest crop's, so a crop never holds only the silence around a short event."""
    step = max(1, length // 16)
    cumulative = np.concatenate([[0.0], np.cumsum(foa[0].astype(np.float64) ** 2)])
    energy = (cumulative[length:] - cumulative[:-length])[::step]
    starts = np.flatnonzero(energy >= 0.25 * energy.max()) * step
    at = int(rng.choice(starts))
    return foa[:, at : at + length]


def codec_distances(codec: FoaCodec, audio: torch.Tensor) -> dict[str, Any]:
    """Reconstruct `audio` (k, 4, n) from the posterior mean; per-item STFT distance (per channel, no cardioids),
    mel distance per channel (k, 4), and the great-circle angle (degrees) between input and output intensity DoA."""
    mean, _ = codec.encode(audio)
    recon = codec.decode(mean)[..., : audio.shape[-1]]
    stft = torch.stack([stft_distance(recon[k : k + 1], audio[k : k + 1]) for k in range(audio.shape[0])])
    mel = mel_distance(recon, audio, codec.config.sample_rate)
    angles = []
    for k in range(audio.shape[0]):
        (az_in, el_in), (az_out, el_out) = foa_doa(audio[k].numpy()), foa_doa(recon[k].numpy())
        angles.append(float(spatial_angle(az_in, el_in, az_out, el_out)))
    return {"stft": stft.numpy(), "mel": mel.numpy(), "angle": np.array(angles), "recon": recon}


@dataclass
class CodecTask:
    """Codec training on `train` FOA windows (k, 4, n) float16; `val` (k, 4, n) anechoic single-source crops."""

    train: np.ndarray
    val: np.ndarray
    codec_config: CodecConfig
    segment: float = 1.0  # s per training crop
    kl_weight: float = 1e-3
    data_note: str = ""
    kind: str = "codec"
    ema_decay: float | None = None

    def __post_init__(self) -> None:
        self.model: nn.Module = FoaCodec(self.codec_config)
        self._val = torch.from_numpy(self.val.astype(np.float32))

    def config(self) -> dict[str, Any]:
        return self.codec_config.to_dict()

    def meta(self) -> dict[str, Any]:
        return {"segment_s": self.segment, "kl_weight": self.kl_weight, "train_windows": int(self.train.shape[0]),
                "window_s": self.train.shape[-1] / self.codec_config.sample_rate, "val_crops": int(self.val.shape[0]),
                "data": self.data_note, "augmentation": "crop levelled to W RMS -23 dBFS ± 6 dB, random yaw rotation, sign flip",
                "loss": "per-channel + 6-cardioid multi-resolution STFT, 10 × relative waveform L1, 10 × intensity-direction distance, KL"}

    def batch(self, rng: np.random.Generator, size: int, device: torch.device) -> torch.Tensor:
        length = int(round(self.segment * self.codec_config.sample_rate))
        crops = []
        for index in rng.integers(0, self.train.shape[0], size):
            crop = rotate(sounding_crop(self.train[index], length, rng).astype(np.float32), float(rng.uniform(-180, 180)))
            level = 10 ** ((LEVEL_DBFS + rng.uniform(-6, 6)) / 20) / max(float(np.sqrt(np.mean(crop[0] ** 2))), 1e-6)
            crops.append(crop * float(rng.choice([-1.0, 1.0])) * level)
        return torch.from_numpy(np.stack(crops)).to(device)

    def loss(self, model: nn.Module, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        recon, kl = model(batch)
        return codec_loss(recon, batch, kl, self.kl_weight)

    def validate(self, model: nn.Module) -> dict[str, float]:
        codec = model.module if hasattr(model, "module") else model
        assert isinstance(codec, FoaCodec)
        parts = [codec_distances(codec, self._val[k : k + 8]) for k in range(0, self._val.shape[0], 8)]
        return {"stft": float(np.mean(np.concatenate([p["stft"] for p in parts]))),
                "mel": float(np.mean(np.concatenate([p["mel"] for p in parts]))),
                "direction_median_deg": float(np.median(np.concatenate([p["angle"] for p in parts])))}
