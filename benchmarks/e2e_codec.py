"""What the end-to-end model's FOA codec keeps: held-out single sources through encode and decode.

    python -m benchmarks.e2e_codec [--items 64] [--checkpoint PATH] [--json PATH]

Held-out examples (procedural sources of every taxonomy class at random directions, seeds the training sets never
use; anechoic, then in shoebox rooms) are encoded to the posterior mean and decoded. Figures per set: multi-
resolution STFT distance (spectral convergence + log-magnitude L1, all four channels), mel distance per channel
(mean |log10 mel| difference, 64 bands), and the great-circle angle between the intensity-vector directions of
input and reconstruction (median, mean, 90th percentile, degrees).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from benchmarks.timing import machine
from cascade.end_to_end.checkpoints import SHIPPED
from cascade.end_to_end.codec_task import codec_distances
from cascade.end_to_end.data import SyntheticSpec, synthetic_examples
from cascade.end_to_end.latents import load_codec

HELD_OUT_SEED = 31337  # training sets draw seeds from 0 and 1; the DiT probe from 777
CHANNELS = ("W", "Y", "Z", "X")


def held_out(items: int, rooms: bool, seconds: float = 4.0) -> list:
    """Held-out examples: anechoic (rooms False) or all in a room."""
    spec = SyntheticSpec(seconds=seconds, room_share=1.0 if rooms else 0.0)
    return list(synthetic_examples(items, HELD_OUT_SEED + int(rooms), spec))


def measure(checkpoint: Path, items: int) -> dict:
    torch.set_num_threads(2)
    codec, record = load_codec(checkpoint)
    result = {"machine": machine(), "checkpoint": str(checkpoint), "codec": record, "items": items, "sets": {}}
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
