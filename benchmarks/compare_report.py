"""The comparison's results as a markdown table, JSON and two figures (target against estimated azimuth on a polar
plot per path; error against the number of events in the scene)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from cascade.files import atomic_path, write_text

COLUMNS = (("l1_azimuth", "L1 azimuth (rad)", "{:.2f}"), ("l1_elevation", "L1 elevation (rad)", "{:.2f}"),
           ("spatial_angle", "spatial angle (rad)", "{:.2f}"), ("binaural_acc", "binaural 12-class", "{:.0%}"),
           ("binaural_mae_deg", "binaural MAE (°)", "{:.1f}"), ("onset_mae_ms", "onset error (ms)", "{:.0f}"),
           ("tag_acc", "tagger accuracy", "{:.0%}"))
STRATUM_COLUMNS = (("spatial_angle", "spatial angle (rad)", "{:.2f}"), ("binaural_acc", "binaural 12-class", "{:.0%}"),
                   ("onset_mae_ms", "onset error (ms)", "{:.0f}"), ("tag_acc", "tagger accuracy", "{:.0%}"))


def _cell(value: float, fmt: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else fmt.format(value)


def one_line(summary: dict) -> str:
    """The summary of one path in one line."""
    return ", ".join(f"{title} {_cell(summary.get(key, float('nan')), fmt)}" for key, title, fmt in COLUMNS)


def _parameters(count: int) -> str:
    return "0" if count == 0 else f"{count / 1e6:.2f} M"


def table(result: dict) -> str:
    """Markdown: the main table (one row per path), the strata, and the seconds per stage."""
    setup, paths = result["setup"], result["paths"]
    head = ["path", *(title for _, title, _ in COLUMNS), "Fréchet distance", "s / scene", "start-up (s)", "peak RSS (MB)", "parameters"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, data in paths.items():
        s, cost = data["summary"], data["cost"]
        frechet = "0 (floor " + _cell(setup["frechet_floor"], "{:.2f}") + ")" if name == "truth" else _cell(data["frechet"], "{:.2f}")
        cells = [name, *(_cell(s.get(key, float("nan")), fmt) for key, _, fmt in COLUMNS), frechet, f"{cost['total_s_per_scene']:.2f}",
                 f"{cost['startup_s']:.1f}", f"{cost['peak_rss_mb']:.0f}", _parameters(cost["parameters"])]
        lines.append("| " + " | ".join(cells) + " |")
    strata = list(next(iter(paths.values()))["strata"])
    lines += ["", "| path | " + " | ".join(f"{s}: {title}" for s in strata for _, title, _ in STRATUM_COLUMNS) + " |",
              "|" + " --- |" * (1 + len(strata) * len(STRATUM_COLUMNS))]
    for name, data in paths.items():
        cells = [_cell(data["strata"][s].get(key, float("nan")), fmt) for s in strata for key, _, fmt in STRATUM_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| path | seconds per scene by stage |", "| --- | --- |"]
    for name, data in paths.items():
        stages = ", ".join(f"{stage} {seconds:.3f}" for stage, seconds in data["cost"]["seconds_per_scene"].items())
        lines.append(f"| {name} | {stages} |")
    load, first = setup["load_average"], next(iter(paths.values()))["summary"]
    lines += ["", f"{setup['items']} scenes ({', '.join(setup['strata'])}), {first['events']} events, {first['binaural_events']} of them "
              f"within 30° of the horizontal plane (the binaural columns); "
              f"{setup['machine']}, {setup['torch_threads']} torch thread(s); load average {load['mean']:.1f} (max {load['max']:.1f}) "
              f"during the run; {setup['wall_s'] / 60:.1f} min in all. Tagger: {setup['tagger']['labels']} labels, "
              f"{setup['tagger']['held_out_accuracy']:.1%} on its {setup['tagger']['held_out_clips']} held-out clips."]
    return "\n".join(lines) + "\n"


def _json_ready(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return _json_ready(value.item())
    return value


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def plot_polar(result: dict, path: Path) -> None:
    """One polar panel per path: each event's planned azimuth (outer ring) joined to its intensity-vector estimate
    (middle ring) and its binaural localizer estimate (inner ring); front up, +90 (left) on the left."""
    plt = _pyplot()
    paths = result["paths"]
    columns = min(3, len(paths))
    rows = math.ceil(len(paths) / columns)
    figure = plt.figure(figsize=(4.2 * columns, 4.4 * rows))
    for k, (name, data) in enumerate(paths.items()):
        ax = figure.add_subplot(rows, columns, k + 1, projection="polar")
        ax.set_theta_zero_location("N")
        for row in data["rows"]:
            target = math.radians(row["target_azimuth"])
            for radius, key, colour in ((0.72, "azimuth", "tab:blue"), (0.44, "binaural_azimuth", "tab:orange")):
                if row[key] is not None and math.isfinite(row[key]):
                    ax.plot([target, math.radians(row[key])], [1.0, radius], color=colour, lw=0.6, alpha=0.5)
                    ax.plot([math.radians(row[key])], [radius], "o", color=colour, ms=2.5)
            ax.plot([target], [1.0], "o", color="black", ms=2.5)
        s = data["summary"]
        ax.set_title(f"{name}\nFOA L1 az {s['l1_azimuth']:.2f} rad, binaural {s['binaural_acc']:.0%}", fontsize=9)
        ax.set_ylim(0, 1.05)
        ax.set_yticks([])
        ax.set_xticks(np.radians([0, 90, 180, 270]), ["front", "left", "back", "right"], fontsize=8)
    figure.suptitle("planned azimuth (black, outer) → intensity-vector estimate (blue) and binaural localizer estimate (orange)",
                    fontsize=10)
    figure.tight_layout()
    _save(figure, path)


def plot_events(result: dict, path: Path) -> None:
    """Spatial angle, binaural MAE and onset error against the number of events in the scene, one line per path."""
    plt = _pyplot()
    keys = (("spatial_angle", "spatial angle (rad)"), ("binaural_mae_deg", "binaural MAE (°)"), ("onset_mae_ms", "onset error (ms)"),
            ("tag_acc", "tagger accuracy"))
    figure, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.6))
    for ax, (key, title) in zip(axes, keys):
        for name, data in result["paths"].items():
            counts = sorted(data["by_events"], key=int)
            values = [data["by_events"][n].get(key) for n in counts]
            truth = name == "truth"
            ax.plot([int(n) for n in counts], [np.nan if v is None else v for v in values], "o--" if truth else "o-", label=name,
                    lw=1.6 if truth else 1.2, color="black" if truth else None, zorder=3 if truth else 2)
        ax.set(xlabel="events in the scene", title=title)
        ax.set_xticks(range(1, 5))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    _save(figure, path)


def _save(figure, path: Path) -> None:
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=90)
    plt.close(figure)


def write(result: dict, prefix: Path) -> list[Path]:
    """prefix.md (the tables), prefix.json (everything, every event), prefix_polar.png and prefix_events.png."""
    ready = _json_ready(result)
    md, data = prefix.with_name(prefix.name + ".md"), prefix.with_name(prefix.name + ".json")
    polar, events = prefix.with_name(prefix.name + "_polar.png"), prefix.with_name(prefix.name + "_events.png")
    md.parent.mkdir(parents=True, exist_ok=True)
    write_text(md, table(result))
    write_text(data, json.dumps(ready, indent=1) + "\n")
    plot_polar(ready, polar)
    plot_events(ready, events)
    return [md, data, polar, events]
