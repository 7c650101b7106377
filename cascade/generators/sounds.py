"""The catalogue of procedural sound models: class name -> signal model.

A model is `model(n, sr, rng) -> np.ndarray`: `n` samples at `sr` Hz of unnormalised float64 mono
audio, all randomness drawn from `rng`. The models live in sounds_nature, sounds_machines and
sounds_people; their shared DSP primitives in synth.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cascade.generators import sounds_machines as machines
from cascade.generators import sounds_nature as nature
from cascade.generators import sounds_people as people
from cascade.taxonomy import TEXTURE

SoundModel = Callable[[int, int, np.random.Generator], np.ndarray]


SOUNDS: dict[str, SoundModel] = {
    "dog": nature.dog,
    "cat": nature.cat,
    "cricket": nature.cricket,
    "bird": nature.bird,
    "mosquito": nature.mosquito,
    "insect": nature.bee,
    "thunder": nature.thunder,
    "rain": nature.rain,
    "wind": nature.wind,
    "ocean": nature.ocean,
    "drip": nature.drip,
    "stream": nature.stream,
    "fire": nature.fire,
    "siren": machines.siren,
    "horn": machines.horn,
    "engine": machines.engine,
    "car": machines.vehicle,
    "helicopter": machines.helicopter,
    "aircraft": machines.aircraft,
    "bicycle": machines.bicycle_bell,
    "bell": machines.bell,
    "phone": machines.phone,
    "alarm": machines.alarm,
    "clock": machines.clock,
    "knock": people.knock,
    "door": people.door_creak,
    "footsteps": people.footsteps,
    "applause": people.applause,
    "glass": people.glass,
    "typing": people.typing,
    "crowd": people.crowd,
    "speech": people.speech,
    "gunshot": people.gunshot,
    "explosion": people.explosion,
    TEXTURE: nature.texture,
}
