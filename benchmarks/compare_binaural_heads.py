"""Why the comparison's binaural column depends on the head: the same held-out clips rendered for several heads and
heard by template localizers calibrated on several heads.

    python -m benchmarks.compare_binaural_heads [--items 96] [--json PATH]

Events: the single anechoic sources within 30 degrees of the horizontal plane among the first `items` scenes of the
comparison's held-out set. Renders: the truth (`hrtf` renderer, AXD head 2), the `hrtf` renderer with MIT KEMAR and
with AXD head 1, the `foa` renderer with MIT KEMAR. Listeners: `benchmarks.localizer.Localizer` calibrated on AXD
head 1, AXD head 2 and MIT KEMAR. Figures: 12-class accuracy and MAE (degrees) per render and listener.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.compare_scenes import held_out_scenes
from benchmarks.localizer import Localizer, sector
from benchmarks.renderer_fidelity import axd_sofa
from benchmarks.timing import machine
from cascade import Cascade
from cascade.metrics import circular_error
from renderers.hrir import load_hrirs

RATE = 16000
HORIZONTAL_DEG = 30.0


def measure(items: int) -> dict:
    """{render: {listener: {'accuracy', 'mae_deg'}}} and the number of events."""
    scenes = [h.scene for h in held_out_scenes(items) if h.stratum == "single-anechoic" and abs(h.scene.events[0].position.elevation) <= HORIZONTAL_DEG]
    heads = {"AXD head 1": str(axd_sofa(1)), "AXD head 2": str(axd_sofa(2)), "MIT KEMAR": None}
    listeners = {name: Localizer(load_hrirs(sofa), RATE) for name, sofa in heads.items()}
    renders = {"truth (hrtf, AXD head 2)": ("hrtf", heads["AXD head 2"]), "hrtf, MIT KEMAR": ("hrtf", None),
               "hrtf, AXD head 1": ("hrtf", heads["AXD head 1"]), "foa, MIT KEMAR": ("foa", None)}
    figures: dict = {}
    for render, (renderer, sofa) in renders.items():
        pipe = Cascade(renderer=renderer, hrtf=sofa, cache=False, workers=1)
        heard: dict[str, list[tuple[bool, float]]] = {name: [] for name in listeners}
        for scene in scenes:
            event, result = scene.events[0], pipe(scene)
            a, b = int(round(event.start * RATE)), int(round(event.end * RATE))
            for name, listener in listeners.items():
                azimuth = listener.localize(result.binaural[:, a:b], RATE, result.foa[0, a:b])
                heard[name].append((bool(sector(azimuth) == sector(event.position.azimuth)), float(circular_error(azimuth, event.position.azimuth))))
        figures[render] = {name: {"accuracy": float(np.mean([c for c, _ in v])), "mae_deg": float(np.mean([e for _, e in v]))}
                           for name, v in heard.items()}
    return {"machine": machine(), "items": items, "events": len(scenes), "figures": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=96, help="held-out scenes to take the single anechoic sources from")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.items)
    print(f"{result['events']} events; accuracy (MAE) per render and listener")
    for render, row in result["figures"].items():
        print(f"{render:<26}" + "".join(f"{name}: {v['accuracy']:.0%} ({v['mae_deg']:.1f}°)   " for name, v in row.items()))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
