"""Speed of the TangoFlux generator on this machine, with random weights (no download needed).

    python -m benchmarks.generator_speed [--full] [--json PATH]

Measures seconds per 10 s clip and per 4-event scene, the scene batched versus one event at a time, and
denoising only the frames the longest clip needs versus the reference's full 645-frame latent. The tiny
architecture runs 50 steps; `--full` adds the full-size architecture (517 M-parameter transformer,
FLAN-T5-large encoder, stable-audio-open VAE) at 2 steps and reports the transformer's seconds per step
and the VAE's seconds per decoded second separately.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderOobleck
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import T5Config, T5TokenizerFast

from cascade import progress
from cascade.files import write_text
from cascade.generators.tangoflux import TangoFluxGenerator
from cascade.generators.tangoflux_model import TangoFlux

SCENE = (["a dog barks", "a bird sings on the right", "rain falls on the roof", "a car engine idles"], [10.0, 4.0, 2.5, 6.0])
SIZES: dict[str, dict[str, Any]] = {
    "tiny": {
        "steps": 50,
        "model": {"num_layers": 1, "num_single_layers": 1, "in_channels": 4, "attention_head_dim": 32,
                  "num_attention_heads": 1, "joint_attention_dim": 32, "axes_dims_rope": [8, 12, 12]},
        "text": {"d_model": 32, "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_heads": 4},
        "vae": {"encoder_hidden_size": 8, "downsampling_ratios": [8, 16, 16], "channel_multiples": [1, 2, 2],
                "decoder_channels": 4, "decoder_input_channels": 4},
    },
    "full": {"steps": 2, "model": {}, "text": {"d_model": 1024, "d_kv": 64, "d_ff": 2816, "num_layers": 24, "num_heads": 16}, "vae": {}},
}


def _tokenizer() -> T5TokenizerFast:
    """A small Unigram tokenizer in T5's format (the real one is FLAN-T5's 32k SentencePiece vocabulary)."""
    words = " ".join(SCENE[0]).split()
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(f"▁{w}", -1.0) for w in words]
    backend = Tokenizer(models.Unigram(vocab + [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz▁"], unk_id=2))
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    backend.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return T5TokenizerFast(tokenizer_object=backend, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512)


def build(size: str) -> tuple[TangoFlux, AutoencoderOobleck, T5TokenizerFast]:
    """Randomly initialised TangoFlux parts of the given size, on the CPU in fp32."""
    spec = SIZES[size]
    torch.manual_seed(0)
    text_config = T5Config(vocab_size=32128, feed_forward_proj="gated-gelu", tie_word_embeddings=False, **spec["text"])
    model = TangoFlux(spec["model"], text_config).eval()
    return model, AutoencoderOobleck(**spec["vae"]).eval(), _tokenizer()


class _Clock:
    """Seconds spent inside a module's forward, and how many calls."""

    def __init__(self, module: torch.nn.Module):
        self.seconds, self.calls, self._start = 0.0, 0, 0.0
        self._handles = [module.register_forward_pre_hook(self._enter), module.register_forward_hook(self._leave)]

    def _enter(self, *_: Any) -> None:
        self._start = time.perf_counter()

    def _leave(self, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._start
        self.calls += 1

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()


def _timed(generator: TangoFluxGenerator, prompts: Sequence[str], durations: Sequence[float]) -> dict[str, float]:
    model, vae, _ = generator._load()
    transformer, decoder = _Clock(model.transformer), _Clock(vae.decoder)
    start = time.perf_counter()
    generator.generate(prompts, durations, list(range(len(prompts))))
    total = time.perf_counter() - start
    transformer.close()
    decoder.close()
    return {"seconds": round(total, 4), "transformer_seconds": round(transformer.seconds, 4),
            "seconds_per_step": round(transformer.seconds / generator.steps, 4), "decode_seconds": round(decoder.seconds, 4),
            "transformer_calls": transformer.calls}


def run(size: str) -> dict[str, Any]:
    """All measurements for one architecture size."""
    model, vae, tokenizer = build(size)
    steps = SIZES[size]["steps"]
    needed = TangoFluxGenerator.from_parts(model, vae, tokenizer, steps=steps)
    full = TangoFluxGenerator.from_parts(model, vae, tokenizer, steps=steps, all_frames=True)
    prompts, durations = SCENE
    needed.generate(prompts[:1], [1.0], [0])  # warm-up
    one_by_one = [_timed(needed, [p], [d]) for p, d in zip(prompts, durations)]
    return {
        "steps": steps,
        "transformer_parameters": sum(p.numel() for p in model.transformer.parameters()),
        "clip_10s": _timed(needed, prompts[:1], [10.0]),
        "clip_10s_all_645_frames": _timed(full, prompts[:1], [10.0]),
        "scene_batched": _timed(needed, prompts, durations),
        "scene_one_by_one": {key: round(sum(r[key] for r in one_by_one), 4) for key in one_by_one[0]},
        "scene_batched_all_645_frames": _timed(full, prompts, durations),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generator_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also time the full-size architecture (minutes on a CPU)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    progress.configure("auto")  # each denoising run shows its steps: the full size takes minutes
    report = {"device": "cpu", "threads": torch.get_num_threads(), "scene_durations": SCENE[1],
              "sizes": {size: run(size) for size in (["tiny", "full"] if args.full else ["tiny"])}}
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        write_text(args.json, text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
