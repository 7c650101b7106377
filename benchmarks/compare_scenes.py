"""The comparison's held-out scenes, drawn by the dataset builder's sampler with seeds and configs of their own.

Every stratum starts from the end-to-end model's training distribution (TRAINING_CONFIG: 16 kHz, 4 s items, static
sources, every procedural class and espeak-ng speech, directions uniform on the sphere between -40 and 90 degrees
of elevation, 0.5-5 m) and changes what makes it a stratum, with its own seed:

    single-anechoic   one event, no room                                          seed 1 400 001
    single-room       one event in a shoebox room                                 seed 1 400 002
    multi             2-4 events of 0.5-2 s, -6-0 dB, half of the items in a room seed 1 400 003

Item k of the set is item k // 3 of stratum k mod 3, so any prefix of the set is balanced. Neither path trained
on these draws: the training set used seed 13, the end-to-end benchmarks 31337 and 31338.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cascade.dataset.config import DatasetConfig, load_config, parse_config
from cascade.dataset.sampler import sample_scene
from cascade.scene import Scene

TRAINING_CONFIG = Path(__file__).resolve().parent.parent / "cascade" / "end_to_end" / "configs" / "dataset.json"
STRATA = ("single-anechoic", "single-room", "multi")
SEEDS = {"single-anechoic": 1_400_001, "single-room": 1_400_002, "multi": 1_400_003}
CHANGES = {
    "single-anechoic": {"events": {"count": {"min": 1, "max": 1}}, "rooms": {"anechoic": 1.0}},
    "single-room": {"events": {"count": {"min": 1, "max": 1}}, "rooms": {"anechoic": 0.0}},
    "multi": {"events": {"count": {"min": 2, "max": 4}, "duration": {"min": 0.5, "max": 2.0}, "gain_db": {"min": -6.0, "max": 0.0}},
              "rooms": {"anechoic": 0.5}},
}


@dataclass(frozen=True)
class HeldOutScene:
    """Item `index` of the set: its stratum, its scene and the taxonomy class of each event (event order)."""

    index: int
    stratum: str
    scene: Scene
    classes: list[str]


def _merge(base: dict, changes: dict) -> dict:
    merged = dict(base)
    for key, value in changes.items():
        merged[key] = _merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def stratum_config(stratum: str) -> DatasetConfig:
    """The dataset config stratum `stratum` is drawn from (see the module docstring)."""
    base = load_config(TRAINING_CONFIG).model_dump()
    return parse_config(_merge(base, {**CHANGES[stratum], "seed": SEEDS[stratum]}))


def held_out_scenes(items: int) -> list[HeldOutScene]:
    """The first `items` scenes of the held-out set."""
    configs = {name: stratum_config(name) for name in STRATA}
    scenes = []
    for k in range(items):
        stratum = STRATA[k % len(STRATA)]
        draw = sample_scene(configs[stratum], k // len(STRATA))
        scenes.append(HeldOutScene(k, stratum, draw.scene, draw.classes))
    return scenes
