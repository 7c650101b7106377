"""Item i of a dataset as a Scene, drawn from (config, i) alone: the same scene on any machine, in any order.

Every random choice of item i comes from one generator seeded with `SeedSequence([config.seed, i])`.
Each event carries its generator backend and clip seed (`generation`), so the pipeline renders it
exactly as a resolved scene file re-renders. Event starts and durations are whole 100 ms label
frames. In a room, the listener stands at its centre and every source, moving ones along their whole
arc, stays WALL_CLEARANCE inside the walls; the room's RT60 follows its volume (`cascade.dataset.rooms`)
unless the config asks for uniform RT60s. An ambience bed, where drawn, is one more event after the
labelled ones: diffuse, over the whole item (its level is set after rendering, see `item`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from cascade.dataset.config import LABEL_FRAME, WALL_CLEARANCE, DatasetConfig, Span
from cascade.dataset.rooms import draw_rt60
from cascade.geometry import unit_vectors, wrap_azimuth
from cascade.scene import Generation, Keyframe, Position, RenderSettings, Room, Scene, SoundEvent
from cascade.seeds import MAX_SEED
from cascade.taxonomy import BY_NAME

MAX_ARC_STEP = 45.0  # degrees between keyframes of a moving source (the renderer takes the shorter arc between keys)
ARC_CHECKS = 32  # directions per keyframe step checked against the walls


def item_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator of item `index`: depends on (seed, index) only."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))


def wall_distance(dimensions: tuple[float, float, float], azimuth: np.ndarray, elevation: np.ndarray, clearance: float = 0.0) -> np.ndarray:
    """Metres from the centre of a shoebox (x front, y left, z up) along each direction (degrees) to the first point
    `clearance` metres from a wall."""
    half = np.asarray(dimensions, dtype=np.float64) / 2 - clearance
    directions = np.abs(unit_vectors(azimuth, elevation))
    with np.errstate(divide="ignore"):
        return np.min(np.where(directions > 1e-12, half / np.maximum(directions, 1e-300), np.inf), axis=-1)


def _uniform(rng: np.random.Generator, span: Span) -> float:
    return float(rng.uniform(span.min, span.max))


def _frames(seconds: float) -> int:
    return int(round(seconds / LABEL_FRAME))


def _room(rng: np.random.Generator, config: DatasetConfig) -> Room | None:
    rooms = config.rooms
    if rng.random() < rooms.anechoic:
        return None
    dimensions = tuple(round(_uniform(rng, span), 2) for span in (rooms.x, rooms.y, rooms.z))
    if rooms.rt60_model == "uniform":
        rt60 = _uniform(rng, rooms.rt60)
    else:
        rt60 = draw_rt60(rng, math.prod(dimensions), rooms.rt60_spread, rooms.rt60.min, rooms.rt60.max)
    return Room(dimensions=dimensions, rt60=round(rt60, 3))


def _elevation(rng: np.random.Generator, config: DatasetConfig, name: str) -> float:
    band = config.direction.elevation
    if config.direction.distribution == "priors" and name in BY_NAME:
        prior = BY_NAME[name].elevation
        return float(np.clip(rng.normal(prior, config.direction.prior_spread), band.min, band.max))
    low, high = math.sin(math.radians(band.min)), math.sin(math.radians(band.max))
    return math.degrees(math.asin(rng.uniform(low, high)))


def _event(rng: np.random.Generator, config: DatasetConfig, room: Room | None) -> tuple[SoundEvent, str]:
    name = str(rng.choice(config.sounds.classes))
    prompt = str(rng.choice(config.sounds.prompts_of(name)))
    length = _frames(config.length)
    duration = min(max(2, _frames(_uniform(rng, config.events.duration))), length)
    start = int(rng.integers(0, length - duration + 1))
    azimuth = float(rng.uniform(-180.0, 180.0))
    elevation = _elevation(rng, config, name)
    arc = 0.0
    if rng.random() < config.motion.fraction:
        arc = _uniform(rng, config.motion.speed) * float(rng.choice([-1.0, 1.0])) * duration * LABEL_FRAME
    steps = max(1, math.ceil(abs(arc) / MAX_ARC_STEP)) if arc else 0
    cap = config.distance.max
    if room is not None:
        sweep = azimuth + np.linspace(0.0, arc, steps * ARC_CHECKS + 1)
        cap = min(cap, float(np.min(wall_distance(room.dimensions, sweep, np.full_like(sweep, elevation), WALL_CLEARANCE))))
    distance = math.floor(float(rng.uniform(config.distance.min, max(config.distance.min, cap))) * 1000) / 1000
    azimuth, elevation = round(float(wrap_azimuth(azimuth)), 2), round(elevation, 2)
    seconds = duration * LABEL_FRAME
    trajectory = None
    if steps:
        trajectory = [Keyframe(time=round(seconds * k / steps, 6),
                               position=Position(azimuth=round(float(wrap_azimuth(azimuth + arc * k / steps)), 2),
                                                 elevation=elevation, distance=distance)) for k in range(1, steps + 1)]
    event = SoundEvent(id="e", description=prompt, start=round(start * LABEL_FRAME, 6), duration=round(seconds, 6),
                      position=Position(azimuth=azimuth, elevation=elevation, distance=distance),
                       gain_db=round(_uniform(rng, config.events.gain_db), 2), trajectory=trajectory,
                       generation=Generation(backend=config.sounds.backend_of(name), seed=int(rng.integers(0, MAX_SEED - 1))))
    return event, name


BED_ID = "bed"
BED_DISTANCE = 1.0  # m: a bed's level is set after rendering, so its distance only needs to be a valid one


class Bed(NamedTuple):
    """An item's ambience bed: its class and its loudness re the events' (dB)."""

    name: str
    level_db: float


class Draw(NamedTuple):
    """An item's scene, the class name of each labelled event (the first len(classes) events) and its bed, if any
    (the scene's last event, id 'bed')."""

    scene: Scene
    classes: list[str]
    bed: Bed | None = None


def _bed(rng: np.random.Generator, config: DatasetConfig) -> tuple[SoundEvent, Bed] | None:
    ambience = config.ambience
    if not rng.random() < ambience.fraction:
        return None
    name = str(rng.choice(ambience.classes))
    level = round(_uniform(rng, ambience.level_db), 2)
    event = SoundEvent(id=BED_ID, description=BY_NAME[name].prompt, start=0.0, duration=config.length, diffuse=True,
                       position=Position(distance=BED_DISTANCE),
                       generation=Generation(backend=config.sounds.generator, seed=int(rng.integers(0, MAX_SEED - 1))))
    return event, Bed(name, level)


def sample_scene(config: DatasetConfig, index: int) -> Draw:
    """Item `index`'s scene, labelled events sorted by start (ids e0, e1, ...) then its bed, with its room, rate, length
    and render settings."""
    rng = item_rng(config.seed, index)
    room = _room(rng, config)
    count = int(rng.integers(int(config.events.count.min), int(config.events.count.max) + 1))
    drawn = sorted((_event(rng, config, room) for _ in range(count)), key=lambda pair: pair[0].start)
    seed = int(rng.integers(0, MAX_SEED - 1))
    bed = _bed(rng, config)
    events = [e.model_copy(update={"id": f"e{k}"}) for k, (e, _) in enumerate(drawn)] + ([bed[0]] if bed else [])
    scene = Scene(events=events, room=room, sample_rate=config.sample_rate, duration=config.length, seed=seed,
                  render=RenderSettings(renderer=config.renderer, hrtf=config.hrtf, loudness=config.loudness))
    return Draw(scene, [name for _, name in drawn], bed[1] if bed else None)
