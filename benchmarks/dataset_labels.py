"""Dataset labels and rooms, measured on real builds: how often a label sits where its source is silent, and the
direct-to-reverberant ratios the rooms give.

    python -m benchmarks.dataset_labels [--items 200] [--room-items 400] [--json PATH] [--png PATH] [--summary-png PATH]

Labels: single-event anechoic items of the default classes, built once per label policy ('activity', the
default, and 'scheduled'). For every labelled frame (a CSV row), the level of the item's W channel in that
100 ms frame re the loudest frame of the item (the one source's peak), read from the written FOA file: the
share of labelled frames 30 dB or more below the peak, and 20 and 40 dB for context; plus the share of
frames where the source is within 30 dB of its peak that carry no label (what activity labelling may miss).
Rooms: the per-event DRR (Sabine's estimate from the item's volume, RT60 and source distance) of a build
with every item in a room, for rt60_model 'volume' (the default) and 'uniform' (the old draw), read from
summary.json; the RT60-volume pairs go to the PNG. The estimate is checked against the renderer: for the first
events of the 'volume' build, an impulse at the event's position through the room renderer, DRR = energy
of the direct sound's W over the energy of the room's W (every reflection and the late tail).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.timing import machine
from cascade.dataset import build, parse_config
from cascade.dataset.rooms import median_rt60
from cascade.scene import Scene
from renderers.foa import encode
from renderers.hrtf import HrtfRenderer
from renderers.path import SourcePath
from renderers.room import Shoebox
from renderers.spatialise import reverberate

FRAME = 0.1  # s
SINGLE_ANECHOIC = {"events": {"count": {"min": 1, "max": 1}}, "rooms": {"anechoic": 1.0}}


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def frame_levels_db(path: Path) -> np.ndarray:
    """dB of each 100 ms frame's mean W power re the file's loudest frame."""
    foa, rate = sf.read(path, always_2d=True, dtype="float64")
    hop = int(round(FRAME * rate))
    w = foa[: foa.shape[0] // hop * hop, 0].reshape(-1, hop)
    power = np.mean(w * w, axis=1)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(power / power.max())


def silent_labels(folder: Path) -> dict:
    """Shares of labelled frames at or below -20/-30/-40 dB re the source's peak, and of loud frames left unlabelled."""
    levels, unlabelled_loud, loud = [], 0, 0
    for line in (folder / "metadata.jsonl").read_text().splitlines():
        record = json.loads(line)
        db = frame_levels_db(folder / record["foa_file_name"])
        frames = [int(row[0]) for row in csv.reader((folder / record["dcase_csv"]).read_text().splitlines())]
        levels += [db[f] for f in frames if f < db.size]
        loud_frames = np.flatnonzero(db > -30.0)
        loud += loud_frames.size
        unlabelled_loud += len(set(loud_frames.tolist()) - set(frames))
    level = np.asarray(levels)
    return {"labelled_frames": int(level.size), **{f"share_below_{k}db": float(np.mean(level <= -k)) for k in (20, 30, 40)},
            "loud_frames_unlabelled": unlabelled_loud / max(loud, 1)}


def drr_figures(folder: Path) -> dict:
    summary = json.loads((folder / "summary.json").read_text())
    return summary["drr"]


def rendered_drr(folder: Path, events: int, rate: int = 24000) -> dict:
    """Rendered against estimated DRR (dB) of the first `events` events in rooms: median and spread of the difference."""
    renderer, impulse, pairs = HrtfRenderer(), np.ones(1, np.float32), []
    for line in (folder / "metadata.jsonl").read_text().splitlines():
        record = json.loads(line)
        room = Scene.load(folder / record["scene"]).room
        assert room is not None
        for event in record["events"]:
            path = SourcePath.static(event["azimuth"], event["elevation"], event["distance"])
            direct = encode(impulse, rate, path, renderer.reference_distance)[0].astype(np.float64)
            wet = reverberate(impulse, rate, path, renderer, Shoebox.build(room.dimensions, room.rt60), np.random.default_rng(0))[2]
            pairs.append((10.0 * np.log10(np.sum(direct**2) / np.sum(wet.astype(np.float64) ** 2)), event["drr_db"]))
            if len(pairs) == events:
                difference = np.array([a - b for a, b in pairs])
                return {"events": events, "rendered_median_db": float(np.median([a for a, _ in pairs])),
                        "estimate_median_db": float(np.median([b for _, b in pairs])),
                        "difference_median_db": float(np.median(difference)),
                        "difference_quartiles_db": np.percentile(difference, [25, 75]).tolist()}
    raise ValueError(f"fewer than {events} events in rooms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dataset_labels", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200, help="single-event anechoic items per label policy")
    parser.add_argument("--room-items", type=int, default=400, help="items in rooms per RT60 model")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--png", type=Path, help="RT60 against volume of the 'volume' build, with the median curve")
    parser.add_argument("--summary-png", type=Path, help="keep the 'volume' build's summary.png (with its DRR panel) here")
    args = parser.parse_args(argv)
    figures: dict = {"machine": machine()}
    print(f"machine: {figures['machine']}; {_load()}")
    with tempfile.TemporaryDirectory(prefix="dataset-labels-") as scratch:
        for policy in ("activity", "scheduled"):
            folder = Path(scratch) / policy
            build(folder, args.items, parse_config({**SINGLE_ANECHOIC, "labels": {"policy": policy}}), workers=2)
            found = figures[f"labels_{policy}"] = silent_labels(folder)
            print(f"labels '{policy}': {found['labelled_frames']} labelled frames; {100 * found['share_below_30db']:.1f} % at least 30 dB "
                  f"below the source's peak ({100 * found['share_below_20db']:.1f} % 20 dB, {100 * found['share_below_40db']:.1f} % 40 dB); "
                  f"{100 * found['loud_frames_unlabelled']:.1f} % of frames within 30 dB of the peak unlabelled ({_load()})")
        for model in ("volume", "uniform"):
            folder = Path(scratch) / model
            build(folder, args.room_items, parse_config({"rooms": {"anechoic": 0.0, "rt60_model": model}, "motion": {"fraction": 0.0}}),
                  workers=2)
            drr = figures[f"drr_{model}"] = drr_figures(folder)
            print(f"rooms '{model}': DRR median {drr['median_db']:.1f} dB, {100 * drr['share_below_0db']:.0f} % of events below 0 dB, "
                  f"quartiles {drr['quartiles_db'][0]:.1f} / {drr['quartiles_db'][1]:.1f} dB; RT60 median {drr['rt60_median_s']:.2f} s, "
                  f"source distance median {drr['distance_median_m']:.2f} m ({_load()})")
            if model == "volume":
                check = figures["drr_rendered"] = rendered_drr(folder, 40)
                print(f"  rendered DRR of {check['events']} events: median {check['rendered_median_db']:.1f} dB (estimate "
                      f"{check['estimate_median_db']:.1f} dB); rendered - estimate: median {check['difference_median_db']:+.1f} dB, "
                      f"quartiles {check['difference_quartiles_db'][0]:+.1f} / {check['difference_quartiles_db'][1]:+.1f} dB")
                if args.png:
                    _plot(folder, args.png)
                if args.summary_png:
                    shutil.copyfile(folder / "summary.png", args.summary_png)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def _plot(folder: Path, path: Path) -> None:
    from matplotlib.figure import Figure

    volumes, rt60s = [], []
    for line in (folder / "metadata.jsonl").read_text().splitlines():
        record = json.loads(line)
        volumes.append(float(np.prod(record["room_dimensions"])))
        rt60s.append(record["rt60"])
    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    axes = fig.add_subplot()
    axes.scatter(volumes, rt60s, s=6, alpha=0.6, label="drawn rooms")
    grid = np.geomspace(min(volumes), max(volumes), 50)
    axes.plot(grid, [median_rt60(v) for v in grid], color="black", label="median: DIN 18041 A2")
    axes.set_xscale("log")
    axes.set_xlabel("room volume (m³)")
    axes.set_ylabel("RT60 (s)")
    axes.legend()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
