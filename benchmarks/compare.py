"""Cascade against end-to-end on the same held-out scenes: where each sound is, when it starts, what it is, what it costs.

    cascade bench compare [--items 96] [--modes parametric,descriptive] [--renderers hrtf,foa,nfs] [--out PREFIX]
    python -m benchmarks.compare --items 24

Scenes: `benchmarks.compare_scenes` (single anechoic sources, single sources in rooms, 2-4 event scenes; 4 s at
16 kHz, static sources; seeds and configs of its own). Paths: `benchmarks.compare_paths` (the truth, the cascade
with each renderer, the end-to-end model in each mode). Every event is scored inside its own planned window
[start, start + duration]; a path's figure is the mean over all events, also given per stratum and per number of
events in the scene.

- spatial (radians), from the path's AmbiX mix: the direction of the active intensity vector of the frames in the
  event's window (`benchmarks.intensity`: Re{conj(W) [X, Y, Z]} summed over time-frequency bins, so energy weighted;
  ImmerseDiffusion eq. 4-8) against the planned direction: L1 azimuth |wrap(az - az*)|, L1 elevation |el - el*|,
  spatial angle arccos(u . u*) of the unit vectors. Other events sounding in the window pull the estimate: the truth
  row is that floor. 'alone' (JSON only) is the spatial angle of the event's own stem, without the other events.
- binaural: the template localizer of `benchmarks.localizer`, calibrated on AXD head 1 (no path renders with it), on
  the binaural mix in the event's window, given the path's own W channel there as the source of its spectral cues.
  Its templates lie in the horizontal plane, so only events within 30 degrees of it are scored (about 60 % of
  them; every row keeps its estimate): 12-class accuracy, the share whose estimate lies in the 30-degree sector of
  the planned azimuth (sectors centred on 0, 30, ... degrees); MAE, the mean circular |az - az*| in degrees.
- time: the energy onset (`benchmarks.onsets`) of the W channel of the event's own stem against its planned start:
  mean and median |error| in ms over the events that sound; 'silent' counts those that do not.
- what: the tagger of `benchmarks.tagger` (trained here on clean clips; its own held-out accuracy is reported) on the
  W channel of the event's own stem in its window: accuracy against the event's label (its signal model); and the
  Frechet distance between the tagger's 32-d embeddings of a path's events and of the truth's. For scale, the
  distance of the truth to clean clips of the same labels with new seeds is reported beside it ('FD floor').
- cost: `benchmarks.compare_paths` (start-up, seconds per scene per stage, peak memory, learned parameters).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from benchmarks import compare_report
from benchmarks.compare_paths import TRUTH, WARM_UP, Meter, Rendered, parameters, path_names, pipeline, render
from benchmarks.compare_scenes import SEEDS, STRATA, HeldOutScene, held_out_scenes, stratum_config
from benchmarks.intensity import direction_errors, intensity_frames, window_direction
from benchmarks.localizer import Localizer, sector
from benchmarks.onsets import onset
from benchmarks.renderer_fidelity import axd_sofa
from benchmarks.tagger import Tagger, cached, clean_clips, event_label, frechet_distance, labels_of
from benchmarks.timing import machine
from cascade.end_to_end.checkpoints import SHIPPED, CheckpointError
from cascade.end_to_end.conditioning import MODES
from cascade.errors import CascadeError
from cascade.metrics import circular_error
from renderers import names as renderer_names
from renderers.hrir import load_hrirs

RATE = 16000
RESULTS = Path(__file__).resolve().parent / "results"
RENDERERS = ("hrtf", "foa", "nfs")
HORIZONTAL_DEG = 30.0  # events this close to the horizontal plane get a binaural score
SUMMARY_KEYS = ("l1_azimuth", "l1_elevation", "spatial_angle", "alone_spatial_angle")


def measure_scene(held: HeldOutScene, rendered: Rendered, localizer: Localizer) -> tuple[list[dict], list[np.ndarray]]:
    """One row of figures per event of `held` as `rendered`, and each event's W channel in its window (for the tagger)."""
    times, vectors = intensity_frames(rendered.foa, RATE)
    rows, clips = [], []
    for event, name in zip(held.scene.events, held.classes):
        assert event.generation is not None
        target = event.position
        a, b = int(round(event.start * RATE)), int(round(event.end * RATE))
        row = {"item": held.index, "stratum": held.stratum, "events": len(held.scene.events), "event": event.id,
               "label": event_label(name, event.generation.backend), "target_azimuth": target.azimuth, "target_elevation": target.elevation}
        azimuth, elevation = window_direction(times, vectors, event.start, event.end)
        row.update(azimuth=azimuth, elevation=elevation, **direction_errors(azimuth, elevation, target.azimuth, target.elevation))
        stem = rendered.stems[event.id]
        alone = window_direction(*intensity_frames(stem, RATE), event.start, event.end)
        row["alone_spatial_angle"] = direction_errors(*alone, target.azimuth, target.elevation)["spatial_angle"]
        heard = localizer.localize(rendered.binaural[:, a:b], RATE, rendered.foa[0, a:b])
        row["binaural_azimuth"] = heard
        row["binaural_error_deg"] = float(circular_error(heard, target.azimuth))
        row["binaural_correct"] = bool(sector(heard) == sector(target.azimuth))
        row["near_horizontal"] = abs(target.elevation) <= HORIZONTAL_DEG
        row["onset_error_s"] = onset(stem[0], RATE) - event.start
        rows.append(row)
        clips.append(stem[0, a:b])
    return rows, clips


def summarise(rows: list[dict]) -> dict:
    """Means over events (see the module docstring); NaN where there is none."""
    if not rows:
        return {"events": 0}

    def mean(key: str, among: list[dict] = rows) -> float:
        values = np.array([r[key] for r in among], dtype=np.float64)
        return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")

    level = [r for r in rows if r["near_horizontal"]]
    onsets = np.abs(np.array([r["onset_error_s"] for r in rows], dtype=np.float64))
    heard = onsets[np.isfinite(onsets)]
    return {"events": len(rows), **{key: mean(key) for key in SUMMARY_KEYS},
            "unmeasured": int(sum(not np.isfinite(r["spatial_angle"]) for r in rows)),
            "binaural_events": len(level), "binaural_acc": mean("binaural_correct", level), "binaural_mae_deg": mean("binaural_error_deg", level),
            "onset_mae_ms": float(1e3 * heard.mean()) if heard.size else float("nan"),
            "onset_median_ms": float(1e3 * np.median(heard)) if heard.size else float("nan"),
            "silent": int(onsets.size - heard.size), "tag_acc": mean("tag_correct")}


def _frechet(a: np.ndarray, b: np.ndarray) -> float:
    return frechet_distance(a, b) if min(len(a), len(b)) >= 2 else float("nan")


def measure_path(name: str, scenes: list[HeldOutScene], tagger: Tagger, localizer: Localizer, checkpoint_dir: Path | None,
                 loads: list[float], progress: bool = True) -> tuple[list[dict], np.ndarray, dict]:
    """Every event's row, the tagger embeddings of every event, and the path's cost."""
    meter = Meter()
    pipe = pipeline(name, checkpoint_dir)
    pipe(WARM_UP)
    meter.started()
    rows, clips = [], []
    for held in tqdm(scenes, desc=name, unit="scene", disable=not progress, leave=False):
        rendered = render(pipe, held.scene)
        meter.scene(rendered.timings)
        scene_rows, scene_clips = measure_scene(held, rendered, localizer)
        rows += scene_rows
        clips += scene_clips
        loads.append(os.getloadavg()[0])
    cost = meter.report()
    cost["parameters"] = parameters(pipe)
    del pipe
    for row, tag in zip(rows, tagger.predict(clips, RATE)):
        row["tag"], row["tag_correct"] = tag, tag == row["label"]
    return rows, tagger.embed(clips, RATE), cost


def _check_checkpoints(folder: Path, modes: list[str]) -> None:
    if not modes:
        return
    for path in [folder / "codec.pt"] + [folder / f"dit_{mode}.pt" for mode in modes]:
        if not path.is_file():
            raise CheckpointError(f"end-to-end checkpoint {path} not found; pass the folder that holds it with --checkpoints, "
                                  "or compare the cascade alone with --modes none")


def run(items: int = 96, modes: tuple[str, ...] | list[str] = MODES, renderers: tuple[str, ...] | list[str] = RENDERERS,
        checkpoint_dir: Path | None = None, tagger: Tagger | None = None, localizer: Localizer | None = None,
        tagger_clips: int = 40, progress: bool = True) -> dict:
    """The whole comparison as one JSON-ready dict: setup, per path its summary, strata, events-count breakdown, cost,
    Frechet distance, and every event's row."""
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else SHIPPED
    modes, renderers = list(modes), list(renderers)
    _check_checkpoints(folder, modes)
    began = time.perf_counter()
    say = print if progress else (lambda _: None)
    scenes = held_out_scenes(items)
    if tagger is None:
        tagger = cached(labels_of(stratum_config("multi")), per_label=tagger_clips, progress=say)
    if localizer is None:
        say("localizer: AXD head 1 templates")
        localizer = Localizer(load_hrirs(axd_sofa(1)), RATE)
    tools_s = time.perf_counter() - began
    loads: list[float] = []
    paths: dict[str, dict] = {}
    embeddings: dict[str, np.ndarray] = {}
    for name in path_names(renderers, modes):
        rows, embedded, cost = measure_path(name, scenes, tagger, localizer, folder, loads, progress)
        embeddings[name] = embedded
        paths[name] = {"summary": summarise(rows), "strata": {s: summarise([r for r in rows if r["stratum"] == s]) for s in STRATA},
                       "by_events": {str(n): summarise([r for r in rows if r["events"] == n]) for n in sorted({r["events"] for r in rows})},
                       "cost": cost, "rows": rows}
        say(f"{name}: {compare_report.one_line(paths[name]['summary'])}")
    truth = embeddings[TRUTH]
    for name, embedded in embeddings.items():
        paths[name]["frechet"] = _frechet(embedded, truth)
    fresh, _ = clean_clips([r["label"] for r in paths[TRUTH]["rows"]], "frechet-floor")
    setup = {"items": items, "strata": list(STRATA), "seeds": SEEDS, "configs": {s: json.loads(stratum_config(s).model_dump_json()) for s in STRATA},
             "modes": modes, "renderers": renderers, "checkpoints": str(folder), "machine": machine(), "torch_threads": torch.get_num_threads(),
             "tagger": {"labels": len(tagger.labels), "held_out_accuracy": tagger.held_out_accuracy, "held_out_clips": tagger.held_out_clips},
             "frechet_floor": _frechet(tagger.embed(fresh, RATE), truth), "tagger_and_localizer_s": tools_s,
             "load_average": {"mean": float(np.mean(loads)) if loads else float("nan"), "max": float(np.max(loads)) if loads else float("nan")},
             "e2e_checkpoints": _checkpoint_records(folder, modes), "wall_s": time.perf_counter() - began}
    return {"setup": setup, "paths": paths}


def _checkpoint_records(folder: Path, modes: list[str]) -> dict:
    """Step and training minutes of each end-to-end checkpoint, from the JSON beside it when there is one."""
    records = {}
    for stem in ["codec"] + [f"dit_{mode}" for mode in modes]:
        path = folder / f"{stem}.json"
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            history = data.get("history") or [{}]
            records[stem] = {"step": data.get("step"), "minutes": history[-1].get("minutes")}
    return records


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"cascade bench compare: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _choices(allowed: list[str], what: str):
    def parse(text: str) -> list[str]:
        chosen = [] if text.strip().lower() == "none" else [t.strip() for t in text.split(",") if t.strip()]
        wrong = [c for c in chosen if c not in allowed]
        if wrong:
            raise argparse.ArgumentTypeError(f"{what} must be a comma-separated list of {', '.join(allowed)} (or none), got '{wrong[0]}'")
        return chosen
    return parse


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got '{text}'")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="cascade bench compare", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=_positive, default=96, help="held-out scenes (a third of each stratum; default 96)")
    parser.add_argument("--modes", type=_choices(list(MODES), "--modes"), default=list(MODES),
                        help="end-to-end modes, comma-separated (default parametric,descriptive; none to leave it out)")
    parser.add_argument("--renderers", type=_choices(renderer_names(), "--renderers"), default=list(RENDERERS),
                        help="cascade renderers, comma-separated (default hrtf,foa,nfs)")
    parser.add_argument("--checkpoints", type=Path, help="folder of the end-to-end codec.pt and dit_<mode>.pt (default: the shipped ones)")
    parser.add_argument("--out", type=Path, help="prefix of the .md, .json and .png results (default benchmarks/results/compare-<items>)")
    parser.add_argument("--threads", type=_positive, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--tagger-clips", type=_positive, default=40, help="training clips per tagger label (default 40)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        result = run(args.items, args.modes, args.renderers, args.checkpoints, tagger_clips=args.tagger_clips)
    except CascadeError as err:
        print(f"cascade bench compare: error: {err}", file=sys.stderr)
        return 2
    out = args.out or RESULTS / f"compare-{args.items}"
    for path in compare_report.write(result, out):
        print(f"wrote {path}")
    print(compare_report.table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
