"""What the end-to-end model's FOA codec keeps: held-out single sources through encode and decode.

    python -m benchmarks.e2e_codec [--items 64] [--checkpoint PATH] [--json PATH]

Held-out items are drawn by the dataset builder from the end-to-end training config
(cascade/end_to_end/configs/dataset.json: one static event per 4 s item, 16 kHz) with a seed training never uses,
once all anechoic and once all in shoebox rooms; they are encoded to the posterior mean and decoded. Figures per set: multi-
resolution STFT distance (spectral convergence + log-magnitude L1, all four channels), mel distance per channel
(mean |log10 mel| difference, 64 bands), and the great-circle angle between the intensity-vector directions of
input and reconstruction (median, mean, 90th percentile, degrees).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.timing import machine
from cascade.dataset.build import build
from cascade.dataset.config import load_config, parse_config
from cascade.end_to_end.checkpoints import SHIPPED
from cascade.end_to_end.codec_task import codec_distances
from cascade.end_to_end.datasets import training_examples
from cascade.end_to_end.latents import load_codec

HELD_OUT_SEED = 31337  # the training set's config seed is 13
CONFIG = Path(__file__).resolve().parent.parent / "cascade" / "end_to_end" / "configs" / "dataset.json"
CHANNELS = ("W", "Y", "Z", "X")


def held_out(items: int, rooms: bool, sample_rate: int = 16000) -> list:
    """Held-out items of the training distribution, all anechoic (rooms False) or all in a room, as Examples."""
    base = load_config(CONFIG).model_dump()
    config = parse_config({**base, "seed": HELD_OUT_SEED + int(rooms), "rooms": {**base["rooms"], "anechoic": 0.0 if rooms else 1.0}})
    with tempfile.TemporaryDirectory() as folder:
        build(folder, items, config, workers=1)
        return training_examples(Path(folder), sample_rate)


def measure(checkpoint: Path, items: int) -> dict:
    torch.set_num_threads(2)
    codec, record = load_codec(checkpoint)
    result: dict = {"machine": machine(), "checkpoint": str(checkpoint), "codec": record, "items": items, "sets": {}}
    for name, rooms in (("anechoic", False), ("rooms", True)):
        examples = held_out(items, rooms)
        audio = torch.from_numpy(np.stack([e.foa for e in examples]))
        with torch.no_grad():
            parts = [codec_distances(codec, audio[k : k + 8]) for k in range(0, len(examples), 8)]
        angles = np.concatenate([p["angle"] for p in parts])
        mel = np.concatenate([p["mel"] for p in parts])
        result["sets"][name] = {"stft": float(np.mean(np.concatenate([p["stft"] for p in parts]))),
                                "mel": dict(zip(CHANNELS, map(float, mel.mean(axis=0)))),
                                "direction_deg": {"median": float(np.median(angles)), "mean": float(angles.mean()),
                                                  "p90": float(np.percentile(angles, 90))}}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=64, help="held-out examples per set (4 s each)")
    parser.add_argument("--checkpoint", type=Path, default=SHIPPED / "codec.pt")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.checkpoint, args.items)
    print(f"{result['machine']}; codec {args.checkpoint} ({result['codec']['step']} steps); {args.items} held-out items per set")
    print(f"{'set':<10}{'STFT':>8}{'mel W':>8}{'mel Y':>8}{'mel Z':>8}{'mel X':>8}{'dir median':>12}{'mean':>8}{'p90':>8}")
    for name, row in result["sets"].items():
        mel, d = row["mel"], row["direction_deg"]
        print(f"{name:<10}{row['stft']:>8.3f}" + "".join(f"{mel[c]:>8.3f}" for c in CHANNELS)
              + f"{d['median']:>11.2f}°{d['mean']:>7.2f}°{d['p90']:>7.2f}°")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
