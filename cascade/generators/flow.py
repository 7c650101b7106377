"""The learned cascade's mono generator: a small flow-matching DiT trained here on the same examples, data budget and
steps as the end-to-end model, conditioned on the prompt, start, duration and gain but not on position.

    FlowGenerator().generate(["a dog barks"], [3.0], [0])   # one dry 16 kHz clip of 3 s

A clip longer than the model's window is generated in overlapping windows, each conditioned on where the
sound began relative to it, and crossfaded. Clips come at the level the model makes for gain 0 dB (the mixer
levels every stem afterwards, as for any generator).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cascade.end_to_end import checkpoints
from cascade.end_to_end.conditioning import NUMBERS
from cascade.end_to_end.inference import OVERLAP, FlowModel, crossfade, window_offsets
from cascade.errors import GeneratorError
from cascade.generators import Generator, check_request, clip_length

CHECKPOINT = "dit_mono.pt"


class FlowGenerator(Generator):
    """Dry clips from the mono DiT in `checkpoint_dir` (default: the shipped one) on `device` (default: the best available)."""

    name = "flow"
    sample_rate = 16000

    def __init__(self, checkpoint_dir: str | Path | None = None, device: str | None = None, steps: int | None = None,
                 guidance_scale: float | None = None) -> None:
        from cascade.devices import torch_device

        path = Path(checkpoint_dir or checkpoints.SHIPPED) / CHECKPOINT
        try:
            self.model = FlowModel(path, torch_device(device, GeneratorError), steps, guidance_scale)
        except checkpoints.CheckpointError as err:
            raise GeneratorError(str(err)) from None
        if self.model.mode != "mono":
            raise GeneratorError(f"{path} holds a {self.model.mode} model; the flow generator needs the mono one")
        self.sample_rate = self.model.sample_rate
        self.cache_tag = f"flow-{path.stat().st_size}-{self.model.steps}-{self.model.guidance:g}"

    def detail(self, prompt: str, duration: float, seed: int) -> dict[str, Any]:
        return {"checkpoint": CHECKPOINT, "steps": self.model.steps, "guidance": self.model.guidance}

    def generate(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> list[np.ndarray]:
        """One float32 clip per prompt, exactly clip_length(duration, sample_rate) samples."""
        check_request(prompts, durations, seeds)
        window = self.model.window_s
        jobs: list[tuple[int, float]] = []  # (clip, window offset in s)
        texts, rows, job_seeds = [], [], []
        for k, (prompt, duration, seed) in enumerate(zip(prompts, durations, seeds)):
            for w, offset in enumerate(window_offsets(float(duration), window)):
                values = {"start": -offset, "total": float(duration), "gain": 0.0}
                jobs.append((k, offset))
                texts.append(prompt)
                rows.append([values.get(name, float("nan")) for name in NUMBERS])
                job_seeds.append((int(seed) + 7919 * w) % 2**63)
        windows = self.model.generate(texts, rows, job_seeds)[:, 0]
        clips = []
        for k, duration in enumerate(durations):
            length = clip_length(float(duration), self.sample_rate)
            offsets = [offset for (clip, offset) in jobs if clip == k]
            parts = [windows[j] for j, (clip, _) in enumerate(jobs) if clip == k]
            weights = crossfade(offsets, window, OVERLAP, self.sample_rate, length)
            clip = np.zeros(length)
            for part, offset, weight in zip(parts, offsets, weights):
                at = int(round(offset * self.sample_rate))
                take = min(part.size, length - at)
                clip[at : at + take] += part[:take] * weight[at : at + take]
            clips.append(clip.astype(np.float32))
        return clips
