"""Dataset builder speed and memory: items per second in one process on one CPU, the local process pool against Ray at
the same worker count, and the driver's peak memory at two dataset sizes.

    python -m benchmarks.dataset_speed [--items 80] [--sample-rate 24000] [--variants] [--ray [--rounds 2]] [--memory 200 2000]
        [--memory-engines local ray] [--summary-png PATH] [--json PATH]

Default config (procedural clips and espeak-ng speech, HRTF, 4 s items, 1-3 events, half in rooms). The 1-process
rate, the per-part breakdown and the variants run in a child process confined to one CPU from its start (every
thread pool included); items/s counts wall time after a warm-up of a few items (imports, HRIR set), and "CPU
items/s" divides by that process's CPU time, which a busy machine disturbs less.
With --ray, the local process pool and Ray run the same cold build at the same worker count (2) in this one run,
alternated: steady items/s after the first 2 x workers items, and each engine's fixed start cost (wall time beyond
items / steady rate: opening the engine, ray.init for Ray, workers importing the project and loading the HRIRs). Peak memory is the
driver process's maximum resident set (ru_maxrss of a child process that runs only the build). The load average
is printed beside each figure: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.timing import machine
from cascade.dataset import DatasetConfig, build, parse_config
from cascade.dataset.build import write_item
from cascade.dataset.engines import available_cpus, open_engine
from cascade.dataset.item import ItemRenderer

WARM_ITEMS = 4


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def confined(measure: str, *args: object) -> dict:
    """`MEASURES[measure](*args)` (JSON arguments and result) in a child process confined to one CPU from its start,
    so no library's thread pool can run on another CPU (pinning this process would leave pools it already started)."""
    cpu = min(os.sched_getaffinity(0))
    command = [sys.executable, "-m", "benchmarks.dataset_speed", "--confined", measure, json.dumps(args)]
    done = subprocess.run(command, cwd=Path(__file__).parents[1], capture_output=True, text=True, check=True,
                          preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    return json.loads(done.stdout.splitlines()[-1])


def local_rate(config: dict, items: int, folder: str) -> dict:
    """Wall and CPU items per second of a 1-process build after a warm-up."""
    build(folder, WARM_ITEMS, parse_config(config), workers=1)
    load_before = _load()
    cpu = time.process_time()
    report = build(folder, WARM_ITEMS + items, workers=1)
    cpu = time.process_time() - cpu
    return {"items": report.built, "items_per_s": report.rate, "cpu_items_per_s": report.built / cpu,
            "load_before": load_before, "load_after": _load()}


def breakdown(config: dict, items: int, folder: str) -> dict:
    """Milliseconds per item in each part: drawing the scene, the pipeline's stages, labels and file encoding, writing."""
    parts: dict[str, float] = {}
    renderer = ItemRenderer(parse_config(config))
    renderer(99_999)  # warm-up
    for index in range(items):
        item = renderer(index)
        began = time.perf_counter()
        write_item(Path(folder), item)
        for part, seconds in {**item.seconds, "write": time.perf_counter() - began}.items():
            parts[part] = parts.get(part, 0.0) + 1e3 * seconds / items
    return parts


VARIANTS = {"default": {}, "no rooms": {"rooms": {"anechoic": 1.0}}, "no moving sources": {"motion": {"fraction": 0.0}},
            "neither": {"rooms": {"anechoic": 1.0}, "motion": {"fraction": 0.0}}, "all in rooms": {"rooms": {"anechoic": 0.0}},
            "44.1 kHz": {"sample_rate": 44100}}


def variants(items: int) -> dict:
    """CPU milliseconds per item of the default config and of variants without rooms, without moving sources, with
    every item in a room, and at 44.1 kHz: which part of the distribution costs what."""
    costs = {}
    for name, overrides in VARIANTS.items():
        renderer = ItemRenderer(parse_config(overrides))
        renderer(99_999)  # warm-up
        began = time.process_time()
        for index in range(items):
            renderer(index)
        costs[name] = 1e3 * (time.process_time() - began) / items
    return costs


MEASURES: dict[str, Callable[..., dict]] = {"local_rate": local_rate, "breakdown": breakdown, "variants": variants}


def engine_run(engine: str, config: DatasetConfig, items: int, workers: int, folder: Path) -> dict:
    """One cold build of `items` items by `engine` ('local' process pool or 'ray') with `workers` workers, as `build` runs it
    (engine opened, items written as they finish, engine closed), timed per item: steady items/s after the first
    2 x workers items, and the fixed start cost, the wall time beyond `items` / steady rate (opening the engine, workers
    importing the project and loading the HRIRs, closing)."""
    folder.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    engine_ = open_engine(engine, config, workers, None, 0)
    finished = []
    try:
        for item in engine_.items(range(items)):
            write_item(folder, item)
            finished.append(time.perf_counter() - began)
    finally:
        engine_.close()
    wall = time.perf_counter() - began
    skip = 2 * workers
    rate = (items - skip) / (finished[-1] - finished[skip - 1])
    return {"engine": engine, "workers": workers, "items": items, "items_per_s": rate, "start_cost_s": wall - items / rate,
            "first_item_s": finished[0], "wall_s": wall}


def pool_against_ray(config: DatasetConfig, items: int, rounds: int, scratch: Path, workers: int = 2) -> dict:
    """The local process pool and Ray at the same worker count in this one run, alternated over `rounds` rounds (pool
    first): each engine's runs, the median of its steady rates and start costs, and Ray's rate over the pool's."""
    runs: dict[str, list[dict]] = {"local": [], "ray": []}
    for round_ in range(rounds):
        for engine in ("local", "ray"):
            load_before = _load()
            run = engine_run(engine, config, items, workers, scratch / f"{engine}-{round_}")
            runs[engine].append({**run, "load_before": load_before, "load_after": _load()})
    median = {engine: {"items_per_s": statistics.median(r["items_per_s"] for r in found),
                       "start_cost_s": statistics.median(r["start_cost_s"] for r in found)} for engine, found in runs.items()}
    return {"workers": workers, "items": items, "rounds": rounds, "runs": runs, "median": median,
            "ray_over_pool": median["ray"]["items_per_s"] / median["local"]["items_per_s"]}


def peak_memory(n: int, engine: str, sample_rate: int, summary_png: Path | None = None) -> dict:
    """The driver's peak resident memory (MiB) building n items in a child process; its summary.png copied to `summary_png`."""
    folder = Path(tempfile.mkdtemp(prefix=f"dataset-memory-{engine}-{n}-"))
    try:
        command = [sys.executable, "-m", "benchmarks.dataset_speed", "--child", str(folder), str(n), engine, str(sample_rate)]
        began = time.perf_counter()
        child = subprocess.Popen(command, cwd=Path(__file__).parents[1])
        _, status, usage = os.wait4(child.pid, 0)
        if status != 0:
            raise RuntimeError(f"the {engine} build of {n} items failed (status {status})")
        if summary_png is not None:
            shutil.copyfile(folder / "summary.png", summary_png)
        return {"n": n, "engine": engine, "peak_mib": usage.ru_maxrss / 1024, "seconds": time.perf_counter() - began}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _child(folder: str, n: str, engine: str, sample_rate: str) -> int:
    config = DatasetConfig(sample_rate=int(sample_rate))
    build(folder, int(n), config, engine=engine, workers=1 if engine == "local" else 2)
    print(f"  {engine} N={n}: peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(*argv[1:5])
    if argv[:1] == ["--confined"]:
        print(json.dumps(MEASURES[argv[1]](*json.loads(argv[2]))))
        return 0
    parser = argparse.ArgumentParser(prog="cascade bench dataset", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=80, help="items timed after the warm-up")
    parser.add_argument("--sample-rate", type=int, default=DatasetConfig().sample_rate, help="Hz (default: the default config's)")
    parser.add_argument("--ray", action="store_true", help="also measure the local process pool and Ray at 2 workers each, alternated "
                        "(needs the ray extra)")
    parser.add_argument("--rounds", type=int, default=2, help="pool/Ray rounds with --ray")
    parser.add_argument("--variants", action="store_true", help="also the CPU cost per item without rooms, without moving sources, ...")
    parser.add_argument("--memory", type=int, nargs="*", metavar="N", help="peak driver memory building these sizes, e.g. 200 2000")
    parser.add_argument("--memory-engines", nargs="+", default=["local"], choices=["local", "ray"])
    parser.add_argument("--summary-png", type=Path, help="keep the summary.png of the largest memory build here")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    config = DatasetConfig(sample_rate=args.sample_rate)
    figures: dict = {"machine": machine(), "cpus_allowed": available_cpus(), "sample_rate": args.sample_rate}
    print(f"machine: {figures['machine']}; this process may use {figures['cpus_allowed']} CPUs; {_load()}")
    with tempfile.TemporaryDirectory(prefix="dataset-speed-") as scratch:
        local = figures["local_1_process"] = confined("local_rate", config.model_dump(), args.items, f"{scratch}/local")
        print(f"local, 1 process confined to 1 CPU: {local['items_per_s']:.2f} items/s wall, {local['cpu_items_per_s']:.2f} items per "
              f"CPU-second ({local['items']} items; {local['load_before']} before, {local['load_after']} after)")
        parts = figures["ms_per_item"] = confined("breakdown", config.model_dump(), min(args.items, 30), f"{scratch}/parts")
        print("  ms per item: " + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()))
        if args.variants:
            costs = figures["cpu_ms_per_item"] = confined("variants", min(args.items, 25))
            print("  CPU ms per item: " + ", ".join(f"{k} {v:.0f}" for k, v in costs.items()) + f" ({_load()})")
        if args.ray:
            both = figures["pool_vs_ray"] = pool_against_ray(config, args.items, args.rounds, Path(scratch) / "engines")
            for engine in ("local", "ray"):
                for run in both["runs"][engine]:
                    print(f"{'local pool' if engine == 'local' else 'ray':>10}, {run['workers']} workers: {run['items_per_s']:.2f} items/s "
                          f"steady, start cost {run['start_cost_s']:.1f} s (first item after {run['first_item_s']:.1f} s; {run['items']} items "
                          f"in {run['wall_s']:.1f} s; {run['load_before']} before, {run['load_after']} after)")
            pool, ray = both["median"]["local"], both["median"]["ray"]
            print(f"median of {args.rounds}: pool {pool['items_per_s']:.2f} items/s, Ray {ray['items_per_s']:.2f} items/s = "
                  f"{both['ray_over_pool']:.2f}x the pool's; start cost pool {pool['start_cost_s']:.1f} s, Ray {ray['start_cost_s']:.1f} s")
    for engine in args.memory_engines if args.memory else []:
        for n in args.memory:
            memory = peak_memory(n, engine, args.sample_rate, args.summary_png if n == max(args.memory) else None)
            figures.setdefault("peak_driver_memory", []).append(memory)
            print(f"peak driver memory, {engine}, N={n}: {memory['peak_mib']:.0f} MiB ({memory['seconds']:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
