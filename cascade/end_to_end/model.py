"""The conditioned latent flow model: a conditioner and a DiT, with the latent statistics it was trained on.

    model = SpatialDiffusion(DitConfig(), "parametric", mean, std)
    latent = model.generate(conditions, frames=125, steps=16, guidance=2.0, seeds=[0])   # (b, latent, frames)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from cascade.end_to_end.conditioning import NUMBERS, Conditioner
from cascade.end_to_end.dit import Dit, DitConfig
from cascade.end_to_end.sampler import guided, sample

DEFAULT_STEPS = 16
DEFAULT_GUIDANCE = 2.0  # chosen on the training probe: 3 made generations 7 dB louder than asked


@dataclass
class Conditions:
    """A batch of conditions: MiniLM token embeddings (b, l, 384) with their mask (b, l), numbers (b, 7) in
    conditioning.NUMBERS order (NaN where absent)."""

    text: torch.Tensor
    text_mask: torch.Tensor
    numbers: torch.Tensor

    def to(self, device: torch.device) -> Conditions:
        return Conditions(self.text.to(device), self.text_mask.to(device), self.numbers.to(device))

    def repeat(self) -> Conditions:
        """The batch twice over (conditional, then unconditional copies)."""
        return Conditions(torch.cat([self.text, self.text]), torch.cat([self.text_mask, self.text_mask]),
                          torch.cat([self.numbers, self.numbers]))


class SpatialDiffusion(nn.Module):
    """Velocity of normalised latents given conditions; `mean` and `std` (latent,) map codec latents to unit scale."""

    mean: torch.Tensor
    std: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor

    def __init__(self, config: DitConfig, mode: str, mean: torch.Tensor | None = None, std: torch.Tensor | None = None,
                 low: torch.Tensor | None = None, high: torch.Tensor | None = None) -> None:
        super().__init__()
        self.config, self.mode = config, mode
        self.conditioner = Conditioner(mode, config.width)
        self.dit = Dit(config)
        self.register_buffer("mean", torch.zeros(config.latent) if mean is None else mean.float().clone())
        self.register_buffer("std", torch.ones(config.latent) if std is None else std.float().clone())
        self.register_buffer("low", torch.full((config.latent,), -torch.inf) if low is None else low.float().clone())
        self.register_buffer("high", torch.full((config.latent,), torch.inf) if high is None else high.float().clone())

    def normalise(self, latent: torch.Tensor) -> torch.Tensor:
        return (latent - self.mean[:, None]) / self.std[:, None]

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std[:, None] + self.mean[:, None]

    def forward(self, x: torch.Tensor, t: torch.Tensor, conditions: Conditions, drop: torch.Tensor | None = None) -> torch.Tensor:
        """Velocity (b, latent, frames) at noisy normalised latents `x` and times `t` (b,); `drop` (b,) bool makes an
        item unconditional."""
        tokens, mask, pooled = self.conditioner(conditions.text, conditions.text_mask, conditions.numbers, drop)
        start = conditions.numbers[:, NUMBERS.index("start")]
        span = torch.stack([start, start + conditions.numbers[:, NUMBERS.index("total")]], dim=1)
        return self.dit(x, t, tokens, mask, pooled, torch.nan_to_num(span))

    def guided_velocity(self, conditions: Conditions, guidance: float) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """v_u + guidance (v_c - v_u) for the batch `conditions`, conditional and unconditional in one forward pass."""
        both = conditions.repeat()
        b = conditions.numbers.shape[0]
        drop = torch.cat([torch.zeros(b, dtype=torch.bool), torch.ones(b, dtype=torch.bool)]).to(conditions.numbers.device)

        return guided(lambda x, t: self(x, t, both, drop), guidance)

    @torch.no_grad()
    def generate(self, conditions: Conditions, frames: int, steps: int = DEFAULT_STEPS, guidance: float = DEFAULT_GUIDANCE,
                 seeds: list[int] | None = None, progress: Callable[[int], None] | None = None) -> torch.Tensor:
        """Codec latents (b, latent, frames) sampled from noise drawn per item from `seeds` (default 0, 1, ...), each channel
        kept within the range it spanned in training."""
        b = conditions.numbers.shape[0]
        device = self.mean.device
        seeds = list(range(b)) if seeds is None else seeds
        noise = torch.stack([torch.randn(self.config.latent, frames, generator=torch.Generator().manual_seed(int(s) % 2**63))
                             for s in seeds]).to(device)
        x = sample(self.guided_velocity(conditions.to(device), guidance), noise, steps, progress=progress)
        return torch.maximum(torch.minimum(self.denormalise(x), self.high[:, None]), self.low[:, None])
