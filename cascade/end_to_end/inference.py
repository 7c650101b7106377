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


def _ramp_weight(k: int, count: int, samples: int, ramp: int) -> np.ndarray:
    """Window k's (of `count`) weight over its own `samples`: linear ramps where it overlaps its neighbours."""
    w = np.ones(samples, np.float32)
    if k > 0:
        w[:ramp] = np.linspace(0.0, 1.0, ramp + 2, dtype=np.float32)[1:-1][: w.size]
    if k < count - 1:
        tail = min(ramp, w.size)
        w[w.size - tail :] = np.linspace(1.0, 0.0, ramp + 2, dtype=np.float32)[1:-1][-tail:]
    return w


def overlap_add(parts: Sequence[np.ndarray], offsets: Sequence[float], window: float, sample_rate: int, length: int,
                overlap: float = OVERLAP) -> np.ndarray:
    """(channels, length) float32: the windows `parts` (channels, window samples), placed at their `offsets` (s, the
    whole scene's, from `window_offsets`) and crossfaded with linear ramps that sum to 1 where windows overlap. Each
    window's weight is made over its own span only, so memory grows with the output, not windows x length."""
    out = np.zeros((parts[0].shape[0] if parts else 1, length), np.float32)
    ramp = max(1, int(round(overlap * sample_rate)))
    span = int(round(window * sample_rate))
    for k, (part, offset) in enumerate(zip(parts, offsets)):
        at = int(round(offset * sample_rate))
        take = max(0, min(part.shape[-1], span, length - at))
        weight = _ramp_weight(k, len(offsets), min(span, length - at), ramp)[:take]
        out[:, at : at + take] += part[:, :take] * weight
    return out


class FlowModel:
    """The DiT in checkpoint `path` and the codec it was trained with, on `device`; `steps` and `guidance` default to
    what it was trained for."""

    def __init__(self, path: str | Path, device: torch.device, steps: int | None = None, guidance: float | None = None) -> None:
        payload = checkpoints.load(path, "dit")
        self.path = Path(path)
        try:  # the config inside a file is read, not trusted
            self.config: dict[str, Any] = dict(payload["config"])
            self.mode = str(self.config["mode"])
            codec = CodecConfig.from_dict(dict(self.config["codec"]))
            dit = DitConfig.from_dict(dict(self.config["dit"]))
            self.frames = int(self.config["frames"])
            self.steps = steps or int(self.config.get("steps", DEFAULT_STEPS))
            self.guidance = guidance if guidance is not None else float(self.config.get("guidance", DEFAULT_GUIDANCE))
            _check_sizes(codec, dit, self.frames, self.steps, self.guidance)
            self.codec = SpectralCodec(codec).to(device)
            self.model = SpatialDiffusion(dit, self.mode)
            self.model.load_state_dict(payload["state"])
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise checkpoints.CheckpointError(f"{path} is not a usable DiT checkpoint ({reason[:200]})") from None
        self.model.eval().to(device)
        self.device = device
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


def _check_sizes(codec: CodecConfig, dit: DitConfig, frames: int, steps: int, guidance: float) -> None:
    """ValueError naming the first size a checkpoint's config gives outside what a DiT of this project can be."""
    limits = {"codec sample_rate": (codec.sample_rate, 8000, 192000), "codec mels": (codec.mels, 1, 512), "codec hop": (codec.hop, 1, 65536),
              "codec n_fft": (codec.n_fft, 4, 65536), "codec iterations": (codec.iterations, 0, 1000), "frames": (frames, 1, 100_000),
              "dit width": (dit.width, 1, 8192), "dit depth": (dit.depth, 1, 256), "dit heads": (dit.heads, 1, 256),
              "dit patch": (dit.patch, 1, 1024), "steps": (steps, 1, 1000), "guidance": (guidance, 0, 20)}
    for name, (value, low, high) in limits.items():
        if not low <= value <= high:
            raise ValueError(f"its {name} is {value}, outside [{low}, {high}]")
    if dit.latent != codec.latent_channels:
        raise ValueError(f"its DiT takes {dit.latent} latent channels, its codec gives {codec.latent_channels}")


def _advance(update: Callable[[int], None], windows: int, _step: int) -> None:
    update(windows)
