"""Training a DiT on the codec's latents with the rectified-flow objective and condition dropout.

Validation: the flow loss on held-out latents at fixed times and noise; and, on held-out anechoic single
sources (the probe), what the model generates for their conditions, measured on its latents and decoded audio:
- class accuracy: the nearest class centroid (cosine, mean log mel spectrum over the sounding frames,
  centroids from the training latents) names the probe's class;
- onset error (s): the first frame within 20 dB of the loudest against the conditioned start (probes that
  start inside the window);
- level error (dB): mel energy over the conditioned span against the probe's own;
- for the spatial modes, the direction of the decoded FOA against the label: L1 azimuth and elevation and the
  mean spatial angle (radians), and the right-hemisphere share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from cascade.end_to_end.codec import SpectralCodec, band_power
from cascade.end_to_end.conditioning import NUMBERS, SPATIAL_MODES, pad_tokens
from cascade.end_to_end.dit import DitConfig
from cascade.end_to_end.latents import LatentSet
from cascade.end_to_end.model import DEFAULT_GUIDANCE, DEFAULT_STEPS, Conditions, SpatialDiffusion
from cascade.end_to_end.sampler import flow_pair
from cascade.metrics import doa_errors
from cascade.wordings import class_of

VAL_TIMES = (0.1, 0.3, 0.5, 0.7, 0.9)
ONSET_DB = 20.0  # an onset is the first frame within this many dB of the loudest


def conditions_for(data: LatentSet, index: list[int], mode: str) -> Conditions:
    """The conditions of items `index`: captions (descriptive) or prompts (parametric, mono), and their numbers."""
    texts = [data.captions[i] if mode == "descriptive" else data.prompts[i] for i in index]
    text, mask = pad_tokens([data.embeddings[t] for t in texts])
    return Conditions(text, mask, data.numbers[index].float())


def frame_energy_db(latents: torch.Tensor, mels: int) -> torch.Tensor:
    """(b, frames) total mel power per frame in dB from codec latents (b, channels, frames)."""
    return 10.0 * torch.log10(band_power(latents, mels).sum(dim=1) + 1e-12)


def spectra(latents: torch.Tensor, mels: int) -> torch.Tensor:
    """(b, mels) mean log mel spectrum over each item's frames within 30 dB of its loudest, unit length."""
    energy = frame_energy_db(latents, mels)
    sounding = (energy >= energy.amax(dim=1, keepdim=True) - 30.0).float()
    mean = (latents[:, :mels].float() * sounding[:, None]).sum(-1) / sounding.sum(-1, keepdim=True).clamp_min(1.0)
    mean = mean - mean.mean(dim=1, keepdim=True)
    return mean / mean.norm(dim=1, keepdim=True).clamp_min(1e-6)


def onset_s(latents: torch.Tensor, mels: int, frame_rate: float) -> np.ndarray:
    """(b,) onset in seconds: the first frame within ONSET_DB of the item's loudest."""
    energy = frame_energy_db(latents, mels)
    first = (energy >= energy.amax(dim=1, keepdim=True) - ONSET_DB).float().argmax(dim=1)
    return first.numpy() / frame_rate


def span_level_db(latents: torch.Tensor, mels: int, frame_rate: float, start: np.ndarray, total: np.ndarray) -> np.ndarray:
    """(b,) mean mel power in dB over each item's conditioned span [start, start + total] within the window."""
    energy = 10.0 ** (frame_energy_db(latents, mels) / 10.0)
    frames = energy.shape[1]
    out = []
    for k in range(energy.shape[0]):
        a = int(np.clip(np.floor(max(start[k], 0.0) * frame_rate), 0, frames - 1))
        b = int(np.clip(np.ceil((start[k] + total[k]) * frame_rate), a + 1, frames))
        out.append(10.0 * np.log10(float(energy[k, a:b].mean()) + 1e-12))
    return np.array(out)


@dataclass
class DitTask:
    """DiT training on `train` latents; `val` latents for the loss, `probe` (anechoic single sources) for what it makes."""

    train: LatentSet
    val: LatentSet
    probe: LatentSet
    codec: SpectralCodec
    dit_config: DitConfig
    mode: str
    data_note: str = ""
    drop: float = 0.1  # share of items trained unconditionally (classifier-free guidance)
    kind: str = "dit"
    ema_decay: float | None = 0.998

    def __post_init__(self) -> None:
        latents = self.train.latents.float()
        self._mean, self._std = latents.mean(dim=(0, 2)), latents.std(dim=(0, 2)).clamp_min(1e-3)
        self.model: nn.Module = SpatialDiffusion(self.dit_config, self.mode, self._mean, self._std,
                                                 latents.amin(dim=(0, 2)), latents.amax(dim=(0, 2)))
        generator = torch.Generator().manual_seed(1234)
        self._val_noise = torch.randn(self.val.latents.shape, generator=generator)
        mels = self.codec.config.mels
        names = sorted({class_of(p) for p in self.train.prompts})
        features = spectra(latents, mels)
        labels = np.array([names.index(class_of(p)) for p in self.train.prompts])
        centroids = torch.stack([features[torch.from_numpy(labels == k)].mean(0) for k in range(len(names))])
        self._names, self._centroids = names, centroids / centroids.norm(dim=1, keepdim=True)

    def config(self) -> dict[str, Any]:
        return {"dit": self.dit_config.to_dict(), "mode": self.mode, "codec": self.codec.config.to_dict(),
                "frames": int(self.train.latents.shape[-1]), "text_model": "all-MiniLM-L6-v2 token embeddings",
                "numbers": list(NUMBERS), "objective": "rectified flow (v = noise - x0), logit-normal t",
                "steps": DEFAULT_STEPS, "guidance": DEFAULT_GUIDANCE, "condition_dropout": self.drop}

    def meta(self) -> dict[str, Any]:
        return {"train_items": len(self.train), "val_items": len(self.val), "probe_items": len(self.probe), "data": self.data_note}

    def batch(self, rng: np.random.Generator, size: int, device: torch.device) -> dict[str, Any]:
        index = rng.integers(0, len(self.train), size).tolist()
        x0 = (self.train.latents[index].float() - self._mean[:, None]) / self._std[:, None]
        t = torch.from_numpy(1.0 / (1.0 + np.exp(-rng.standard_normal(size)))).float()
        noise = torch.from_numpy(rng.standard_normal(x0.shape)).float()
        x_t, target = flow_pair(x0, t, noise)
        drop = torch.from_numpy(rng.uniform(size=size) < self.drop)
        return {"x": x_t.to(device), "t": t.to(device), "target": target.to(device), "drop": drop.to(device),
                "conditions": conditions_for(self.train, index, self.mode).to(device)}

    def loss(self, model: nn.Module, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        prediction = model(batch["x"], batch["t"], batch["conditions"], batch["drop"])
        return {"flow": (prediction - batch["target"]).pow(2).mean()}

    def validate(self, model: nn.Module) -> dict[str, float]:
        assert isinstance(model, SpatialDiffusion)
        device = next(model.parameters()).device
        losses = []
        for start in range(0, len(self.val), 32):
            index = list(range(start, min(start + 32, len(self.val))))
            x0 = model.normalise(self.val.latents[index].float().to(device))
            conditions = conditions_for(self.val, index, self.mode).to(device)
            for time in VAL_TIMES:
                t = torch.full((len(index),), time, device=device)
                x_t, target = flow_pair(x0, t, self._val_noise[index].to(device))
                losses.append(float((model(x_t, t, conditions) - target).pow(2).mean()))
        return {"flow": float(np.mean(losses)), **self.probe_figures(model)}

    def classify(self, latents: torch.Tensor) -> list[str]:
        """The nearest training-class centroid of each latent's mean log mel spectrum."""
        scores = spectra(latents, self.codec.config.mels) @ self._centroids.T
        return [self._names[k] for k in scores.argmax(dim=1).tolist()]

    def probe_figures(self, model: nn.Module) -> dict[str, float]:
        """What the model makes for the probe's conditions: class accuracy, median onset error (s), median |level error|
        (dB) and, for the spatial modes, mean direction errors (radians) and the right-hemisphere share."""
        assert isinstance(model, SpatialDiffusion)
        index = list(range(len(self.probe)))
        latents = model.generate(conditions_for(self.probe, index, self.mode), self.probe.latents.shape[-1], seeds=index).cpu()
        truth = self.probe.latents.float()
        c = self.codec.config
        numbers = self.probe.numbers.numpy()
        start, total = numbers[:, NUMBERS.index("start")], numbers[:, NUMBERS.index("total")]
        inside = start > 0.05
        onset_error = np.abs(onset_s(latents, c.mels, c.frame_rate) - start)[inside]
        level_error = span_level_db(latents, c.mels, c.frame_rate, start, total) - span_level_db(truth, c.mels, c.frame_rate, start, total)
        figures = {"probe_class": float(np.mean([n == class_of(p) for n, p in zip(self.classify(latents), self.probe.prompts)])),
                   "probe_onset_s": float(np.median(onset_error)) if onset_error.size else float("nan"),
                   "probe_level_db": float(np.median(np.abs(level_error)))}
        if self.mode in SPATIAL_MODES:
            foa = self.codec.decode(latents).numpy()
            rows = [doa_errors(foa[k], float(numbers[k, 0]), float(numbers[k, 1])) for k in index]
            figures |= {f"probe_{key}": float(np.mean([r[key] for r in rows])) for key in ("azimuth", "elevation", "angle", "hemisphere")}
        return figures
