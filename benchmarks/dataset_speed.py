"""Dataset builder speed and memory: items per second in one pinned process, Ray's speed-up with 2 workers, and the
driver's peak memory at two dataset sizes.

    python -m benchmarks.dataset_speed [--items 80] [--sample-rate 24000] [--ray] [--memory 200 2000] [--json PATH]

Default config (procedural clips and espeak-ng speech, HRTF, 4 s items, 1-3 events, half in rooms). "1 process"
runs the whole build in this process pinned to one CPU; items/s counts wall time after a warm-up of a few items
(imports, HRIR set), and "CPU items/s" divides by this process's CPU time, which a busy machine disturbs less.
Ray starts a local runtime with 2 CPUs on the CPUs this process may use; its start cost is ray.init plus the
first items' extra time (worker processes importing the project and loading the HRIRs). Peak memory is the
driver process's maximum resident set (ru_maxrss of a child process that runs only the build). The load average
is printed beside each figure: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.timing import machine
from cascade.dataset import DatasetConfig, build, sample_scene
from cascade.dataset.build import write_item
from cascade.dataset.engines import available_cpus
from cascade.dataset.item import ItemRenderer

WARM_ITEMS = 4


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def local_rate(config: DatasetConfig, items: int, folder: Path) -> dict:
    """Build in this process, pinned to one CPU: wall and CPU items per second after a warm-up."""
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        build(folder, WARM_ITEMS, config, workers=1)
        load_before = _load()
        cpu = time.process_time()
        report = build(folder, WARM_ITEMS + items, workers=1)
        cpu = time.process_time() - cpu
    finally:
        os.sched_setaffinity(0, allowed)
    return {"items": report.built, "items_per_s": report.rate, "cpu_items_per_s": report.built / cpu,
            "load_before": load_before, "load_after": _load()}


def breakdown(config: DatasetConfig, items: int, folder: Path) -> dict:
    """Milliseconds per item: drawing the scene and the pipeline's stages (on items 100000+), and the whole item,
    its writing and, by difference, its labels and file encoding (on items 0+; no item is rendered twice, since the
    pipeline remembers the stems of scenes it has rendered)."""
    renderer = ItemRenderer(config)
    renderer(99_999)  # warm-up
    parts: dict[str, float] = {}

    def add(part: str, seconds: float) -> None:
        parts[part] = parts.get(part, 0.0) + 1e3 * seconds / items

    for index in range(items):
        began = time.perf_counter()
        draw = sample_scene(config, 100_000 + index)
        add("draw", time.perf_counter() - began)
        for stage, seconds in renderer.pipeline(draw.scene).timings.items():
            add(stage, seconds)
        began = time.perf_counter()
        item = renderer(index)
        add("item", time.perf_counter() - began)
        began = time.perf_counter()
        write_item(folder, item)
        add("write", time.perf_counter() - began)
    parts["labels+encode"] = parts["item"] - sum(parts[k] for k in ("draw", "generate", "spatialise", "mix"))
    return parts


def ray_rate(config: DatasetConfig, items: int, folder: Path, workers: int = 2) -> dict:
    """Ray with `workers` CPUs: start cost (init + warm-up beyond the steady per-item time) and steady items per second."""
    import ray

    began = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    init_s = time.perf_counter() - began
    try:
        began = time.perf_counter()
        build(folder, 2 * workers, config, engine="ray", workers=workers)
        warm_s = time.perf_counter() - began
        load_before = _load()
        report = build(folder, 2 * workers + items, engine="ray", workers=workers)
    finally:
        ray.shutdown()
    return {"workers": workers, "items": report.built, "items_per_s": report.rate, "init_s": init_s,
            "start_cost_s": init_s + warm_s - 2 * workers / report.rate, "load_before": load_before, "load_after": _load()}


def peak_memory(n: int, engine: str, sample_rate: int) -> dict:
    """The driver's peak resident memory (MiB) building n items in a child process."""
    folder = Path(tempfile.mkdtemp(prefix=f"dataset-memory-{engine}-{n}-"))
    try:
        command = [sys.executable, "-m", "benchmarks.dataset_speed", "--child", str(folder), str(n), engine, str(sample_rate)]
        began = time.perf_counter()
        child = subprocess.Popen(command, cwd=Path(__file__).parents[1])
        _, status, usage = os.wait4(child.pid, 0)
        if status != 0:
            raise RuntimeError(f"the {engine} build of {n} items failed (status {status})")
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
    parser = argparse.ArgumentParser(prog="cascade bench dataset", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=80, help="items timed after the warm-up")
    parser.add_argument("--sample-rate", type=int, default=DatasetConfig().sample_rate, help="Hz (default: the default config's)")
    parser.add_argument("--ray", action="store_true", help="also measure Ray with 2 workers (needs the ray extra)")
    parser.add_argument("--memory", type=int, nargs="*", metavar="N", help="peak driver memory building these sizes, e.g. 200 2000")
    parser.add_argument("--memory-engines", nargs="+", default=["local"], choices=["local", "ray"])
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    config = DatasetConfig(sample_rate=args.sample_rate)
    figures: dict = {"machine": machine(), "cpus_allowed": available_cpus(), "sample_rate": args.sample_rate}
    print(f"machine: {figures['machine']}; this process may use {figures['cpus_allowed']} CPUs; {_load()}")
    with tempfile.TemporaryDirectory(prefix="dataset-speed-") as scratch:
        local = figures["local_1_process"] = local_rate(config, args.items, Path(scratch) / "local")
        print(f"local, 1 process pinned to 1 CPU: {local['items_per_s']:.2f} items/s wall, {local['cpu_items_per_s']:.2f} items per "
              f"CPU-second ({local['items']} items; {local['load_before']} before, {local['load_after']} after)")
        parts = figures["ms_per_item"] = breakdown(config, min(args.items, 30), Path(scratch) / "parts")
        print("  ms per item: " + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()))
        if args.ray:
            remote = figures["ray"] = ray_rate(config, args.items, Path(scratch) / "ray")
            remote["speedup"] = remote["items_per_s"] / local["items_per_s"]
            remote["efficiency"] = remote["speedup"] / remote["workers"]
            print(f"ray, {remote['workers']} workers: {remote['items_per_s']:.2f} items/s, {remote['speedup']:.2f}x the 1-process rate "
                  f"(efficiency {100 * remote['efficiency']:.0f} %); start cost {remote['start_cost_s']:.1f} s (ray.init "
                  f"{remote['init_s']:.1f} s); {remote['load_before']} before, {remote['load_after']} after")
    for engine in args.memory_engines if args.memory else []:
        for n in args.memory:
            memory = peak_memory(n, engine, args.sample_rate)
            figures.setdefault("peak_driver_memory", []).append(memory)
            print(f"peak driver memory, {engine}, N={n}: {memory['peak_mib']:.0f} MiB ({memory['seconds']:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
