"""Cascade against end-to-end on the same held-out scenes: where each sound is, when it starts, how loud, what it is,
whether it follows its prompt, and what it costs.

    cascade bench compare [--items 96] [--modes parametric,descriptive] [--renderers hrtf,foa,nfs] [--out PREFIX]
    python -m benchmarks.compare --items 24

Scenes: `benchmarks.compare_scenes` (single anechoic sources, single sources in rooms, 2-4 event scenes; 4 s at
16 kHz, static sources, gains -20 to 0 dB; seeds of their own; half of the items give the learned paths each class's
held-out wording). Paths: `benchmarks.compare_paths` (truth; the cascade with the procedural generator, equal to
the truth by construction; the cascade with the learned `flow` generator, per renderer; the end-to-end codec's
round trip of the truth, the end-to-end ceiling; the end-to-end model in each mode). Every event is scored inside
its own planned window [start, start + duration]; a path's figure is the mean over its events, also per stratum,
per number of events in the scene and per wording set (seen, held-out).

- direction (radians; `benchmarks.intensity`: the energy-weighted active intensity vector, ImmerseDiffusion eq.
  4-8), against the planned direction: L1 azimuth, L1 elevation and spatial angle. The headline is taken on the
  event's own signal (the cascade's stem, the end-to-end model's own windows before they are summed): does the path
  put this sound where it was asked? The scene-level angle beside it is taken on the mix in the event's window,
  where other events and the room pull the intensity vector: it says how well a listener of the whole mix could
  point at the event, and even the exact truth is far from 0 there.
- binaural: the template localizer of `benchmarks.localizer` calibrated on the head the path renders its binaural
  for (AXD head 2 for the truth, MIT KEMAR for the others), on the binaural mix in the event's window with the
  path's own W channel as the source of its spectral cues; events within 30 degrees of the horizontal plane:
  12-class accuracy (30-degree sectors centred on 0, 30, ... degrees) and MAE (degrees).
- time (`benchmarks.compare_metrics`): of the events planned to start at least 0.25 s in, the share whose output
  has a detectable onset, the onset error (mean and median |error| in ms) over those only, and the share of
  stationary outputs (as loud before the planned start as inside the window).
- level: the level error against the planned gain (dB, `benchmarks.compare_metrics`).
- what: the tagger of `benchmarks.tagger` on the W channel of the event's own stem in its window: accuracy against
  the label of the event's class (its signal model). The tagger trains on clips of its own seed stream (63-bit
  seeds, "tagger-train"); the learned models trained on clips of `cascade.end_to_end.data` (seeds below 2^31), the
  held-out scenes draw their own 63-bit seeds: no path was trained on a clip the tagger trained or is tested on.
  Prompt matching and the similarity across prompts (`benchmarks.compare_metrics`) on the tagger's embeddings; the
  Frechet distance of a path's embeddings to the truth's, with the distance of the truth to fresh clips of the same
  labels beside it for scale.
- cost: `benchmarks.compare_paths` (start-up, seconds per scene per stage, peak memory, learned parameters).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from benchmarks import compare_report
from benchmarks.compare_metrics import level_db, level_error, prompt_matching, prompt_similarity, timing
from benchmarks.compare_paths import GENERATORS, TRUTH, WARM_UP, Meter, Rendered, head, parameters, path_names, pipeline, reads_wordings, render
from benchmarks.compare_scenes import HELD_OUT, SEEDS, SEEN, STRATA, HeldOutScene, held_out_scenes, stratum_config
from benchmarks.intensity import direction_errors, intensity_frames, window_direction
from benchmarks.localizer import Localizer, sector
from benchmarks.tagger import Tagger, cached, clean_clips, event_label, frechet_distance, labels_of
from benchmarks.timing import machine
from cascade.cache import ClipCache
from cascade.end_to_end.checkpoints import SHIPPED, CheckpointError
from cascade.end_to_end.conditioning import SPATIAL_MODES
from cascade.errors import CascadeError
from cascade.metrics import circular_error
from renderers import names as renderer_names
from renderers.hrir import load_hrirs

RATE = 16000
RESULTS = Path(__file__).resolve().parent / "results"
RENDERERS = ("hrtf", "foa", "nfs")
HORIZONTAL_DEG = 30.0  # events this close to the horizontal plane get a binaural score
DIRECTION_KEYS = ("l1_azimuth", "l1_elevation", "spatial_angle")
SUMMARY_KEYS = (*(f"event_{k}" for k in DIRECTION_KEYS), *(f"scene_{k}" for k in DIRECTION_KEYS))


def measure_scene(held: HeldOutScene, rendered: Rendered, localizer: Localizer) -> tuple[list[dict], list[np.ndarray]]:
    """One row of figures per event of `held` as `rendered`, and each event's W channel in its window (for the tagger)."""
    times, vectors = intensity_frames(rendered.foa, RATE)
    rows, clips = [], []
    for event, worded, name in zip(held.scene.events, held.worded.events, held.classes):
        target = event.position
        a, b = int(round(event.start * RATE)), int(round(event.end * RATE))
        row = {"item": held.index, "stratum": held.stratum, "events": len(held.scene.events), "event": event.id, "class": name,
               "label": event_label(name, "procedural"), "wording": held.wording, "prompt": worded.description,
               "target_azimuth": target.azimuth, "target_elevation": target.elevation, "gain_db": event.gain_db}
        stem = rendered.stems[event.id]
        own = window_direction(*intensity_frames(stem, RATE), event.start, event.end)
        mixed = window_direction(times, vectors, event.start, event.end)
        row.update(azimuth=own[0], elevation=own[1], scene_azimuth=mixed[0], scene_elevation=mixed[1])
        row.update({f"event_{k}": v for k, v in direction_errors(*own, target.azimuth, target.elevation).items()})
        row.update({f"scene_{k}": v for k, v in direction_errors(*mixed, target.azimuth, target.elevation).items()})
        heard = localizer.localize(rendered.binaural[:, a:b], RATE, rendered.foa[0, a:b])
        row["binaural_azimuth"] = heard
        row["binaural_error_deg"] = float(circular_error(heard, target.azimuth))
        row["binaural_correct"] = bool(sector(heard) == sector(target.azimuth))
        row["near_horizontal"] = abs(target.elevation) <= HORIZONTAL_DEG
        row.update(timing(stem[0], RATE, event.start, event.end))
        row["level_db"] = level_db(stem[0], RATE, event.start, event.end)
        rows.append(row)
        clips.append(stem[0, a:b])
    return rows, clips


def summarise(rows: list[dict], embeddings: np.ndarray | None = None) -> dict:
    """Means over events (see the module docstring), and the prompt figures when `embeddings` (one per row) are given;
    NaN where there is none."""
    if not rows:
        return {"events": 0}

    def mean(key: str, among: list[dict] = rows) -> float:
        values = np.array([np.nan if r[key] is None else r[key] for r in among], dtype=np.float64)
        return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")

    level = [r for r in rows if r["near_horizontal"]]
    judged = [r for r in rows if r["judged"]]
    errors = np.abs([r["onset_error_s"] for r in judged if r["detected"]])
    out = {"events": len(rows), **{key: mean(key) for key in SUMMARY_KEYS},
           "unmeasured": int(sum(not np.isfinite(r["event_spatial_angle"]) for r in rows)),
           "binaural_events": len(level), "binaural_acc": mean("binaural_correct", level), "binaural_mae_deg": mean("binaural_error_deg", level),
           "onset_judged": len(judged), "onset_share": mean("detected", judged) if judged else float("nan"),
           "stationary_share": mean("stationary", judged) if judged else float("nan"),
           "onset_mae_ms": float(1e3 * errors.mean()) if errors.size else float("nan"),
           "onset_median_ms": float(1e3 * np.median(errors)) if errors.size else float("nan"),
           "level_error_db": level_error([r["level_db"] for r in rows], [r["gain_db"] for r in rows]),
           "tag_acc": mean("tag_correct") if "tag_correct" in rows[0] else float("nan")}
    if embeddings is not None:
        classes = [r["label"] for r in rows]
        matching, similarity = prompt_matching(embeddings, classes), prompt_similarity(embeddings, classes)
        out.update(prompt_match=matching["share"], prompt_match_scored=matching["scored"], prompt_match_chance=matching["chance"],
                   similarity_across=similarity["across"], similarity_within=similarity["within"])
    return out


def _frechet(a: np.ndarray, b: np.ndarray) -> float:
    return frechet_distance(a, b) if min(len(a), len(b)) >= 2 else float("nan")


def measure_path(name: str, scenes: list[HeldOutScene], tagger: Tagger, localizer: Localizer, checkpoint_dir: Path | None,
                 loads: list[float], clip_cache: ClipCache | None = None, progress: bool = True) -> tuple[list[dict], np.ndarray, dict]:
    """Every event's row, the tagger embeddings of every event, and the path's cost."""
    meter = Meter()
    pipe = pipeline(name, checkpoint_dir, clip_cache)
    pipe(WARM_UP)
    meter.started()
    worded = reads_wordings(name)
    rows, clips = [], []
    for held in tqdm(scenes, desc=name, unit="scene", disable=not progress, leave=False):
        rendered = render(pipe, held.worded if worded else held.scene)
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


def _check_checkpoints(folder: Path, names: list[str]) -> None:
    needed = [f"dit_{n.removeprefix('e2e-')}.pt" for n in names if n.startswith("e2e-") and n != "e2e-ceiling"]
    needed += ["dit_mono.pt"] if any(n.startswith("cascade-flow-") for n in names) else []
    for path in [folder / name for name in needed]:
        if not path.is_file():
            raise CheckpointError(f"learned-model checkpoint {path} not found; pass the folder that holds it with --checkpoints, "
                                  "or leave its rows out (--modes none, --generators procedural)")


def _subsets(rows: list[dict], embeddings: np.ndarray) -> dict[str, dict[str, dict]]:
    """Summaries per stratum, per number of events and per wording set."""
    def part(keep) -> dict:
        index = [k for k, r in enumerate(rows) if keep(r)]
        return summarise([rows[k] for k in index], embeddings[index])

    return {"strata": {s: part(lambda r, s=s: r["stratum"] == s) for s in STRATA},
            "by_events": {str(n): part(lambda r, n=n: r["events"] == n) for n in sorted({r["events"] for r in rows})},
            "wordings": {w: part(lambda r, w=w: r["wording"] == w) for w in (SEEN, HELD_OUT)}}


def run(items: int = 96, modes: tuple[str, ...] | list[str] = SPATIAL_MODES, renderers: tuple[str, ...] | list[str] = RENDERERS,
        checkpoint_dir: Path | None = None, tagger: Tagger | None = None, localizers: dict[str | None, Localizer] | None = None,
        tagger_clips: int = 40, progress: bool = True, generators: tuple[str, ...] | list[str] = GENERATORS) -> dict:
    """The whole comparison as one JSON-ready dict: setup, per path its summary, subsets, cost, Frechet distance, and
    every event's row. `localizers` maps a path's head (compare_paths.head) to a localizer calibrated on it."""
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else SHIPPED
    modes, renderers = list(modes), list(renderers)
    names = path_names(renderers, modes, generators)
    _check_checkpoints(folder, names)
    began = time.perf_counter()
    say = print if progress else (lambda _: None)
    scenes = held_out_scenes(items)
    if tagger is None:
        tagger = cached(labels_of(stratum_config("multi")), per_label=tagger_clips, progress=say)
    localizers = dict(localizers or {})
    for sofa in {head(name) for name in names} - set(localizers):
        say(f"localizer: templates of {Path(sofa).name if sofa else 'MIT KEMAR'}")
        localizers[sofa] = Localizer(load_hrirs(sofa), RATE)
    tools_s = time.perf_counter() - began
    loads: list[float] = []
    paths: dict[str, dict] = {}
    embeddings: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory(prefix="compare-clips-") as scratch:
        clip_cache = ClipCache(scratch)
        for name in names:
            rows, embedded, cost = measure_path(name, scenes, tagger, localizers[head(name)], folder, loads, clip_cache, progress)
            embeddings[name] = embedded
            paths[name] = {"summary": summarise(rows, embedded), **_subsets(rows, embedded), "cost": cost, "rows": rows}
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
             "generators": list(generators),
             "checkpoint_records": _checkpoint_records(folder, modes + (["mono"] if "flow" in generators and renderers else [])), "wall_s": time.perf_counter() - began}
    return {"setup": setup, "paths": paths}


def _checkpoint_records(folder: Path, modes: list[str]) -> dict:
    """Step and training minutes of each learned model's checkpoint, from the JSON beside it when there is one."""
    records = {}
    for stem in [f"dit_{mode}" for mode in modes]:
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
    parser.add_argument("--modes", type=_choices(list(SPATIAL_MODES), "--modes"), default=list(SPATIAL_MODES),
                        help="end-to-end modes, comma-separated (default parametric,descriptive; none to leave it out)")
    parser.add_argument("--renderers", type=_choices(renderer_names(), "--renderers"), default=list(RENDERERS),
                        help="cascade renderers, comma-separated (default hrtf,foa,nfs; each with the procedural and the flow generator)")
    parser.add_argument("--generators", type=_choices(list(GENERATORS), "--generators"), default=list(GENERATORS),
                        help="cascade generators, comma-separated (default procedural,flow; flow needs dit_mono.pt)")
    parser.add_argument("--checkpoints", type=Path, help="folder of the learned models' dit_<mode>.pt (default: the shipped ones)")
    parser.add_argument("--out", type=Path, help="prefix of the .md, .json and .png results (default benchmarks/results/compare-<items>)")
    parser.add_argument("--threads", type=_positive, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--tagger-clips", type=_positive, default=40, help="training clips per tagger label (default 40)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        result = run(args.items, args.modes, args.renderers, args.checkpoints, tagger_clips=args.tagger_clips, generators=args.generators)
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
