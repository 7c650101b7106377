"""Planner accuracy and latency on a labelled set of scene descriptions.

    python -m benchmarks.planner_eval [--planner rules|openai] [--data PATH] [--json OUT]

Each item of benchmarks/data/planner_set.json gives the text and its expected events, in
temporal order: label keywords, azimuth (degrees, +90 left), elevation sign (+, -, 0), distance
class (near < 1.25 m, far > 9 m, else mid), start and duration (s) where the text fixes them,
and for moving sources `moves`, `end_azimuth` or `radial` (approach / recede). Predicted events
are matched to expected ones by label keyword, in order.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import planners
from cascade.files import write_text

DATA = Path(__file__).parent / "data" / "planner_set.json"
NEAR, FAR = 1.25, 9.0
SIGN_DEADZONE = 5.0
WITHIN = 20.0
ACCURACY_KEYS = ("event_count_accuracy", "label_recall", "azimuth_within_20", "elevation_sign_accuracy", "distance_class_accuracy",
                 "order_accuracy", "motion_accuracy", "room_accuracy")


def distance_class(metres: float) -> str:
    return "near" if metres < NEAR else "far" if metres > FAR else "mid"


def elevation_sign(degrees: float) -> str:
    return "0" if abs(degrees) <= SIGN_DEADZONE else "+" if degrees > 0 else "-"


def angle_error(a: float, b: float) -> float:
    """Absolute circular difference of two azimuths, degrees in [0, 180]."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _match(expected: list[dict], events: list) -> list[tuple[dict, Any]]:
    """Pairs (expected, predicted): each expected event takes the first unused predicted one naming a label keyword."""
    used: set[int] = set()
    pairs = []
    for want in expected:
        for i, event in enumerate(events):
            if i not in used and any(k.lower() in event.description.lower() for k in want["label"]):
                used.add(i)
                pairs.append((want, event))
                break
    return pairs


def _motion_ok(want: dict, event) -> bool:
    _, path = event.path()
    if not event.moves:
        return False
    if "end_azimuth" in want and angle_error(path[-1].azimuth, want["end_azimuth"]) > WITHIN:
        return False
    if want.get("radial") == "approach":
        return path[-1].distance < path[0].distance
    if want.get("radial") == "recede":
        return path[-1].distance > path[0].distance
    return True


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def evaluate(planner, items: list[dict]) -> dict:
    """Scores of `planner` (anything with .plan(text) -> Scene) on labelled `items`; see the module docstring."""
    tally: dict[str, list[float]] = {k: [] for k in ("count", "label", "az_err", "az_in", "el", "dist", "start", "dur", "order",
                                                     "motion", "room", "latency_ms")}
    failures = []
    for item in items:
        began = time.perf_counter()
        try:
            scene = planner.plan(item["text"])
        except planners.PlannerError as err:
            failures.append({"text": item["text"], "error": str(err)})
            tally["count"].append(0.0)
            tally["label"].extend([0.0] * len(item["events"]))
            continue
        tally["latency_ms"].append((time.perf_counter() - began) * 1000.0)
        expected = item["events"]
        tally["count"].append(float(len(scene.events) == len(expected)))
        pairs = _match(expected, scene.events)
        tally["label"].extend([1.0] * len(pairs) + [0.0] * (len(expected) - len(pairs)))
        for want, event in pairs:
            if "azimuth" in want:
                miss = angle_error(event.position.azimuth, want["azimuth"])
                tally["az_err"].append(miss)
                tally["az_in"].append(float(miss <= WITHIN))
            if "elevation" in want:
                tally["el"].append(float(elevation_sign(event.position.elevation) == want["elevation"]))
            if "distance" in want:
                tally["dist"].append(float(distance_class(event.position.distance) == want["distance"]))
            if "start" in want:
                tally["start"].append(abs(event.start - want["start"]))
            if "duration" in want:
                tally["dur"].append(abs(event.duration - want["duration"]))
            if want.get("moves") or "end_azimuth" in want or "radial" in want:
                tally["motion"].append(float(_motion_ok(want, event)))
        ranked = [(want["order"], event.start) for want, event in pairs if "order" in want]
        for i, (rank_a, start_a) in enumerate(ranked):
            for rank_b, start_b in ranked[i + 1:]:
                if rank_a != rank_b:
                    tally["order"].append(float((start_a < start_b) == (rank_a < rank_b) and abs(start_a - start_b) > 1e-9))
                else:
                    tally["order"].append(float(abs(start_a - start_b) < 1e-6))
        if "room" in item:
            tally["room"].append(float((scene.room is not None) == item["room"]))
    latency = sorted(tally["latency_ms"])
    return {
        "planner": getattr(planner, "name", type(planner).__name__),
        "items": len(items),
        "events": sum(len(i["events"]) for i in items),
        "failures": failures,
        "event_count_accuracy": _mean(tally["count"]),
        "label_recall": _mean(tally["label"]),
        "azimuth_mae_deg": _mean(tally["az_err"]),
        "azimuth_within_20": _mean(tally["az_in"]),
        "elevation_sign_accuracy": _mean(tally["el"]),
        "distance_class_accuracy": _mean(tally["dist"]),
        "start_mae_s": _mean(tally["start"]),
        "duration_mae_s": _mean(tally["dur"]),
        "order_accuracy": _mean(tally["order"]),
        "motion_accuracy": _mean(tally["motion"]),
        "room_accuracy": _mean(tally["room"]),
        "latency_ms_mean": _mean(latency),
        "latency_ms_p95": round(latency[int(0.95 * (len(latency) - 1))], 4) if latency else None,
        "counts": {k: len(v) for k, v in tally.items()},
    }


def load_items(path: Path = DATA) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["items"]


def _table(result: dict) -> str:
    rows = [(k, result[k]) for k in ACCURACY_KEYS + ("azimuth_mae_deg", "start_mae_s", "duration_mae_s", "latency_ms_mean",
                                                      "latency_ms_p95")]
    lines = [f"planner {result['planner']}: {result['items']} descriptions, {result['events']} events, {len(result['failures'])} refused"]
    lines += [f"  {name:26s} {'-' if value is None else f'{value:.3f}'}" for name, value in rows]
    lines += [f"  refused: {f['text'][:60]!r}: {f['error']}" for f in result["failures"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cascade bench planner", description=__doc__.splitlines()[0])
    parser.add_argument("--planner", default="rules", choices=planners.names(), help="which planner to score (default: rules, offline)")
    parser.add_argument("--data", type=Path, default=DATA, help="labelled set (default: benchmarks/data/planner_set.json)")
    parser.add_argument("--json", type=Path, help="also write the scores to this JSON file")
    args = parser.parse_args(argv)
    try:
        planner = planners.get(args.planner)
    except (planners.PlannerError, ImportError) as err:
        print(f"planner '{args.planner}' is not available: {err}")
        return 2
    result = evaluate(planner, load_items(args.data))
    print(_table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        write_text(args.json, json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
