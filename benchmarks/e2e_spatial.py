"""Does the end-to-end model put sources where it is asked? Held-out single sources, as ImmerseDiffusion measures.

    python -m benchmarks.e2e_spatial [--items 64] [--modes parametric descriptive] [--json PATH] [--png PATH] [--untrained]

For each held-out example (the codec benchmark's sets: anechoic, and in rooms) the model generates one 4 s window
from the example's conditions (parametric: its plain prompt and numbers; descriptive: its spatial caption and its
start and total times), with the default steps and guidance and one seed per item. The direction of the result
is the intensity-vector DoA over the window; against the labelled direction:

    L1 azimuth   mean |wrap(az_pred - az_true)|                         radians
    L1 elevation mean |el_pred - el_true|                               radians
    spatial angle mean arccos(u_pred · u_true), u the unit vectors      radians
    hemisphere   share with sin(az_pred) of the sign of sin(az_true)    (left / right right)

The same figures for the reference FOA itself and for its codec reconstruction bound what the model can reach.
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

from benchmarks.e2e_codec import held_out
from benchmarks.timing import machine
from cascade.end_to_end.checkpoints import SHIPPED
from cascade.end_to_end.conditioning import MODES
from cascade.end_to_end.latents import example_numbers
from cascade.end_to_end.pipeline import EndToEnd
from cascade.metrics import doa_errors

KEYS = ("azimuth", "elevation", "angle", "hemisphere")


def _scores(foa: np.ndarray, azimuth: float, elevation: float) -> dict[str, float]:
    return {**doa_errors(foa, azimuth, elevation), "true_azimuth": azimuth}


def _summary(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.mean([r[key] for r in rows])) for key in KEYS}


def untrained_copy(folder: Path, target: Path, modes: list[str]) -> Path:
    """`target` holding `folder`'s codec and, per mode, its DiT at initial weights (seed 0) with the trained latent
    normalisation: what the benchmark gives a model that learned nothing."""
    from cascade.end_to_end import checkpoints
    from cascade.end_to_end.dit import DitConfig
    from cascade.end_to_end.model import SpatialDiffusion

    shutil.copy(folder / "codec.pt", target / "codec.pt")
    for mode in modes:
        trained = checkpoints.load(folder / f"dit_{mode}.pt", "dit")
        torch.manual_seed(0)
        state = SpatialDiffusion(DitConfig.from_dict(trained["config"]["dit"]), mode).state_dict()
        state["mean"], state["std"] = trained["state"]["mean"], trained["state"]["std"]
        checkpoints.save(target / f"dit_{mode}.pt", {"kind": "dit", "config": trained["config"], "state": state, "step": 0})
    return target


def measure(folder: Path, items: int, modes: list[str]) -> dict:
    torch.set_num_threads(1)
    result: dict = {"machine": machine(), "checkpoints": str(folder), "items": items, "sets": {}}
    for set_name, rooms in (("anechoic", False), ("rooms", True)):
        examples = held_out(items, rooms)
        rows: dict[str, list[dict[str, float]]] = {"reference": [_scores(e.foa, e.azimuth, e.elevation) for e in examples]}
        pipe = None
        for mode in modes:
            pipe = EndToEnd(mode, folder)
            texts = [e.prompt if mode == "parametric" else e.caption for e in examples]
            foa = pipe.generate(texts, [example_numbers(e) for e in examples], list(range(len(examples))))
            rows[mode] = [_scores(f, e.azimuth, e.elevation) for f, e in zip(foa, examples)]
        if pipe is not None:
            codec = pipe.load()[0]
            with torch.no_grad():
                audio = torch.from_numpy(np.stack([e.foa for e in examples]))
                recon = codec.decode(codec.encode(audio)[0]).numpy()
            rows["codec reconstruction"] = [_scores(r, e.azimuth, e.elevation) for r, e in zip(recon, examples)]
        result["sets"][set_name] = {name: {"summary": _summary(r), "items": r} for name, r in rows.items()}
    return result


def plot(result: dict, path: Path) -> None:
    """Predicted against requested azimuth, one panel per set, one colour per model."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    sets = result["sets"]
    figure, axes = plt.subplots(1, len(sets), figsize=(5 * len(sets), 4.6), squeeze=False)
    for ax, (name, rows) in zip(axes[0], sets.items()):
        for label, data in rows.items():
            if label == "reference":
                continue
            items = data["items"]
            ax.scatter([r["true_azimuth"] for r in items], [r["doa_azimuth"] for r in items], s=12, alpha=0.7,
                       label=f"{label} (L1 az {data['summary']['azimuth']:.2f} rad)")
        ax.plot([-180, 180], [-180, 180], color="grey", lw=0.8)
        ax.set(xlim=(-180, 180), ylim=(-180, 180), xlabel="requested azimuth (°, +90 = left)", ylabel="intensity-vector azimuth (°)",
               title=f"held-out single sources, {name}")
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=64, help="held-out examples per set")
    parser.add_argument("--checkpoints", type=Path, default=SHIPPED, help="folder with codec.pt and dit_<mode>.pt")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--json", help="also write the figures (and every item) to this JSON file")
    parser.add_argument("--png", help="also draw predicted against requested azimuth to this PNG")
    parser.add_argument("--untrained", action="store_true", help="measure the same DiTs at their initial weights instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = untrained_copy(args.checkpoints, Path(scratch), args.modes) if args.untrained else args.checkpoints
        result = measure(folder, args.items, args.modes)
    print(f"{result['machine']}; {args.items} held-out items per set; radians")
    print(f"{'set':<10}{'model':<22}{'L1 azimuth':>11}{'L1 elevation':>13}{'spatial angle':>14}{'hemisphere':>11}")
    for set_name, rows in result["sets"].items():
        for name, data in rows.items():
            s = data["summary"]
            print(f"{set_name:<10}{name:<22}{s['azimuth']:>11.3f}{s['elevation']:>13.3f}{s['angle']:>14.3f}{s['hemisphere']:>10.0%}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.png:
        plot(result, Path(args.png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
