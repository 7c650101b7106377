"""Speed of the procedural generator: every sound class, one clip each, on one core.

    python -m benchmarks.procedural_speed [--seconds 10] [--repeats 5] [--json PATH]

Figures are medians over repeats (different seeds) after one warm-up, in milliseconds per clip.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from benchmarks.timing import machine
from cascade.files import write_text
from cascade.generators.procedural import ProceduralGenerator
from cascade.generators.sounds import SOUNDS


def measure(seconds: float = 10.0, repeats: int = 5) -> dict[str, float]:
    """Median milliseconds to synthesise, normalise and fade one `seconds`-long clip of each class."""
    generator = ProceduralGenerator()
    timings = {}
    for name in SOUNDS:
        generator.synthesise(name, seconds, 0)
        times = []
        for seed in range(1, repeats + 1):
            began = time.perf_counter()
            generator.synthesise(name, seconds, seed)
            times.append(time.perf_counter() - began)
        timings[name] = 1e3 * statistics.median(times)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.procedural_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length in seconds")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    timings = measure(args.seconds, args.repeats)
    print(f"machine: {machine()}")
    print(f"{'class':<14}{'ms / ' + format(args.seconds, 'g') + ' s clip':>18}")
    for name, ms in sorted(timings.items(), key=lambda item: -item[1]):
        print(f"{name:<14}{ms:>18.1f}")
    print(f"slowest: {max(timings, key=lambda name: timings[name])} {max(timings.values()):.1f} ms (target < 100 ms); "
          f"median class {statistics.median(timings.values()):.1f} ms")
    if args.json:
        write_text(args.json, json.dumps({"seconds": args.seconds, "ms_per_clip": timings}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
