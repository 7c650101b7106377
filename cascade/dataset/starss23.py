"""STARSS23 (DCASE 2023-2024 task 3) compatibility: its 13 classes, the map from ours onto them, and a preset config.

Where our classes correspond (class index in STARSS23's order):

    0 female speech     speech spoken by a woman's voice (espeak-ng; the prompt picks the voice)
    1 male speech       speech spoken by a man's voice
    2 clapping          applause
    3 telephone         phone
    4 laughter          laughter
    5 domestic sounds   none: no procedural model (a class of your own named 'domestic_sounds' maps here)
    6 footsteps         footsteps
    7 door open/close   door (a creaking door; no latch or slam)
    8 music             music (no procedural model: filtered noise; use a generator that makes music)
    9 musical instr.    none (a class of your own named 'musical_instrument' maps here)
    10 water tap        drip (a dripping tap; no running tap)
    11 bell             bell, doorbell, bicycle (its bell)
    12 knock            knock

Every other class (a child's voice, whispers, dogs, birds, engines, ...) has no STARSS23 class: a config whose
labels use this map refuses them. A class of your own maps when its name is a STARSS23 class name below.
"""

from __future__ import annotations

import re
from typing import Any

CLASSES = ("female_speech", "male_speech", "clapping", "telephone", "laughter", "domestic_sounds", "footsteps", "door", "music",
           "musical_instrument", "water_tap", "bell", "knock")
BY_CLASS = {"applause": 2, "phone": 3, "laughter": 4, "footsteps": 6, "door": 7, "music": 8, "drip": 10, "bell": 11, "doorbell": 11,
            "bicycle": 11, "knock": 12, **{name: k for k, name in enumerate(CLASSES)}}
SPEECH_CLASS = "speech"
_FEMALE = re.compile(r"\b(?:woman|women|female|girl|lady)\b", re.IGNORECASE)
_MALE = re.compile(r"\b(?:man|men|male|boy|gentleman)\b", re.IGNORECASE)
SAMPLE_RATE = 24000
BIT_DEPTH = "16"  # the DCASE baseline divides the samples it reads by 32768
MIN_LENGTH = 4.0  # s, the shortest item the preset allows
PRESET: dict[str, Any] = {
    "sample_rate": SAMPLE_RATE, "bit_depth": BIT_DEPTH, "length": 5.0,  # one baseline training sequence (50 label frames)
    "labels": {"class_map": "starss23"},
    "sounds": {"classes": ["speech", "applause", "phone", "laughter", "footsteps", "door", "drip", "bell", "doorbell", "knock"],
               "prompts": {"speech": ["a woman speaks", "a man speaks"]}},
}


def starss23_class(name: str, prompt: str) -> int | None:
    """STARSS23 class index of an event of our class `name` with `prompt`; None where STARSS23 has no such class."""
    if name == SPEECH_CLASS:
        if _FEMALE.search(prompt):
            return 0
        return 1 if _MALE.search(prompt) else None
    return BY_CLASS.get(name)


def preset(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The STARSS23 preset's config data (24 kHz, 16-bit PCM, 5 s items, STARSS23 class indices), with `overrides`
    merged in field by field (nested mappings merged, other values replaced)."""
    return _merged(PRESET, overrides or {})


def _merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
