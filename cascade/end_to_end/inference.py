"""A trained DiT with its codec, loaded from one checkpoint, as a function from conditions to audio windows.

    flow = FlowModel(path)                                        # dit_parametric.pt, dit_descriptive.pt or dit_mono.pt
    audio = flow.generate(["a dog barks"], [numbers], seeds=[0])  # (1, channels, window samples) at flow.sample_rate

Both learned paths use it: the end-to-end pipeline (AmbiX windows from the spatial modes) and the learned
cascade's `flow` generator (dry windows from the mono mode). Longer sounds are covered by overlapping windows
(`window_offsets`), each conditioned on the sound's start relative to it, and crossfaded (`crossfade`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cascade.end_to_end import checkpoints
from cascade.end_to_end.codec import CodecConfig, SpectralCodec
from cascade.end_to_end.conditioning import TextEncoder, pad_tokens
from cascade.end_to_end.dit import DitConfig
from cascade.end_to_end.model import DEFAULT_GUIDANCE, DEFAULT_STEPS, Conditions, SpatialDiffusion

BATCH = 8  # windows generated at once
OVERLAP = 0.5  # s shared by neighbouring windows


def window_offsets(length: float, window: float, overlap: float = OVERLAP) -> list[float]:
    """Start times (s) of windows of `window` seconds, overlapping by `overlap`, that cover [0, length)."""
    if length <= window:
        return [0.0]
    hop = window - overlap
    return [k * hop for k in range(math.ceil((length - overlap) / hop))]


def crossfade(offsets: list[float], window: float, overlap: float, sample_rate: int, length: int) -> np.ndarray:
    """(windows, length) weights that sum to 1 over the scene: linear ramps where neighbouring windows overlap."""
    weights = np.zeros((len(offsets), length))
    ramp = max(1, int(round(overlap * sample_rate)))
    for k, offset in enumerate(offsets):
        start = int(round(offset * sample_rate))
        stop = min(length, start + int(round(window * sample_rate)))
        w = np.ones(stop - start)
        if k > 0:
            w[:ramp] = np.linspace(0.0, 1.0, ramp + 2)[1:-1][: w.size]
        if k < len(offsets) - 1:
            tail = min(ramp, w.size)
            w[w.size - tail :] = np.linspace(1.0, 0.0, ramp + 2)[1:-1][-tail:]
        weights[k, start:stop] = w
    return weights


class FlowModel:
    """The DiT in checkpoint `path` and the codec it was trained with, on `device`; `steps` and `guidance` default to
    what it was trained for."""

    def __init__(self, path: str | Path, device: torch.device, steps: int | None = None, guidance: float | None = None) -> None:
        payload = checkpoints.load(path, "dit")
        self.path = Path(path)
        self.config: dict[str, Any] = payload["config"]
        self.mode = str(self.config["mode"])
        self.codec = SpectralCodec(CodecConfig.from_dict(self.config["codec"])).to(device)
        self.model = SpatialDiffusion(DitConfig.from_dict(self.config["dit"]), self.mode)
        self.model.load_state_dict(payload["state"])
        self.model.eval().to(device)
        self.device = device
        self.steps = steps or int(self.config.get("steps", DEFAULT_STEPS))
        self.guidance = guidance if guidance is not None else float(self.config.get("guidance", DEFAULT_GUIDANCE))
        self.frames = int(self.config["frames"])
        self._texts: TextEncoder | None = None

    @property
    def sample_rate(self) -> int:
        return self.codec.config.sample_rate

    @property
    def window_s(self) -> float:
        """Seconds of one generated window."""
        return self.frames * self.codec.config.hop / self.sample_rate

    def generate(self, texts: Sequence[str], numbers: Sequence[Sequence[float]] | np.ndarray, seeds: Sequence[int],
                 progress: Callable[[int], None] | None = None) -> np.ndarray:
        """(len(texts), channels, window samples) float32 at `sample_rate`, one window per condition: `numbers` rows in
        conditioning.NUMBERS order (NaN = absent); `progress` is called with the windows done after each denoising step."""
        if self._texts is None:
            self._texts = TextEncoder()
        embeddings = self._texts.embed(list(texts))
        values = torch.as_tensor(np.asarray(numbers, dtype=np.float32))
        out = []
        for start in range(0, len(texts), BATCH):
            text, mask = pad_tokens(embeddings[start : start + BATCH])
            part = values[start : start + BATCH]
            advance = None if progress is None else partial(_advance, progress, int(part.shape[0]))
            latents = self.model.generate(Conditions(text, mask, part), self.frames, self.steps, self.guidance,
                                          list(seeds[start : start + BATCH]), progress=advance)
            out.append(self.codec.decode(latents, seed=int(seeds[start]) % 2**31).float().cpu().numpy())
        return np.concatenate(out)


def _advance(update: Callable[[int], None], windows: int, _step: int) -> None:
    update(windows)
