"""Do the learned models make what they are asked, when, how loud and where? Held-out single sources.

    python -m benchmarks.e2e_spatial [--items 48] [--modes parametric descriptive mono] [--json PATH] [--png PATH] [--untrained]

Held-out examples (benchmarks.e2e_codec.held_out: the training distribution's classes, onsets and gains, static,
seeds no training set used) in three sets: anechoic, in rooms, and anechoic with each class's held-out wording
(never seen in training). Each model generates one 4 s window per example from the example's conditions
(parametric: its plain prompt and numbers; descriptive: its spatial caption, start, total time and gain; mono, the
learned cascade's generator: its plain prompt, start, total time and gain) with its default steps and guidance,
one seed per item. Figures against the example's labels:

    class         the compare benchmark's tagger (trained on clean procedural clips of its own seeds) names the
                  example's class on W (mono: the clip); chance is 1 / labels
    onset         |onset(output) - start| in s (benchmarks.onsets on W), over examples that start inside the window;
                  with the share of them whose output has a detectable onset
    level         |level(output) - (LEVEL_DBFS + gain)| in dB: RMS of W over the event's span
    L1 azimuth, L1 elevation, spatial angle (radians, intensity-vector DoA of the output against the label) and the
    share in the requested left/right hemisphere, for the AmbiX modes

The same figures for the example itself ("truth") and its codec round trip ("codec") bound what a model can reach;
`--untrained` measures the same networks at their initial weights (the baseline the trained ones must beat).

Multi-event scenes (`--scenes N`, end-to-end modes): two sounds of different classes, the first at 0.3-1.5 s on the
left, the second at 2.3-3.6 s on the right, rendered by the end-to-end pipeline; per event, the share of its stem's
W energy inside its own span (+0.25 s for a tail) and the share of scenes whose two stems point to their own sides.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.e2e_codec import RATE, event_span, held_out, level_db, tagger_labels
from benchmarks.onsets import onset
from benchmarks.tagger import Tagger, cached, event_label
from benchmarks.timing import machine
from cascade.end_to_end.checkpoints import SHIPPED
from cascade.end_to_end.codec import CodecConfig, SpectralCodec
from cascade.end_to_end.conditioning import MODES
from cascade.end_to_end.data import LEVEL_DBFS, TRAINING_CLASSES, Example
from cascade.end_to_end.inference import FlowModel
from cascade.end_to_end.latents import example_numbers
from cascade.metrics import doa_errors, foa_doa
from cascade.wordings import class_of

SETS = (("anechoic", False, False), ("rooms", True, False), ("held-out wording", False, True))
HELD_OUT_SCENES = 4242  # seed of the multi-event scenes
KEYS = ("class", "onset_s", "onset_found", "level_db", "azimuth", "elevation", "angle", "hemisphere")


def score(outputs: np.ndarray, examples: list[Example], tagger: Tagger) -> dict[str, float]:
    """The module docstring's figures of `outputs` (k, channels, window samples) for `examples`."""
    truth = [event_label(class_of(e.prompt), "procedural") for e in examples]
    predicted = tagger.predict([o[0] for o in outputs], RATE)
    inside = [k for k, e in enumerate(examples) if e.start > 0.05]
    found = [onset(outputs[k][0], RATE) for k in inside]
    errors = [abs(t - examples[k].start) for k, t in zip(inside, found) if np.isfinite(t)]
    levels = [abs(level_db(o[0][event_span(e)]) - (LEVEL_DBFS + e.gain)) for o, e in zip(outputs, examples)]
    figures = {"class": float(np.mean([p == t for p, t in zip(predicted, truth)])),
               "onset_s": float(np.median(errors)) if errors else float("nan"),
               "onset_found": len(errors) / max(len(inside), 1), "level_db": float(np.median(levels))}
    if outputs.shape[1] == 4:
        rows = [doa_errors(o, e.azimuth, e.elevation) for o, e in zip(outputs, examples)]
        figures |= {key: float(np.mean([r[key] for r in rows])) for key in ("azimuth", "elevation", "angle", "hemisphere")}
    return figures


def untrained_copy(folder: Path, target: Path, modes: list[str]) -> Path:
    """`target` holding, per mode, `folder`'s DiT at initial weights (seed 0) with the trained latent normalisation."""
    from cascade.end_to_end import checkpoints
    from cascade.end_to_end.dit import DitConfig
    from cascade.end_to_end.model import SpatialDiffusion

    for mode in modes:
        trained = checkpoints.load(folder / f"dit_{mode}.pt", "dit")
        torch.manual_seed(0)
        state = SpatialDiffusion(DitConfig.from_dict(trained["config"]["dit"]), mode).state_dict()
        state["mean"], state["std"] = trained["state"]["mean"], trained["state"]["std"]
        checkpoints.save(target / f"dit_{mode}.pt", {"kind": "dit", "config": trained["config"], "state": state, "step": 0})
    return target


def measure(folder: Path, items: int, modes: list[str]) -> dict:
    torch.set_num_threads(2)
    tagger = cached(tagger_labels())
    result: dict = {"machine": machine(), "checkpoints": str(folder), "items": items, "labels": len(tagger.labels),
                    "tagger_held_out_accuracy": tagger.held_out_accuracy, "sets": {}}
    flows = {mode: FlowModel(folder / f"dit_{mode}.pt", torch.device("cpu")) for mode in modes}
    field, dry = SpectralCodec(CodecConfig()), SpectralCodec(CodecConfig(channels=1))
    for name, rooms, wording in SETS:
        examples = held_out(items, rooms, held_out_wording=wording)
        foa = np.stack([e.foa for e in examples])
        mono = np.stack([e.mono[None] for e in examples])
        with torch.no_grad():
            codec_field = field.decode(field.encode(torch.from_numpy(foa))).numpy()
            codec_dry = dry.decode(dry.encode(torch.from_numpy(mono))).numpy()
        rows = {"truth (AmbiX)": score(foa, examples, tagger), "codec (AmbiX)": score(codec_field, examples, tagger),
                "truth (dry clip)": score(mono, examples, tagger), "codec (dry clip)": score(codec_dry, examples, tagger)}
        for mode, flow in flows.items():
            texts = [e.caption if mode == "descriptive" else e.prompt for e in examples]
            out = flow.generate(texts, [example_numbers(e) for e in examples], list(range(len(examples))))
            rows[mode] = score(out, examples, tagger)
        result["sets"][name] = rows
    return result


def multi_event(folder: Path, scenes: int, modes: list[str]) -> dict[str, dict[str, float]]:
    """The module docstring's multi-event figures per end-to-end mode."""
    from cascade.end_to_end.pipeline import EndToEnd
    from cascade.scene import Position, Scene, SoundEvent
    from cascade.wordings import seen_wordings

    rng = np.random.default_rng(HELD_OUT_SCENES)
    pairs = [rng.choice(len(TRAINING_CLASSES), 2, replace=False) for _ in range(scenes)]
    figures = {}
    for mode in [m for m in modes if m != "mono"]:
        pipe = EndToEnd(mode, folder, sample_rate=RATE)
        inside, sides = [], []
        for k, (a, b) in enumerate(pairs):
            events = [SoundEvent(id="first", description=seen_wordings(TRAINING_CLASSES[a])[0], start=0.3, duration=1.2,
                                 position=Position(azimuth=90.0, distance=2.0)),
                      SoundEvent(id="second", description=seen_wordings(TRAINING_CLASSES[b])[0], start=2.3, duration=1.3,
                                 position=Position(azimuth=-90.0, distance=2.0))]
            result = pipe(Scene(events=events, sample_rate=RATE, seed=HELD_OUT_SCENES + k))
            for stem, event, side in zip(result.stems, events, (1.0, -1.0)):
                energy = stem.foa[0].astype(np.float64) ** 2
                span = slice(int(event.start * RATE), int((event.end + 0.25) * RATE))
                inside.append(float(energy[span].sum() / max(energy.sum(), 1e-30)))
                sides.append(float(np.sign(np.sin(np.radians(foa_doa(stem.foa)[0]))) == side))
        figures[mode] = {"energy_in_own_span": float(np.median(inside)), "own_side": float(np.mean(sides)), "scenes": scenes}
    return figures


def plot(result: dict, path: Path) -> None:
    """Class accuracy, onset error, level error and spatial angle per model and set, as bars."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    panels = (("class", "class accuracy (tagger)"), ("onset_s", "median onset error (s)"), ("level_db", "median level error (dB)"),
              ("angle", "mean spatial angle (rad)"))
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8))
    sets = list(result["sets"])
    models = list(next(iter(result["sets"].values())))
    width = 0.8 / len(sets)
    for ax, (key, title) in zip(axes, panels):
        for k, name in enumerate(sets):
            values = [result["sets"][name][m].get(key, np.nan) for m in models]
            ax.bar(np.arange(len(models)) + k * width, values, width, label=name)
        ax.set_xticks(np.arange(len(models)) + 0.4 - width / 2, models, rotation=40, ha="right", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=48, help="held-out examples per set")
    parser.add_argument("--checkpoints", type=Path, default=SHIPPED, help="folder with dit_<mode>.pt")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--png", help="also draw the figures as bars to this PNG")
    parser.add_argument("--untrained", action="store_true", help="measure the same DiTs at their initial weights instead")
    parser.add_argument("--scenes", type=int, default=12, help="two-event scenes for the multi-event figures (0: none)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = untrained_copy(args.checkpoints, Path(scratch), args.modes) if args.untrained else args.checkpoints
        result = measure(folder, args.items, args.modes)
        if args.scenes:
            result["multi_event"] = multi_event(folder, args.scenes, args.modes)
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{result['machine']}; {args.items} held-out items per set; tagger: {result['labels']} labels (chance "
          f"{1 / result['labels']:.1%}), {result['tagger_held_out_accuracy']:.0%} on its own held-out clips")
    print(f"{'set':<18}{'model':<18}{'class':>7}{'onset s':>9}{'found':>7}{'level dB':>9}{'L1 az':>7}{'L1 el':>7}{'angle':>7}{'hemi':>6}")
    for set_name, rows in result["sets"].items():
        for name, s in rows.items():
            spatial = "".join(f"{s[k]:>7.3f}" for k in ("azimuth", "elevation", "angle")) + f"{s['hemisphere']:>6.0%}" if "angle" in s else ""
            print(f"{set_name:<18}{name:<18}{s['class']:>7.0%}{s['onset_s']:>9.3f}{s['onset_found']:>7.0%}{s['level_db']:>9.2f}{spatial}")
    for mode, row in result.get("multi_event", {}).items():
        print(f"two-event scenes, {mode}: median share of a stem's energy in its own span {row['energy_in_own_span']:.0%}, "
              f"stems on their own side {row['own_side']:.0%} ({row['scenes']} scenes)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.png:
        plot(result, Path(args.png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
