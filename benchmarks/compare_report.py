"""The comparison's results as a markdown table, JSON and two figures (target against estimated azimuth on a polar
plot per path; error against the number of events in the scene)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from cascade.files import atomic_path, write_text

COLUMNS = (("event_spatial_angle", "angle, own signal (rad)", "{:.2f}"), ("scene_spatial_angle", "angle in the mix (rad)", "{:.2f}"),
           ("event_l1_azimuth", "L1 azimuth (rad)", "{:.2f}"), ("event_l1_elevation", "L1 elevation (rad)", "{:.2f}"),
           ("binaural_acc", "binaural 12-class", "{:.0%}"), ("binaural_mae_deg", "binaural MAE (°)", "{:.1f}"),
           ("onset_share", "onset found", "{:.0%}"), ("onset_mae_ms", "onset error (ms)", "{:.0f}"), ("stationary_share", "stationary", "{:.0%}"),
           ("level_error_db", "level error (dB)", "{:.1f}"), ("tag_acc", "tagger accuracy", "{:.0%}"),
           ("prompt_match", "prompt matching", "{:.0%}"), ("similarity_across", "similarity across prompts", "{:.2f}"))
BINAURAL = ("binaural_acc", "binaural_mae_deg")  # the only columns a procedural cascade row measures
STRATUM_COLUMNS = (("event_spatial_angle", "angle, own (rad)", "{:.2f}"), ("scene_spatial_angle", "angle in mix (rad)", "{:.2f}"),
                   ("binaural_acc", "binaural 12-class", "{:.0%}"), ("onset_share", "onset found", "{:.0%}"), ("tag_acc", "tagger", "{:.0%}"))
WORDING_COLUMNS = (("tag_acc", "tagger accuracy", "{:.0%}"), ("prompt_match", "prompt matching", "{:.0%}"),
                   ("similarity_across", "similarity across prompts", "{:.2f}"), ("event_spatial_angle", "angle, own signal (rad)", "{:.2f}"),
                   ("onset_share", "onset found", "{:.0%}"), ("level_error_db", "level error (dB)", "{:.1f}"))
ROLES = {"truth": "truth: exact FOA of the scene's clips (the floor)", "e2e-ceiling": "end-to-end ceiling: the truth through the codec and back"}
PUBLISHED = (
    ("ImmerseDiffusion, Table 3, parametric", "L1 azimuth 0.36 rad, L1 elevation 0.34 rad, spatial angle 1.12 rad",
     "its own test set of recorded and spatialised real sound events, a model of hundreds of millions of parameters trained "
     "for days on GPUs, direction generated inside a learned latent; ours: procedural sounds at 16 kHz, a few million "
     "parameters trained for minutes on 2 CPU cores, and a fixed codec whose latent carries each frame's direction as "
     "explicit channels (the model writes a direction, it does not have to synthesise one)"),
    ("ImmerseDiffusion, Table 3, descriptive", "L1 azimuth 1.08 rad, L1 elevation 0.43 rad, spatial angle 1.35 rad", "as above"),
    ("DualSpec, Table II (binaural)", "12-class accuracy 92.9 %, MAE 7.83°",
     "scored by its own trained direction-of-arrival network on its own binaural test set; ours: a template localizer "
     "calibrated on the rendering head, horizontal-plane events only"),
)


def _cell(value: float, fmt: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else fmt.format(value)


def one_line(summary: dict) -> str:
    """The summary of one path in one line."""
    return ", ".join(f"{title} {_cell(summary.get(key, float('nan')), fmt)}" for key, title, fmt in COLUMNS)


def _parameters(count: int) -> str:
    return "0" if count == 0 else f"{count / 1e6:.2f} M"


def _role(name: str) -> str:
    if name in ROLES:
        return ROLES[name]
    if name.startswith("cascade-procedural-"):
        return f"cascade, procedural generator, `{name.removeprefix('cascade-procedural-')}`: equal to the truth by construction"
    if name.startswith("cascade-flow-"):
        return f"cascade, learned `flow` generator, `{name.removeprefix('cascade-flow-')}` renderer"
    return f"end-to-end, {name.removeprefix('e2e-')}"


def _row(name: str, summary: dict, columns) -> list[str]:
    by_construction = name.startswith("cascade-procedural-")
    return [("= truth" if by_construction and key not in BINAURAL else _cell(summary.get(key, float("nan")), fmt)) for key, _, fmt in columns]


def headline(result: dict) -> str:
    """Markdown: one row per path, every column of COLUMNS, the Fréchet distance, seconds per scene and parameters."""
    setup, paths = result["setup"], result["paths"]
    head = ["path", *(title for _, title, _ in COLUMNS), "Fréchet distance", "s / scene", "learned parameters"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, data in paths.items():
        frechet = "0 (floor " + _cell(setup["frechet_floor"], "{:.2f}") + ")" if name == "truth" else _cell(data["frechet"], "{:.2f}")
        if name.startswith("cascade-procedural-"):
            frechet = "= truth"
        cost = data["cost"]
        lines.append("| " + " | ".join([_role(name), *_row(name, data["summary"], COLUMNS), frechet, f"{cost['total_s_per_scene']:.2f}",
                                        _parameters(cost["parameters"])]) + " |")
    return "\n".join(lines)


def wordings(result: dict) -> str:
    """Markdown: the truth, the flow cascade and each end-to-end mode on the seen and on the held-out wordings."""
    paths = result["paths"]
    flows = [n for n in paths if n.startswith("cascade-flow-")][:1]  # its wordings reach the generator, not the renderer
    learned = ["truth", *flows, *(n for n in paths if n.startswith("e2e-") and n != "e2e-ceiling")]
    lines = ["| path | wordings | events | " + " | ".join(title for _, title, _ in WORDING_COLUMNS) + " |",
             "|" + " --- |" * (3 + len(WORDING_COLUMNS))]
    for name in learned:
        for wording, summary in paths[name]["wordings"].items():
            label = {"truth": "truth (reads no wording: the same subsets' floor)"}.get(name, _role(name))
            lines.append(f"| {label} | {wording} | {summary['events']} | " + " | ".join(_row(name, summary, WORDING_COLUMNS)) + " |")
    return "\n".join(lines)


def published() -> str:
    """Markdown: the papers' figures on their own, with what differs."""
    lines = ["Published figures, on other data and models: not comparable with the rows above, and no target is claimed.", "",
             "| paper | figures | what differs |", "| --- | --- | --- |"]
    return "\n".join(lines + [f"| {paper} | {figures} | {differs} |" for paper, figures, differs in PUBLISHED])


def table(result: dict) -> str:
    """Markdown: the headline table, seen against held-out wordings, the strata, the costs, the published figures on
    their own, and the run's setup."""
    setup, paths = result["setup"], result["paths"]
    lines = [headline(result), "", wordings(result)]
    strata = list(next(iter(paths.values()))["strata"])
    lines += ["", "| path | " + " | ".join(f"{s}: {title}" for s in strata for _, title, _ in STRATUM_COLUMNS) + " |",
              "|" + " --- |" * (1 + len(strata) * len(STRATUM_COLUMNS))]
    for name, data in paths.items():
        cells = [c for s in strata for c in _row(name, data["strata"][s], STRATUM_COLUMNS)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| path | s / scene | seconds per scene by stage | start-up (s) | peak RSS (MB) | learned parameters |", "|" + " --- |" * 6]
    for name, data in paths.items():
        cost = data["cost"]
        stages = ", ".join(f"{stage} {seconds:.3f}" for stage, seconds in cost["seconds_per_scene"].items())
        lines.append(f"| {name} | {cost['total_s_per_scene']:.2f} | {stages} | {cost['startup_s']:.1f} | {cost['peak_rss_mb']:.0f} | "
                     f"{_parameters(cost['parameters'])} |")
    lines += ["", published()]
    load, first = setup["load_average"], next(iter(paths.values()))["summary"]
    lines += ["", f"{setup['items']} scenes ({', '.join(setup['strata'])}), {first['events']} events; {first['binaural_events']} of them within "
              f"30° of the horizontal plane (the binaural columns), {first['onset_judged']} planned to start 0.25 s or more into the scene "
              f"(the onset columns); {setup['machine']}, {setup['torch_threads']} torch thread(s); load average {load['mean']:.1f} "
              f"(max {load['max']:.1f}) during the run; {setup['wall_s'] / 60:.1f} min in all. Tagger: {setup['tagger']['labels']} labels, "
              f"{setup['tagger']['held_out_accuracy']:.1%} on its {setup['tagger']['held_out_clips']} held-out clips. Prompt matching by chance: "
              f"{_cell(first.get('prompt_match_chance', float('nan')), '{:.0%}')}."]
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
            for radius, key, colour in ((0.72, "azimuth", "tab:blue"), (0.44, "binaural_azimuth", "tab:orange")):  # own signal; binaural
                if row[key] is not None and math.isfinite(row[key]):
                    ax.plot([target, math.radians(row[key])], [1.0, radius], color=colour, lw=0.6, alpha=0.5)
                    ax.plot([math.radians(row[key])], [radius], "o", color=colour, ms=2.5)
            ax.plot([target], [1.0], "o", color="black", ms=2.5)
        s = data["summary"]
        ax.set_title(f"{name}\nangle {_cell(s['event_spatial_angle'], '{:.2f}')} rad, binaural {_cell(s['binaural_acc'], '{:.0%}')}", fontsize=9)
        ax.set_ylim(0, 1.05)
        ax.set_yticks([])
        ax.set_xticks(np.radians([0, 90, 180, 270]), ["front", "left", "back", "right"], fontsize=8)
    figure.suptitle("planned azimuth (black, outer) → intensity-vector estimate of the event's own signal (blue) and binaural localizer estimate (orange)",
                    fontsize=10)
    figure.tight_layout()
    _save(figure, path)


def plot_events(result: dict, path: Path) -> None:
    """Angles, binaural MAE, onset share and tagger accuracy against the number of events in the scene, one line per path
    (the procedural cascade's rows left out: they are the truth's)."""
    plt = _pyplot()
    keys = (("event_spatial_angle", "angle, own signal (rad)"), ("scene_spatial_angle", "angle in the mix (rad)"),
            ("binaural_mae_deg", "binaural MAE (°)"), ("onset_share", "onset found"), ("tag_acc", "tagger accuracy"))
    figure, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.6))
    for ax, (key, title) in zip(axes, keys):
        for name, data in result["paths"].items():
            if name.startswith("cascade-procedural-"):
                continue
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
