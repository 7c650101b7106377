"""The comparison's held-out scenes, drawn by the dataset builder's sampler with seeds and configs of their own.

Every stratum starts from the dataset builder's end-to-end config (TRAINING_CONFIG: 16 kHz, 4 s items, static
sources, every class with a procedural signal model, directions uniform on the sphere between -40 and 90 degrees
of elevation, 0.5-5 m), with what the learned models were trained on: every class, speech included, made by the
procedural generator, and gains of -20 to 0 dB. Each stratum changes what makes it a stratum, with its own seed:

    single-anechoic   one event, no room                                          seed 1 400 001
    single-room       one event in a shoebox room                                 seed 1 400 002
    multi             2-4 events of 0.5-2 s, half of the items in a room          seed 1 400 003

Item k of the set is item k // 3 of stratum k mod 3, so any prefix of the set is balanced. No path trained on
these draws: the learned models train on `cascade.end_to_end.data` examples of seed 0, the end-to-end benchmarks
use 31337 and 31338.

Wordings: the learned paths read each event's prompt as one of its class's five wordings (`cascade.wordings`).
Items k with k // 3 odd use every event's held-out wording (never in any learned model's training), the others a
seen one; the truth and the procedural cascade keep the taxonomy prompt (the procedural generator picks its signal
model by the taxonomy's words), so the audio they make is the same whatever the wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cascade.dataset.config import DatasetConfig, load_config, parse_config
from cascade.dataset.sampler import sample_scene
from cascade.scene import Scene
from cascade.wordings import held_out_wording, seen_wordings

TRAINING_CONFIG = Path(__file__).resolve().parent.parent / "cascade" / "end_to_end" / "configs" / "dataset.json"
STRATA = ("single-anechoic", "single-room", "multi")
SEEDS = {"single-anechoic": 1_400_001, "single-room": 1_400_002, "multi": 1_400_003}
GAINS = {"min": -20.0, "max": 0.0}  # dB: the range the learned models are conditioned on
COMMON = {"sounds": {"speech_generator": None}}  # speech from its procedural model, as the learned models learned it
CHANGES = {
    "single-anechoic": {"events": {"count": {"min": 1, "max": 1}, "gain_db": GAINS}, "rooms": {"anechoic": 1.0}},
    "single-room": {"events": {"count": {"min": 1, "max": 1}, "gain_db": GAINS}, "rooms": {"anechoic": 0.0}},
    "multi": {"events": {"count": {"min": 2, "max": 4}, "duration": {"min": 0.5, "max": 2.0}, "gain_db": GAINS},
              "rooms": {"anechoic": 0.5}},
}
SEEN, HELD_OUT = "seen", "held-out"


@dataclass(frozen=True)
class HeldOutScene:
    """Item `index` of the set: its stratum, its scene (taxonomy prompts), the taxonomy class of each event (event
    order), which wordings the learned paths read (SEEN or HELD_OUT) and the scene with those wordings."""

    index: int
    stratum: str
    scene: Scene
    classes: list[str]
    wording: str
    worded: Scene


def _merge(base: dict, changes: dict) -> dict:
    merged = dict(base)
    for key, value in changes.items():
        merged[key] = _merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def stratum_config(stratum: str) -> DatasetConfig:
    """The dataset config stratum `stratum` is drawn from (see the module docstring)."""
    base = load_config(TRAINING_CONFIG).model_dump()
    return parse_config(_merge(_merge(base, COMMON), {**CHANGES[stratum], "seed": SEEDS[stratum]}))


def wording_set(index: int) -> str:
    """SEEN or HELD_OUT: the wordings item `index` gives the learned paths (alternating every three items)."""
    return HELD_OUT if (index // len(STRATA)) % 2 else SEEN


def reworded(scene: Scene, classes: list[str], index: int) -> Scene:
    """`scene` with each event's description the held-out wording of its class, or a seen one (cycling through them)."""
    held = wording_set(index) == HELD_OUT
    events = [e.model_copy(update={"description": held_out_wording(name) if held else seen_wordings(name)[(index + k) % len(seen_wordings(name))]})
              for k, (e, name) in enumerate(zip(scene.events, classes))]
    return scene.model_copy(update={"events": events})


def held_out_scenes(items: int) -> list[HeldOutScene]:
    """The first `items` scenes of the held-out set."""
    configs = {name: stratum_config(name) for name in STRATA}
    scenes = []
    for k in range(items):
        stratum = STRATA[k % len(STRATA)]
        draw = sample_scene(configs[stratum], k // len(STRATA))
        scenes.append(HeldOutScene(k, stratum, draw.scene, draw.classes, wording_set(k), reworded(draw.scene, draw.classes, k)))
    return scenes
