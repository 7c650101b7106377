"""End-to-end speed of the offline cascade: planner, HRTF spatialisation, whole scenes, events spatialised in
parallel, and a cold `cascade render` (a new process).

    python -m benchmarks.cascade_speed [--repeats 7] [--json PATH]

Figures are medians over repeats after one warm-up (which loads the HRTF and imports). The cold start runs
the command in a fresh Python process with the prepared-HRIR and clip caches warm (a user's second render);
its first run, with empty caches, is reported too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import cascade
import renderers
from benchmarks.timing import machine, median_seconds
from cascade.files import write_text
from renderers.path import SourcePath

FOUR_EVENTS = ("a dog barks behind me for 3 seconds, then a bird sings on the right for 4 seconds "
               "while footsteps approach from the left, finally a phone rings at 9 o'clock for 1 second")
EIGHT_EVENTS = ("rain falls for the whole scene, a dog barks behind me, then a bird sings on the right while footsteps approach "
                "from the left, a car passes from left to right in the distance, someone knocks on the door at 45 degrees to the "
                "left, a phone rings at 9 o'clock, finally thunder rumbles far away in a large hall")
EXAMPLE = "a dog barks behind, then a bird on the right"
SENTENCES = [
    "a dog barks behind, then a bird on the right",
    "rain falls for the whole scene while thunder rumbles far away",
    "EVENT: church bell & LOCATION: 2 o'clock, far",
    "a car passes from left to right, followed by a siren in the distance",
    "someone knocks on the door at 45 degrees to the left, two seconds later a clock ticks overhead",
]


def measure(repeats: int = 7) -> dict:
    planner_s = median_seconds(lambda: [cascade.plan_scene(s) for s in SENTENCES], repeats) / len(SENTENCES)
    rate = 44100
    mono = np.random.default_rng(0).standard_normal(10 * rate).astype(np.float32)
    hrtf = renderers.get("hrtf")
    static_s = median_seconds(lambda: hrtf.render(mono, rate, SourcePath.static(-90.0, 0.0, 1.4)), repeats)
    scene = cascade.plan_scene(FOUR_EVENTS).model_copy(update={"duration": 10.0})
    stages: dict[str, list[float]] = {}

    def whole_scene() -> None:
        result = cascade.render_scene(scene, generator="procedural", cache=False)
        for stage, seconds in result.timings.items():
            stages.setdefault(stage, []).append(seconds)

    scene_s = median_seconds(whole_scene, repeats)
    return {
        **parallel_spatialising(repeats),
        **cold_start(repeats),
        "machine": machine(),
        "rule_planner_ms_per_sentence": 1e3 * planner_s,
        "hrtf_static_10s_ms": 1e3 * static_s,
        "scene_4_events_10s_s": scene_s,
        "scene_events": len(scene.events),
        "scene_stage_ms": {k: 1e3 * statistics.median(v) for k, v in stages.items()},
    }


def parallel_spatialising(repeats: int) -> dict:
    """Seconds to spatialise the 8-event scene (room included) one event at a time and with one thread per core."""
    scene = cascade.plan_scene(EIGHT_EVENTS)
    figures: dict[str, float] = {"parallel_scene_events": len(scene.events)}
    for workers in (1, os.cpu_count() or 1):
        pipe = cascade.Cascade(generator="procedural", cache=False, workers=workers)
        times = []
        for _ in range(repeats):
            pipe._stems.clear()  # no memoised stems: every event is spatialised again
            times.append(pipe(scene).timings["spatialise"])
        figures[f"spatialise_8_events_{workers}_workers_s"] = statistics.median(times)
    return figures


def cold_start(repeats: int) -> dict:
    """Seconds for `cascade render EXAMPLE` in a new process: the first with empty caches, then the median of warm ones."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CASCADE_CACHE_DIR": os.path.join(folder, "cache")}
        command = [sys.executable, "-m", "cascade.cli", "render", EXAMPLE, "-o", os.path.join(folder, "out.wav"), "-q"]
        times = []
        for _ in range(repeats + 1):
            began = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - began)
    return {"cold_start_empty_caches_s": times[0], "cold_start_s": statistics.median(times[1:])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cascade bench speed", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    figures = measure(args.repeats)
    print(f"machine: {figures['machine']}")
    print(f"rule planner                 {figures['rule_planner_ms_per_sentence']:8.2f} ms / sentence   (target < 5 ms)")
    print(f"HRTF, 10 s mono, static      {figures['hrtf_static_10s_ms']:8.2f} ms              (target < 20 ms)")
    print(f"{figures['scene_events']}-event 10 s scene, e2e     {figures['scene_4_events_10s_s'] * 1e3:8.1f} ms              (target < 1000 ms)")
    print("  stages: " + ", ".join(f"{k} {v:.1f} ms" for k, v in figures["scene_stage_ms"].items()))
    parallel = sorted(k for k in figures if k.startswith("spatialise_8_events_"))
    one, many = figures[parallel[0]], figures[parallel[-1]]
    print(f"{figures['parallel_scene_events']}-event scene spatialised: " + ", ".join(f"{k.split('_')[3]} worker(s) {figures[k]:.2f} s" for k in parallel)
          + f" (speed-up {one / many:.2f}x)")
    print(f"cold 'cascade render' of the example: {figures['cold_start_s']:.2f} s with warm caches (target < 1.5 s), "
          f"{figures['cold_start_empty_caches_s']:.2f} s with empty caches")
    if args.json:
        write_text(args.json, json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
