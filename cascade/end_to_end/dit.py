"""Diffusion transformer over codec latents (ImmerseDiffusion's design, small).

Latent frames are grouped `patch` at a time into tokens. Each block: self-attention over the tokens and a
gated (SwiGLU) MLP, both after a layer norm modulated by the global condition (timestep + pooled condition
tokens) with zero-initialised gates, and cross-attention to the condition tokens in between; every
sub-layer is a residual (skip) connection. The modulation is computed once for all blocks, each block adding
its own learned offsets (adaLN-single, PixArt-α), which saves 6 width² parameters per block. Tokens carry a
sinusoidal embedding of their time in seconds and an embedding of where they lie against the sound's span
(whether inside it, seconds since its start and until its end, each within ±4 s), so when a sound sounds is
read per token rather than inferred from global condition tokens. Predicts the rectified-flow velocity. Knows
nothing of scenes: tensors in, tensors out.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class DitConfig:
    """Sizes; `frame_rate` (latent frames per second) places each frame in time."""

    latent: int = 36
    width: int = 128
    depth: int = 4
    heads: int = 4
    patch: int = 2  # latent frames per token (width must exceed patch x latent: every noise value must pass through)
    frame_rate: float = 31.25

    @classmethod
    def from_dict(cls, data: dict) -> DitConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict:
        return asdict(self)


def sinusoidal(values: torch.Tensor, dims: int, max_period: float = 10_000.0) -> torch.Tensor:
    """(..., dims) sin/cos features of `values` at log-spaced periods from 1 to `max_period`."""
    half = dims // 2
    frequencies = torch.exp(-math.log(max_period) * torch.arange(half, device=values.device, dtype=torch.float32) / half)
    angles = values[..., None].float() * frequencies
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


class Attention(nn.Module):
    """Multi-head attention of `x` to `context` (itself when None), with an optional key mask (True = attend)."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(width, width)
        self.key_value = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        context = x if context is None else context
        b, n, d = x.shape
        q = self.query(x).view(b, n, self.heads, -1).transpose(1, 2)
        k, v = self.key_value(context).view(b, context.shape[1], 2, self.heads, -1).permute(2, 0, 3, 1, 4)
        attn_mask = mask[:, None, None, :] if mask is not None else None
        return self.out(F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask).transpose(1, 2).reshape(b, n, d))


class SwiGlu(nn.Module):
    """Gated MLP: (SiLU(x W1) * x W2) W3, hidden width 8/3 of the input (the parameters of a 4x plain MLP)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        hidden = int(8 * width / 3)
        self.gate_value = nn.Linear(width, 2 * hidden)
        self.out = nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, value = self.gate_value(x).chunk(2, dim=-1)
        return self.out(F.silu(gate) * value)


class Block(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.norm_self = nn.LayerNorm(width, elementwise_affine=False)
        self.self_attention = Attention(width, heads)
        self.norm_cross = nn.LayerNorm(width)
        self.cross_attention = Attention(width, heads)
        self.norm_mlp = nn.LayerNorm(width, elementwise_affine=False)
        self.mlp = SwiGlu(width)
        self.offsets = nn.Parameter(torch.zeros(6, width))

    def forward(self, x: torch.Tensor, modulation: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """modulation (b, 6, width): shift, scale and gate of the self-attention and MLP inputs, before this block's offsets."""
        shift1, scale1, gate1, shift2, scale2, gate2 = (modulation + self.offsets)[:, None].unbind(dim=2)
        x = x + gate1 * self.self_attention(self.norm_self(x) * (1 + scale1) + shift1)
        x = x + self.cross_attention(self.norm_cross(x), tokens, mask)
        return x + gate2 * self.mlp(self.norm_mlp(x) * (1 + scale2) + shift2)


class Dit(nn.Module):
    """v(x_t, t | condition tokens, global condition): (batch, latent, frames) -> (batch, latent, frames)."""

    def __init__(self, config: DitConfig) -> None:
        super().__init__()
        self.config = c = config
        self.project_in = nn.Linear(c.latent * c.patch, c.width)
        self.time = nn.Sequential(nn.Linear(c.width, c.width), nn.SiLU(), nn.Linear(c.width, c.width))
        self.span = nn.Sequential(nn.Linear(3, c.width), nn.SiLU(), nn.Linear(c.width, c.width))
        self.modulation = nn.Linear(c.width, 6 * c.width)
        self.blocks = nn.ModuleList([Block(c.width, c.heads) for _ in range(c.depth)])
        self.norm_out = nn.LayerNorm(c.width, elementwise_affine=False)
        self.modulation_out = nn.Linear(c.width, 2 * c.width)
        self.project_out = nn.Linear(c.width, c.latent * c.patch)
        for layer in (self.modulation, self.modulation_out, self.project_out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor, pooled: torch.Tensor,
                span: torch.Tensor) -> torch.Tensor:
        """x (b, latent, frames); t (b,) in [0, 1] (1 = noise); tokens (b, k, width) with mask (b, k); pooled (b, width);
        span (b, 2): the sound's start and end in seconds from the window's start."""
        b, channels, frames = x.shape
        p = self.config.patch
        x = F.pad(x, (0, -frames % p))
        seconds = (torch.arange(x.shape[-1] // p, device=x.device) * p + (p - 1) / 2) / self.config.frame_rate
        since = (seconds[None] - span[:, :1]).clamp(-4.0, 4.0)
        until = (span[:, 1:] - seconds[None]).clamp(-4.0, 4.0)
        inside = torch.sigmoid(since / 0.02) * torch.sigmoid(until / 0.02)
        h = self.project_in(x.reshape(b, channels, -1, p).permute(0, 2, 1, 3).flatten(2)) + sinusoidal(seconds * 100.0, self.config.width)
        h = h + self.span(torch.stack([inside, since / 4.0, until / 4.0], dim=-1))
        c = F.silu(self.time(sinusoidal(t * 1000.0, self.config.width)) + pooled)
        modulation = self.modulation(c).view(b, 6, -1)
        for block in self.blocks:
            h = block(h, modulation, tokens, mask)
        shift, scale = self.modulation_out(c)[:, None].chunk(2, dim=-1)
        out = self.project_out(self.norm_out(h) * (1 + scale) + shift)
        return out.view(b, -1, channels, p).permute(0, 2, 1, 3).flatten(2)[..., :frames]
