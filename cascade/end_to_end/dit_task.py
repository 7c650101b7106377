"""Training a DiT on the frozen codec's latents with the rectified-flow objective and condition dropout.

Validation: the flow loss on held-out latents at fixed times and noise, and, on held-out anechoic single
sources, the direction of what the model generates (decoded by the codec) against the label: L1 azimuth
and elevation and the mean spatial angle (radians), and how often it lands in the right hemisphere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from cascade.end_to_end.codec import FoaCodec
from cascade.end_to_end.conditioning import NUMBERS, pad_tokens
from cascade.end_to_end.dit import DitConfig
from cascade.end_to_end.latents import LatentSet
from cascade.end_to_end.model import DEFAULT_GUIDANCE, DEFAULT_STEPS, Conditions, SpatialDiffusion
from cascade.end_to_end.sampler import flow_pair
from cascade.metrics import doa_errors

VAL_TIMES = (0.1, 0.3, 0.5, 0.7, 0.9)


def conditions_for(data: LatentSet, index: list[int], mode: str) -> Conditions:
    """The conditions of items `index`: prompts (parametric) or captions (descriptive), and their numbers."""
    texts = [data.prompts[i] if mode == "parametric" else data.captions[i] for i in index]
    text, mask = pad_tokens([data.embeddings[t] for t in texts])
    return Conditions(text, mask, data.numbers[index].float())


@dataclass
class DitTask:
    """DiT training on `train` latents; `val` latents for the loss, `probe` (anechoic single sources) for directions."""

    train: LatentSet
    val: LatentSet
    probe: LatentSet
    codec: FoaCodec
    dit_config: DitConfig
    mode: str
    codec_note: dict[str, Any] = field(default_factory=dict)
    data_note: str = ""
    drop: float = 0.1  # share of items trained unconditionally (classifier-free guidance)
    kind: str = "dit"
    ema_decay: float | None = 0.998

    def __post_init__(self) -> None:
        latents = self.train.latents.float()
        self._mean, self._std = latents.mean(dim=(0, 2)), latents.std(dim=(0, 2)).clamp_min(1e-3)
        self.model: nn.Module = SpatialDiffusion(self.dit_config, self.mode, self._mean, self._std)
        self.codec.eval()
        generator = torch.Generator().manual_seed(1234)
        self._val_noise = torch.randn(self.val.latents.shape, generator=generator)

    def config(self) -> dict[str, Any]:
        return {"dit": self.dit_config.to_dict(), "mode": self.mode, "codec": self.codec_note,
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
        return {"flow": float(np.mean(losses)), **self.probe_directions(model)}

    def probe_directions(self, model: nn.Module) -> dict[str, float]:
        """Mean direction errors (radians) of generations for the probe items, and the right-hemisphere share."""
        assert isinstance(model, SpatialDiffusion)
        index = list(range(len(self.probe)))
        latents = model.generate(conditions_for(self.probe, index, self.mode), self.probe.latents.shape[-1], seeds=index)
        foa = self.codec.decode(latents.cpu()).numpy()
        rows = [doa_errors(foa[k], float(self.probe.numbers[k, 0]), float(self.probe.numbers[k, 1])) for k in index]
        return {f"probe_{key}": float(np.mean([r[key] for r in rows])) for key in ("azimuth", "elevation", "angle", "hemisphere")}
