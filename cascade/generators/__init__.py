"""Mono generators: prompts and durations in, mono clips out. Chosen by name: `generators.get("procedural")`.

Every generator is batched: `generate(prompts, durations, seeds)` returns one float32 mono array per
prompt, exactly `clip_length(duration, sample_rate)` samples long, at the generator's `sample_rate`
(the pipeline resamples to the scene's rate at its boundary, once).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from cascade.errors import GeneratorError
from cascade.limits import MAX_EVENT_DURATION
from cascade.registry import Option, Registry


class Generator:
    """What every generator has; subclasses set `name`, `sample_rate` and implement `generate`.

    `cache_tag` names whatever besides prompt, duration and seed decides a clip (weights, settings,
    a library's file state); `detail` records what made a clip (a file and its match score).
    """

    name: ClassVar[str]
    sample_rate: int
    cache_tag: str = ""
    note: str | None = None  # one line the pipeline reports, e.g. why `auto` chose this backend

    @property
    def backend(self) -> str:
        """The name recorded in a resolved scene: the backend that really made the clips."""
        return self.name

    def generate(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> list[np.ndarray]:
        """One float32 mono clip per prompt, `clip_length(duration, sample_rate)` samples."""
        raise NotImplementedError

    def detail(self, prompt: str, duration: float, seed: int) -> dict[str, Any]:
        """What made the clip, recorded in the resolved scene; empty by default."""
        return {}


def check_request(prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> None:
    """Raise GeneratorError unless the three sequences align, durations are in (0, 60] s and seeds are non-negative integers."""
    if not len(prompts) == len(durations) == len(seeds):
        raise GeneratorError(f"a generator needs one duration and one seed per prompt; "
                             f"got {len(prompts)} prompts, {len(durations)} durations, {len(seeds)} seeds")
    for prompt, duration, seed in zip(prompts, durations, seeds):
        if not isinstance(prompt, str):
            raise GeneratorError(f"prompt must be text, got {type(prompt).__name__}")
        if not (isinstance(duration, numbers.Real) and math.isfinite(duration) and 0 < duration <= MAX_EVENT_DURATION):
            raise GeneratorError(f"duration must be in (0, {MAX_EVENT_DURATION:g}] seconds, got {duration!r} for '{prompt}'")
        if not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0):
            raise GeneratorError(f"seed must be a non-negative integer, got {seed!r} for '{prompt}'")


def clip_length(duration: float, sample_rate: int) -> int:
    """Samples in a clip of `duration` seconds."""
    return max(1, int(round(duration * sample_rate)))


_LEARNED = (
    Option("steps", "--steps", "sampling steps of a learned generator (default: TangoFlux 50, flow what it was trained for)", type=int),
    Option("guidance_scale", "--guidance-scale", "classifier-free guidance of a learned generator (default: TangoFlux 4.5, flow 3)",
           type=float),
    Option("device", "--device", "torch device for learned models: cuda, mps or cpu (default: the best available)"),
)
_TANGOFLUX = (
    Option("path", "--tangoflux-path", "TangoFlux checkpoint folder (env CASCADE_TANGOFLUX_PATH)", metavar="FOLDER"),
    *_LEARNED,
    Option("dtype", "--dtype", "TangoFlux transformer precision (default: bfloat16 on CUDA, float32 elsewhere)",
           choices=("float32", "bfloat16", "float16")),
    Option("decode_chunk", "--decode-chunk", "VAE-decode this many latent frames at a time to save memory (default: whole clip)",
           type=int, metavar="FRAMES"),
    Option("all_frames", "--all-frames", "denoise TangoFlux's full 30 s latent as the reference does (slower)", switch=True),
    Option("text_encoder_path", None, "FLAN-T5 folder, when not inside the checkpoint"),
)

REGISTRY: Registry[Generator] = Registry("generator", GeneratorError)
REGISTRY.register("auto", "cascade.generators.auto:AutoGenerator",
                  "TangoFlux when its weights are on this machine, else procedural (default)", options=_TANGOFLUX)
REGISTRY.register("procedural", "cascade.generators.procedural:ProceduralGenerator",
                  "offline signal models of common sound classes", native_rate=44100)
REGISTRY.register("tangoflux", "cascade.generators.tangoflux:TangoFluxGenerator",
                  "TangoFlux text-to-audio (local weights)", options=_TANGOFLUX, native_rate=44100, extra="tangoflux")
REGISTRY.register("speech", "cascade.generators.speech:SpeechGenerator",
                  "speech from espeak-ng: the prompt's quoted words or seeded sentences, in a voice its words suggest",
                  native_rate=22050)
REGISTRY.register("flow", "cascade.generators.flow:FlowGenerator",
                  "the learned cascade's generator: a small flow-matching DiT trained here on the end-to-end model's data and budget",
                  options=(Option("checkpoint_dir", "--flow-checkpoints", "folder with the flow generator's dit_mono.pt (default: the shipped one)",
                                  metavar="FOLDER"), *_LEARNED), native_rate=16000, extra="e2e")
REGISTRY.register("library", "cascade.generators.library:LibraryGenerator",
                  "best text match from your own sound folder",
                  options=(Option("folder", "--library", "folder of your own sound files; implies --generator library", metavar="FOLDER"),
                           Option("min_score", "--library-min-score", "warn when a sound's best match scores below this cosine "
                                  "similarity (default 0.4)", type=float, metavar="SCORE"),
                           Option("sample_rate", None, "rate the clips are delivered at (Hz)", type=int)),
                  extra="library")

get = REGISTRY.get
names = REGISTRY.names

__all__ = ["REGISTRY", "Generator", "GeneratorError", "check_request", "clip_length", "get", "names"]
