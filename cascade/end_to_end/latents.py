"""Latent sets: the codec's latents of a set of examples, with their labels and text embeddings.

Computed once per (examples file, codec config) and cached beside the examples, so DiT training never runs the
codec or the text model. A mono codec encodes each example's dry clip; a 4-channel codec its AmbiX field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cascade.end_to_end.codec import SpectralCodec
from cascade.end_to_end.conditioning import NUMBERS, TextEncoder
from cascade.end_to_end.data import Example
from cascade.files import atomic_path


@dataclass
class LatentSet:
    """latents (k, latent, frames) float16; numbers (k, 7) in NUMBERS order (NaN = absent); texts per item;
    `embeddings` maps every prompt and caption to its MiniLM token embeddings (l, 384) float16."""

    latents: torch.Tensor
    numbers: torch.Tensor
    prompts: list[str]
    captions: list[str]
    embeddings: dict[str, torch.Tensor]

    def __len__(self) -> int:
        return self.latents.shape[0]

    def subset(self, index: Sequence[int]) -> LatentSet:
        idx = torch.as_tensor(list(index), dtype=torch.long)
        return LatentSet(self.latents[idx], self.numbers[idx], [self.prompts[i] for i in idx.tolist()],
                         [self.captions[i] for i in idx.tolist()], self.embeddings)


def example_numbers(example: Example) -> list[float]:
    """The example's labels in NUMBERS order, NaN where absent."""
    return [float("nan") if getattr(example, name) is None else float(getattr(example, name)) for name in NUMBERS]


def codec_digest(codec: SpectralCodec) -> str:
    """A short hash of the codec's config: latents cached for one codec are never read for another."""
    return hashlib.sha256(json.dumps(codec.config.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


def example_audio(example: Example, codec: SpectralCodec) -> np.ndarray:
    """What `codec` encodes of an example: its AmbiX field (4, n), or its dry clip (1, n) for a mono codec."""
    return example.foa.astype(np.float32) if codec.config.channels == 4 else example.mono[None].astype(np.float32)


@torch.no_grad()
def encode_examples(examples: Iterable[Example], codec: SpectralCodec, texts: TextEncoder, batch: int = 16) -> LatentSet:
    """Encode every example with `codec` and embed its prompt and caption."""
    latents, numbers, prompts, captions = [], [], [], []
    pending: list[np.ndarray] = []

    def flush() -> None:
        if pending:
            latents.append(codec.encode(torch.from_numpy(np.stack(pending))).half())
            pending.clear()

    for example in examples:
        pending.append(example_audio(example, codec))
        numbers.append(example_numbers(example))
        prompts.append(example.prompt)
        captions.append(example.caption)
        if len(pending) == batch:
            flush()
    flush()
    unique = sorted(set(prompts) | set(captions))
    embeddings = {t: e.half() for t, e in zip(unique, texts.embed(unique))}
    return LatentSet(torch.cat(latents), torch.tensor(numbers, dtype=torch.float32), prompts, captions, embeddings)


def save_latents(path: Path, data: LatentSet) -> Path:
    with atomic_path(path) as tmp:
        torch.save({"latents": data.latents, "numbers": data.numbers, "prompts": data.prompts, "captions": data.captions,
                    "embeddings": data.embeddings}, str(tmp))
    return path


def load_latents(path: Path) -> LatentSet:
    payload = torch.load(str(path), map_location="cpu", weights_only=True)
    return LatentSet(payload["latents"], payload["numbers"], list(payload["prompts"]), list(payload["captions"]), payload["embeddings"])


PROBE_ITEMS = 24
PROBE_SEED = 777  # synthetic seeds of the held-out probe (training sets use other seeds)


def probe_examples(seconds: float, sample_rate: int, count: int = PROBE_ITEMS) -> list[Example]:
    """Held-out anechoic single sources (static, seen wordings, gains and onsets varied) for validation during training."""
    from cascade.end_to_end.data import SyntheticSpec, synthetic_examples

    spec = SyntheticSpec(seconds=seconds, sample_rate=sample_rate, room_share=0.0, moving_share=0.0)
    return list(synthetic_examples(count, PROBE_SEED, spec))


def latent_sets(folder: Path, codec: SpectralCodec) -> tuple[LatentSet, LatentSet, LatentSet, str]:
    """Training, validation (the last 5 %, at least 32 items but at most a quarter) and probe latent sets for `folder`'s
    examples, cached in `folder` per codec; and a one-line note of the data."""
    from cascade.end_to_end.datasets import training_examples

    digest = codec_digest(codec)
    cache, probe_cache = Path(folder) / f"latents_{digest}.pt", Path(folder) / f"probe_{digest}.pt"
    texts: TextEncoder | None = None
    if not cache.is_file():
        texts = TextEncoder()
        save_latents(cache, encode_examples(_progress(training_examples(folder), "encode"), codec, texts))
    data = load_latents(cache)
    if not probe_cache.is_file():
        texts = texts or TextEncoder()
        seconds = data.latents.shape[-1] * codec.config.hop / codec.config.sample_rate
        save_latents(probe_cache, encode_examples(probe_examples(seconds, codec.config.sample_rate), codec, texts))
    held = max(1, min(max(32, len(data) // 20), len(data) // 4))
    order = list(range(len(data)))
    note = f"{len(data)} windows of {data.latents.shape[-1] / codec.config.frame_rate:g} s from {folder}"
    return data.subset(order[:-held]), data.subset(order[-held:]), load_latents(probe_cache), note


def _progress(items: list, label: str) -> Iterable:
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="item")
