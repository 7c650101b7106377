"""Conditioners: what the DiT's cross-attention sees, in ImmerseDiffusion's two modes.

parametric: the token embeddings of a non-spatial prompt ('a dog barks') and one token per number:
azimuth (as sin, cos), elevation, distance, room volume, RT60, start time, total time, gain (dB).
descriptive: the token embeddings of a spatial caption ('a dog barks behind me to the left, far away')
and the start and total times and the gain.
mono: the learned cascade's generator: the plain prompt with the start and total times and the gain, no position.

Text: the offline MiniLM model's token-level embeddings (384-d, `TextEncoder`), frozen, so words such as
'left' stay visible to cross-attention. Numbers arrive as a (batch, 7) tensor in NUMBERS order, NaN where
absent (no room); an absent number gets a learned 'absent' token. Condition dropout (for classifier-free
guidance) replaces the text and spatial tokens by one learned null token and keeps the timing and gain tokens,
so guidance sharpens what and where, not when or how loud.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from cascade import minilm

NUMBERS = ("azimuth", "elevation", "distance", "room_volume", "rt60", "start", "total", "gain")
TIMING = ("start", "total", "gain")  # kept under condition dropout
MODES = ("parametric", "descriptive", "mono")
SPATIAL_MODES = ("parametric", "descriptive")  # the end-to-end models; "mono" is the learned cascade's generator
TEXT_WIDTH = 384
MAX_TOKENS = 40


def normalised(name: str, value: torch.Tensor) -> torch.Tensor:
    """Each number on a scale of about [-1, 1]: degrees / 90, log distances, volumes and times, seconds / 4, dB / 20."""
    if name == "elevation":
        return value / 90.0
    if name == "distance":
        return torch.log(value.clamp_min(0.05) / 2.0) / math.log(10.0)
    if name == "room_volume":
        return (torch.log10(value.clamp_min(1.0)) - 2.5) / 1.5
    if name == "rt60":
        return torch.log2(value.clamp_min(0.05))
    if name == "gain":
        return value / 20.0
    return value / 4.0


class NumberEmbedder(nn.Module):
    """A number's Fourier features (the value and sin/cos at 2^0..2^5 cycles per unit) through a small MLP; a learned
    token where the number is absent (NaN). Azimuth enters as its (sin, cos)."""

    frequencies: torch.Tensor

    def __init__(self, name: str, width: int, octaves: int = 6) -> None:
        super().__init__()
        self.name = name
        dims = 2 if name == "azimuth" else 1
        self.register_buffer("frequencies", 2.0 ** torch.arange(octaves) * math.pi, persistent=False)
        self.mlp = nn.Sequential(nn.Linear(dims * (1 + 2 * octaves), width), nn.SiLU(), nn.Linear(width, width))
        self.absent = nn.Parameter(torch.randn(width) * 0.02)

    def forward(self, value: torch.Tensor) -> torch.Tensor:
        """value (b,) -> (b, width)."""
        missing = torch.isnan(value)
        value = torch.where(missing, torch.zeros_like(value), value)
        if self.name == "azimuth":
            radians = torch.deg2rad(value)
            v = torch.stack([radians.sin(), radians.cos()], dim=-1)
        else:
            v = normalised(self.name, value)[:, None]
        angles = (v[..., None] * self.frequencies).flatten(-2)
        embedded = self.mlp(torch.cat([v, angles.sin(), angles.cos()], dim=-1))
        return torch.where(missing[:, None], self.absent.expand_as(embedded), embedded)


class Conditioner(nn.Module):
    """Text tokens and numbers -> condition tokens (b, k, width), their mask (b, k) and a pooled vector (b, width)."""

    def __init__(self, mode: str, width: int) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.numbers = NUMBERS if mode == "parametric" else TIMING
        self.text = nn.Linear(TEXT_WIDTH, width)
        self.embedders = nn.ModuleDict({name: NumberEmbedder(name, width) for name in self.numbers})
        self.kind = nn.Parameter(torch.randn(1 + len(self.numbers), width) * 0.02)  # text, then one per number
        self.null = nn.Parameter(torch.randn(1, width) * 0.02)
        self.pool = nn.Linear(width, width)

    def forward(self, text: torch.Tensor, text_mask: torch.Tensor, numbers: torch.Tensor,
                drop: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """text (b, l, 384), text_mask (b, l) bool, numbers (b, 7) in NUMBERS order; `drop` (b,) bool replaces an
        item's text and spatial tokens by the null token (unconditional)."""
        b = text.shape[0]
        words = self.text(text) + self.kind[0]
        values = [self.embedders[name](numbers[:, NUMBERS.index(name)]) + self.kind[1 + i] for i, name in enumerate(self.numbers)]
        numeric = torch.stack(values, dim=1)
        is_timing = torch.tensor([name in TIMING for name in self.numbers], device=text.device)
        content_mask = torch.cat([text_mask, (~is_timing).expand(b, -1)], dim=1)
        tokens = torch.cat([self.null.expand(b, 1, -1), words, numeric], dim=1)
        mask = torch.cat([torch.zeros(b, 1, dtype=torch.bool, device=text.device), content_mask.clone()], dim=1)
        mask[:, 1 + text.shape[1] :] |= is_timing
        if drop is not None:
            mask[:, 1:] &= ~(drop[:, None] & content_mask)
            mask[:, 0] = drop
        weights = mask.float()[..., None]
        pooled = self.pool((tokens * weights).sum(1) / weights.sum(1).clamp_min(1.0))
        return tokens, mask, pooled


class TextEncoder:
    """MiniLM (all-MiniLM-L6-v2, offline package) token embeddings, frozen; texts already seen come from memory."""

    def __init__(self, device: str = "cpu") -> None:
        self.model = minilm.load(device, "e2e")
        self.model.max_seq_length = MAX_TOKENS
        self.memory: dict[str, torch.Tensor] = {}

    def embed(self, texts: Sequence[str]) -> list[torch.Tensor]:
        """One (tokens, 384) float32 tensor per text, [CLS] and [SEP] included, at most MAX_TOKENS tokens."""
        new = sorted({t for t in texts if t not in self.memory})
        if new:
            with torch.no_grad():
                for text, tokens in zip(new, self.model.encode(new, output_value="token_embeddings", batch_size=64)):
                    self.memory[text] = tokens.float().cpu()
        return [self.memory[t] for t in texts]


def pad_tokens(embeddings: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack (l_i, 384) token embeddings into (b, max l, 384) with a (b, max l) mask (True = a real token)."""
    length = max(e.shape[0] for e in embeddings)
    text = torch.zeros(len(embeddings), length, TEXT_WIDTH)
    mask = torch.zeros(len(embeddings), length, dtype=torch.bool)
    for k, e in enumerate(embeddings):
        text[k, : e.shape[0]] = e.float()
        mask[k, : e.shape[0]] = True
    return text, mask
