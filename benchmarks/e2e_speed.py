"""Speed, size and memory of the learned models on this CPU.

    python -m benchmarks.e2e_speed [--repeats 5] [--threads 2] [--json PATH]

Times one 4 s window per model (DiT sampling at the default steps with classifier-free guidance, then the codec's
Griffin-Lim decoder; the prompt's MiniLM embedding is cached after the warm-up, as in a running pipeline) and a
whole one-event 4 s scene: through `EndToEnd` for the end-to-end modes, through the cascade with the `flow`
generator for the mono model (planning excluded; generation, spatialisation or binaural decoding at 44.1 kHz,
levelling). Medians over repeats after one warm-up. Peak memory is the process's maximum resident set.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from functools import partial
from pathlib import Path

import torch

import cascade
from benchmarks.timing import machine, median_seconds
from cascade.end_to_end.checkpoints import SHIPPED
from cascade.end_to_end.conditioning import MODES
from cascade.end_to_end.pipeline import EndToEnd
from cascade.generators.flow import FlowGenerator
from cascade.scene import Position, Scene, SoundEvent

NUMBERS = (90.0, 0.0, 2.0, float("nan"), float("nan"), 0.0, 4.0, 0.0)  # left, ear level, 2 m, anechoic, 0-4 s, 0 dB


def _parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def measure(folder: Path, repeats: int, threads: int) -> dict:
    torch.set_num_threads(threads)
    result: dict = {"machine": machine(), "threads": threads, "repeats": repeats, "models": {}}
    scene = Scene(events=[SoundEvent(id="dog", description="a dog barks", duration=4.0, position=Position(azimuth=90))])
    for mode in MODES:
        if mode == "mono":
            learned_cascade = cascade.Cascade(generator="flow", generator_options={"flow": {"checkpoint_dir": str(folder)}}, cache=False)
            generator = learned_cascade.generator("flow", 44100)
            assert isinstance(generator, FlowGenerator)
            flow, render_scene = generator.model, partial(learned_cascade, scene, seed=0)
        else:
            end_to_end = EndToEnd(mode, folder)
            flow, render_scene = end_to_end.load(), partial(end_to_end, scene, seed=0)
        text = "a dog barks to my left, close by" if mode == "descriptive" else "a dog barks"
        began = time.perf_counter()
        flow.generate([text], [NUMBERS], [0])
        first = time.perf_counter() - began
        clip = median_seconds(partial(flow.generate, [text], [NUMBERS], [0]), repeats)
        render = median_seconds(render_scene, repeats)
        result["models"][mode] = {
            "steps": flow.steps, "guidance": flow.guidance, "window_s": flow.window_s,
            "parameters": {"dit": _parameters(flow.model.dit), "conditioner": _parameters(flow.model.conditioner)},
            "clip_seconds": clip, "scene_render_seconds": render, "first_call_seconds": first}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--checkpoints", type=Path, default=SHIPPED)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.checkpoints, args.repeats, args.threads)
    print(f"{result['machine']}; torch threads {args.threads}; median of {args.repeats}")
    for mode, row in result["models"].items():
        p = row["parameters"]
        print(f"{mode}: {row['window_s']:g} s FOA window in {row['clip_seconds']:.2f} s ({row['steps']} steps, guidance {row['guidance']:g}); "
              f"4 s scene at 44.1 kHz {row['scene_render_seconds']:.2f} s; first call (loads MiniLM) {row['first_call_seconds']:.1f} s; "
              f"parameters: DiT {p['dit'] / 1e6:.2f} M + conditioner {p['conditioner'] / 1e6:.2f} M (the codec has none)")
    print(f"peak resident memory {result['peak_rss_mb']:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
