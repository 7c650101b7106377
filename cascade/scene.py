"""The scene schema: what sounds, when, and where (pydantic 2, validated at the boundary).

Conventions: azimuth in degrees, (-180, 180], 0 = ahead, +90 = left; elevation in
degrees, [-90, 90], +90 = up; distance in metres from the head centre; times in seconds, `start`
absolute in the scene, keyframe times relative to the event's start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cascade.errors import SceneError
from cascade.geometry import wrap_azimuth
from cascade.limits import MAX_DISTANCE, MAX_EVENT_DURATION, MAX_EVENTS, MAX_SCENE_DURATION, MIN_DURATION
from cascade.materials import MATERIALS, SURFACES

MAX_SCENE_BYTES = 16 * 2**20  # a scene file larger than this is refused unread
LISTENER_CLEARANCE = 0.1  # m: the listener's head centre stays this far from every room surface

SampleRate = Literal[16000, 22050, 24000, 32000, 44100, 48000]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Position(_Model):
    """A direction and distance relative to the listener's head centre."""

    azimuth: float = Field(0.0, description="degrees, (-180, 180]; 0 = ahead, +90 = left, 180 = behind")
    elevation: float = Field(0.0, ge=-90.0, le=90.0, description="degrees, [-90, 90]; +90 = straight up")
    distance: float = Field(1.5, gt=0.0, le=MAX_DISTANCE, description="metres from the head centre, (0, 100]")

    @field_validator("azimuth")
    @classmethod
    def _wrap(cls, value: float) -> float:
        return float(wrap_azimuth(value))


class Keyframe(_Model):
    """A waypoint of a moving source: where it is `time` seconds after its event starts."""

    time: float = Field(gt=0.0, description="seconds after the event's start, > 0 (the event's position is time 0)")
    position: Position


class Generation(_Model):
    """Which backend made an event's mono clip, with which seed (filled in by rendering)."""

    backend: str = Field(min_length=1, max_length=64)
    seed: int = Field(ge=0, lt=2**63)
    detail: dict[str, str | float | int] = Field(default_factory=dict, description="backend-specific record, e.g. a library file and match score")


class DistanceModel(_Model):
    """How level falls with distance, as the Web Audio API's PannerNode defines it with the distance clamped to
    [reference_distance, max_distance] first (OpenAL's clamped models); d is the source's distance in metres:

    - inverse: ref / (ref + rolloff · (d − ref))
    - linear: 1 − rolloff · (d − ref) / (max − ref)
    - exponential: (d / ref) ^ −rolloff
    """

    model: Literal["inverse", "linear", "exponential"] = Field("exponential", description="inverse, linear or exponential")
    reference_distance: float = Field(1.0, gt=0.0, le=MAX_DISTANCE, description="metres, (0, 100]: no attenuation up to here")
    rolloff: float = Field(0.3, ge=0.0, le=10.0, description="how fast level falls beyond the reference distance, [0, 10] (linear: [0, 1])")
    max_distance: float = Field(50.0, gt=0.0, le=10000.0, description="metres, the cap: no further attenuation beyond it, > reference_distance")

    @model_validator(mode="after")
    def _check(self) -> DistanceModel:
        if self.max_distance <= self.reference_distance:
            raise ValueError(f"max_distance {self.max_distance:g} m must exceed reference_distance {self.reference_distance:g} m")
        if self.model == "linear" and self.rolloff > 1.0:
            raise ValueError(f"a linear distance model takes a rolloff in [0, 1], got {self.rolloff:g}")
        return self


class Mix(_Model):
    """How a scene's events are levelled against each other.

    `designed`: each clip is brought to a loudness for its role (`foreground_lufs`, beds `bed_offset_db` under it),
    then scaled by the distance model, then by the event's gain_db. `physical`: the clip as generated, plain 1/r
    from the renderer's reference distance, gain_db on top (datasets, acoustic measurements).
    """

    mode: Literal["designed", "physical"] = Field("designed", description="designed (role loudness, distance model) or physical (1/r)")
    distance: DistanceModel = Field(default_factory=DistanceModel, description="the scene's distance model; an event may set its own")
    foreground_lufs: float = Field(-20.0, ge=-60.0, le=0.0, description="loudness (LUFS) of a foreground clip before distance, [-60, 0]")
    bed_offset_db: float = Field(-6.0, ge=-40.0, le=0.0, description="dB a bed sits under the foreground before distance, [-40, 0]")


class SoundEvent(_Model):
    """One sound: what it is (a prompt that only describes the sound), when, and where."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="unique within the scene; letters, digits, '_' and '-'")
    description: str = Field(min_length=1, max_length=300, description="what sounds, e.g. 'a dog barks'")
    start: float = Field(0.0, ge=0.0, le=MAX_SCENE_DURATION, description="seconds from the scene's start")
    duration: float = Field(ge=MIN_DURATION, le=MAX_EVENT_DURATION, description="seconds, [0.01, 60]")
    position: Position = Field(default_factory=Position, description="where the source is at the event's start")
    gain_db: float = Field(0.0, ge=-60.0, le=24.0, description="level offset in dB, [-60, 24]")
    trajectory: list[Keyframe] | None = Field(None, description="later waypoints; the source moves linearly between them")
    diffuse: bool = Field(False, description="an ambience bed heard from all around (rain, wind, a crowd) instead of from its "
                                             "position; the position's distance still sets its level")
    seed: int | None = Field(None, ge=0, lt=2**63, description="the clip's seed, set by hand; wins over --seed and the scene seed")
    role: Literal["foreground", "bed"] | None = Field(None, description="foreground (what the scene is about) or bed (background); "
                                                                        "default: bed when diffuse, else foreground")
    distance_model: DistanceModel | None = Field(None, description="this event's distance model; default: the scene's")
    guess: bool = Field(False, description="the planner found no sound named in the text and guessed this one")
    generation: Generation | None = None
    loudness: float | None = Field(None, ge=-200.0, le=50.0, description="LUFS of this event's binaural stem in the mix (filled in by rendering)")

    @model_validator(mode="after")
    def _check_trajectory(self) -> SoundEvent:
        if self.trajectory is None:
            return self
        if self.diffuse:
            raise ValueError("a diffuse event comes from all around and cannot move; drop its trajectory or set diffuse to false")
        if not self.trajectory:
            raise ValueError("trajectory must hold at least one keyframe, or be null")
        times = [k.time for k in self.trajectory]
        if any(b <= a for a, b in zip(times, times[1:])):
            raise ValueError(f"trajectory key times must increase strictly, got {times}")
        if times[-1] > self.duration + 1e-9:
            raise ValueError(f"trajectory key time {times[-1]} s lies beyond the event's duration {self.duration} s")
        return self

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def mix_role(self) -> Literal["foreground", "bed"]:
        """`role`, or bed for a diffuse event and foreground otherwise."""
        return self.role or ("bed" if self.diffuse else "foreground")

    @property
    def moves(self) -> bool:
        return bool(self.trajectory)

    def path(self) -> tuple[list[float], list[Position]]:
        """Key times (s, relative to the start) and positions, the start position first."""
        keys = self.trajectory or []
        return [0.0] + [k.time for k in keys], [self.position] + [k.position for k in keys]


class Materials(_Model):
    """What a shoebox room's surfaces are made of, by name (see `cascade.materials.MATERIALS`).

    `walls` covers the four walls unless `front`, `back`, `left` or `right` names its own.
    """

    walls: str = Field("plaster", description="material of the four walls")
    floor: str = Field("plaster", description="material of the floor")
    ceiling: str = Field("plaster", description="material of the ceiling")
    front: str | None = Field(None, description="the wall ahead of the listener (x = depth); default: walls")
    back: str | None = Field(None, description="the wall behind (x = 0); default: walls")
    left: str | None = Field(None, description="the wall on the left (y = width); default: walls")
    right: str | None = Field(None, description="the wall on the right (y = 0); default: walls")

    @field_validator("walls", "floor", "ceiling", "front", "back", "left", "right")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None and value not in MATERIALS:
            raise ValueError(f"unknown material {value!r}; choose one of {', '.join(sorted(MATERIALS))}")
        return value

    def by_surface(self) -> dict[str, str]:
        """Material name of each surface, in the order of `cascade.materials.SURFACES`."""
        named = {"back": self.back, "front": self.front, "right": self.right, "left": self.left, "floor": self.floor, "ceiling": self.ceiling}
        return {surface: named[surface] or self.walls for surface in SURFACES}


class Room(_Model):
    """A shoebox room around the listener.

    `rt60` is the reverberation time in every octave band, or, when `materials` are given, its mean
    over 500 Hz and 1 kHz: the materials' absorption keeps its shape over frequency and is scaled to it.
    """

    dimensions: tuple[float, float, float] = Field(description="x (front), y (left), z (up) in metres, each in [1.5, 200]")
    rt60: float = Field(gt=0.0, le=10.0, description="reverberation time in seconds, (0, 10]")
    materials: Materials | None = Field(None, description="surface materials (a single name stands for every surface); "
                                                           "default: the same absorption everywhere and at every frequency")
    listener: tuple[float, float, float] | None = Field(None, description="listener's head centre in metres from the room's back right "
                                                                         "floor corner (x front, y left, z up), at least 0.1 m from every "
                                                                         "surface; default: the centre of the room")

    @field_validator("dimensions")
    @classmethod
    def _check_dimensions(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        for size in value:
            if not 1.5 <= size <= 200.0:
                raise ValueError(f"each room dimension must be in [1.5, 200] m, got {size}")
        return value

    @field_validator("materials", mode="before")
    @classmethod
    def _one_name_for_all(cls, value: Any) -> Any:
        return {"walls": value, "floor": value, "ceiling": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_listener(self) -> Room:
        if self.listener is not None:
            for axis, position, size in zip("xyz", self.listener, self.dimensions):
                if not LISTENER_CLEARANCE <= position <= size - LISTENER_CLEARANCE:
                    raise ValueError(f"listener {axis} = {position} m must lie in [{LISTENER_CLEARANCE}, {size - LISTENER_CLEARANCE:g}] m, "
                                     f"inside the room and {LISTENER_CLEARANCE} m from its surfaces")
        return self

    def listener_position(self) -> tuple[float, float, float]:
        """The listener's head centre (m from the back right floor corner): `listener`, or the room's centre."""
        x, y, z = self.dimensions
        return self.listener if self.listener is not None else (x / 2, y / 2, z / 2)

    def surface_materials(self) -> dict[str, str] | None:
        """Material name per surface (`cascade.materials.SURFACES`), or None for uniform absorption."""
        return None if self.materials is None else self.materials.by_surface()


class RenderSettings(_Model):
    """How a scene was spatialised and levelled; recorded so a scene file re-renders identically."""

    renderer: str = Field("hrtf", pattern=r"^[a-z0-9_]{1,32}$", description="binaural renderer: hrtf, foa or nfs")
    hrtf: str | None = Field(None, max_length=4096, description="SOFA file for hrtf/foa; null = MIT KEMAR")
    hrtf_eq: Literal["diffuse", "none"] = Field("diffuse", description="HRTF equalisation: diffuse-field (flat timbre) or none (as measured)")
    loudness: float = Field(-20.0, ge=-60.0, le=-5.0, description="integrated loudness target of the binaural mix, LUFS")


class Scene(_Model):
    """A whole scene: events, an optional room, the output rate and an optional fixed length."""

    version: Literal[1] = 1
    text: str | None = Field(None, max_length=4000, description="the description the scene was planned from")
    events: list[SoundEvent] = Field(min_length=1, max_length=MAX_EVENTS)
    room: Room | None = None
    sample_rate: SampleRate = 44100
    duration: float | None = Field(None, ge=MIN_DURATION, le=MAX_SCENE_DURATION, description="seconds, [0.01, 600]; default: until the last event ends")
    seed: int = Field(0, ge=0, lt=2**63, description="scene seed; an event without a seed of its own derives one from it and its id")
    render: RenderSettings | None = None
    mix: Mix | None = Field(None, description="how events are levelled; default: designed, with the default distance model")

    @model_validator(mode="after")
    def _check_events(self) -> Scene:
        ids = [e.id for e in self.events]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"event ids must be unique, repeated: {', '.join(duplicates)}")
        for event in self.events:
            if event.end > MAX_SCENE_DURATION + 1e-9:
                raise ValueError(f"event '{event.id}' ends at {event.end:g} s, after the {MAX_SCENE_DURATION:g} s a scene may last")
        if self.duration is not None:
            for event in self.events:
                if event.start >= self.duration:
                    raise ValueError(f"event '{event.id}' starts at {event.start} s, at or after the scene's end ({self.duration} s)")
        return self

    @property
    def end(self) -> float:
        """Length of the scene in seconds."""
        return self.duration if self.duration is not None else max(e.end for e in self.events)

    def event(self, event_id: str) -> SoundEvent:
        for event in self.events:
            if event.id == event_id:
                return event
        raise KeyError(event_id)

    def with_event(self, event_id: str, **changes: Any) -> Scene:
        """A validated copy with one event's fields changed (a scene itself never changes), e.g.
        `scene.with_event("bird", start=3.0, position={"azimuth": -45})`: a position given as a dict changes only
        the fields it names. SceneError names an unknown event or a field out of its range."""
        index = next((i for i, e in enumerate(self.events) if e.id == event_id), None)
        if index is None:
            raise SceneError(f"no event '{event_id}' in this scene; its events: {', '.join(e.id for e in self.events)}")
        data = self.model_dump()
        event = data["events"][index]
        for name, value in changes.items():
            value = _plain(value)
            event[name] = {**event[name], **value} if name == "position" and isinstance(value, dict) else value
        return Scene.from_dict(data)

    def replace(self, **changes: Any) -> Scene:
        """A validated copy with scene fields changed, e.g. `scene.replace(duration=12.0, room=None)` or
        `scene.replace(events=[*scene.events, new_event])`; SceneError names a field out of its range."""
        return Scene.from_dict({**self.model_dump(), **{name: _plain(value) for name, value in changes.items()}})

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=True)

    @classmethod
    def from_json(cls, text: str) -> Scene:
        """Parse and validate a scene; raises SceneError with a one-line message."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as err:
            raise SceneError(describe_validation_error(err)) from None

    @classmethod
    def from_dict(cls, data: Any) -> Scene:
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            raise SceneError(describe_validation_error(err)) from None

    @classmethod
    def load(cls, path: str | Path) -> Scene:
        """A scene file (read once, so a pipe works; a UTF-8 byte-order mark is allowed); paths it records
        relative to its folder (an HRTF, a sample library) are resolved against that folder."""
        path = Path(path)
        try:
            if path.is_dir():
                raise SceneError(f"{path} is a folder, not a scene file")
            with open(path, "rb") as file:
                data = file.read(MAX_SCENE_BYTES + 1)
        except OSError as err:
            raise SceneError(f"cannot read scene file {path}: {err.strerror or err}") from None
        if len(data) > MAX_SCENE_BYTES:
            raise SceneError(f"scene file {path} is larger than {MAX_SCENE_BYTES // 2**20} MiB; a scene is a short JSON file")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise SceneError(f"scene file {path} is not UTF-8 text (byte {err.start})") from None
        try:
            scene = cls.from_json(text)
        except SceneError as err:
            raise SceneError(f"{path}: {err}") from None
        return scene.resolve_paths(path.parent.resolve())

    def _map_paths(self, convert: Callable[[str], str]) -> Scene:
        """This scene with `convert` applied to every file path it records (the HRTF, library folders)."""
        update: dict[str, Any] = {}
        if self.render is not None and self.render.hrtf is not None:
            update["render"] = self.render.model_copy(update={"hrtf": convert(self.render.hrtf)})
        events = []
        for event in self.events:
            g = event.generation
            if g is not None and isinstance(g.detail.get("folder"), str):
                g = g.model_copy(update={"detail": {**g.detail, "folder": convert(str(g.detail["folder"]))}})
                event = event.model_copy(update={"generation": g})
            events.append(event)
        update["events"] = events
        return self.model_copy(update=update)

    def resolve_paths(self, base: Path) -> Scene:
        """Relative file paths made absolute against the folder `base`."""
        return self._map_paths(lambda p: p if Path(p).expanduser().is_absolute() else str(base / p))

    def relative_paths(self, base: Path) -> Scene:
        """File paths inside the folder `base` written relative to it (the scene moves with its folder); others absolute."""
        def convert(p: str) -> str:
            absolute = Path(p).expanduser().resolve()
            return absolute.relative_to(base).as_posix() if absolute.is_relative_to(base) else str(absolute)
        return self._map_paths(convert)


def _plain(value: Any) -> Any:
    """Models inside `value` (lists, dicts) as plain dicts, so that a copy is validated as a whole."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def describe_validation_error(err: ValidationError) -> str:
    """The first problem of a pydantic error as one line: 'events.0.duration: ...'."""
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "scene"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "json_invalid":
        return f"invalid JSON: {first.get('ctx', {}).get('error', message)}"
    extra = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{where}: {message}{extra}"


def json_schema() -> str:
    """The scene file's JSON Schema."""
    return json.dumps(Scene.model_json_schema(), indent=2)
