"""Speed of the DSP spatializers on 10 s of 44.1 kHz mono noise.

    python -m benchmarks.renderer_speed [--repeats 7] [--json PATH]

Figures are medians over repeats after one warm-up (which loads MIT KEMAR and builds its interpolator).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from benchmarks.timing import machine, median_seconds
from cascade.files import write_text
from renderers.foa import FoaBinauralRenderer, decode_binaural, encode
from renderers.hrir import load_hrirs
from renderers.hrtf import HrtfRenderer
from renderers.path import SourcePath

RATE = 44100
SECONDS = 10.0


def measure(repeats: int = 7) -> dict:
    """Median wall-clock seconds per 10 s render for each renderer stage."""
    mono = np.random.default_rng(0).standard_normal(int(SECONDS * RATE)).astype(np.float32)
    static = SourcePath.static(-60.0, 10.0, 2.0)
    moving = SourcePath.from_keys([0.0, SECONDS], [90.0, -90.0], [0.0, 20.0], [3.0, 1.5])
    hrtf = HrtfRenderer()
    foa = FoaBinauralRenderer()
    hrirs = load_hrirs()
    encoded = encode(mono, RATE, static, foa.reference_distance)
    cases = {
        "hrtf static": lambda: hrtf.render(mono, RATE, static),
        "hrtf moving": lambda: hrtf.render(mono, RATE, moving),
        "foa encode static": lambda: encode(mono, RATE, static, foa.reference_distance),
        "foa encode moving": lambda: encode(mono, RATE, moving, foa.reference_distance),
        "foa -> binaural decode": lambda: decode_binaural(encoded, RATE, hrirs),
    }
    return {
        "machine": machine(),
        "audio_seconds": SECONDS,
        "sample_rate": RATE,
        "repeats": repeats,
        "seconds": {name: median_seconds(work, repeats) for name, work in cases.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.repeats)
    print(f"{result['machine']}; {SECONDS:g} s of mono at {RATE} Hz, median of {args.repeats}")
    print(f"{'stage':<24}{'ms':>10}{'x real time':>14}")
    for name, seconds in result["seconds"].items():
        print(f"{name:<24}{seconds * 1e3:>10.1f}{SECONDS / seconds:>14.0f}")
    if args.json:
        write_text(args.json, json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
