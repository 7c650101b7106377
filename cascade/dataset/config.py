"""The distribution a dataset's scenes are drawn from: a pydantic model read from JSON or YAML.

Every field has a default, so `DatasetConfig()` is the default dataset: every procedural sound class
but the ambience ones (rain, wind, crowds: beds, not point sources) and espeak-ng speech, 1-3 events in
4 s clips at 24 kHz, directions uniform on the sphere between -40° and 90° elevation (MIT KEMAR's
measured range), 0.5-5 m, a quarter of the events moving, half of the items in a shoebox room whose
RT60 follows its volume, labels where each clip sounds, no ambience beds, HRTF rendering. Units:
seconds, metres, degrees, dB, LUFS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import renderers
from cascade import generators
from cascade.dataset import starss23
from cascade.errors import DatasetError
from cascade.limits import MAX_DISTANCE
from cascade.scene import SampleRate
from cascade.taxonomy import BY_NAME, CLASSES, TEXTURE

WALL_CLEARANCE = 0.25  # m a source keeps from every wall of its room
LABEL_FRAME = 0.1  # s, the DCASE label resolution; event starts and durations are whole frames
MAX_CONFIG_BYTES = 1 << 20
SPEECH = "speech"  # the taxonomy class that goes to the espeak-ng backend
SPEECH_PROMPTS = ("a woman speaks", "a man speaks", "a child speaks")  # the prompt picks espeak-ng's voice


def default_classes() -> list[str]:
    """Every point-source taxonomy class the procedural generator has a signal model for (speech included; the
    ambient ones, rain or wind, are left to the beds)."""
    return [c.name for c in CLASSES if c.synth != TEXTURE and not c.ambient]


def ambient_classes() -> list[str]:
    """The taxonomy's ambience classes the procedural generator makes: what beds are drawn from by default."""
    return [c.name for c in CLASSES if c.synth != TEXTURE and c.ambient]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Span(_Model):
    """A closed interval [min, max] a value is drawn from uniformly."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.min > self.max:
            raise ValueError(f"min ({self.min:g}) must not exceed max ({self.max:g})")
        return self


def _span(low: float, high: float, default: tuple[float, float], what: str) -> Any:
    """A Span field whose bounds must lie in [low, high]; `what` names the unit for the error message."""
    return Field(Span(min=default[0], max=default[1]), description=f"{what}, each bound in [{low:g}, {high:g}]",
                 json_schema_extra={"bounds": [low, high]})


class Events(_Model):
    """How many events an item holds and how long each lasts."""

    count: Span = _span(1, 16, (1, 3), "events per item (whole numbers)")
    duration: Span = _span(0.2, 60, (0.5, 4.0), "seconds per event, rounded to 0.1 s and cut to the clip length")
    gain_db: Span = _span(-40, 0, (-6.0, 0.0), "dB of each event re its generator's level: the loudness spread between events")

    @field_validator("count")
    @classmethod
    def _whole(cls, value: Span) -> Span:
        if value.min != int(value.min) or value.max != int(value.max):
            raise ValueError(f"event counts must be whole numbers, got [{value.min:g}, {value.max:g}]")
        return value


class Direction(_Model):
    """Where sources are: azimuth uniform all round; elevation uniform on the sphere within a band, or per-class priors."""

    distribution: Literal["uniform", "priors"] = Field("uniform", description="uniform on the sphere, or each class's prior elevation "
                                                       "(cascade.taxonomy) with a normal spread")
    elevation: Span = _span(-90, 90, (-40.0, 90.0), "degrees of elevation a source may have")
    prior_spread: float = Field(15.0, ge=0.0, le=90.0, description="degrees, standard deviation around a class prior, [0, 90]")


class Motion(_Model):
    """Moving sources travel along an arc of constant elevation and distance."""

    fraction: float = Field(0.25, ge=0.0, le=1.0, description="fraction of events that move, [0, 1]")
    speed: Span = _span(1, 360, (10.0, 60.0), "angular speed in degrees per second")


class Rooms(_Model):
    """Shoebox rooms around a listener at their centre; x front, y left, z up."""

    anechoic: float = Field(0.5, ge=0.0, le=1.0, description="fraction of items without a room (free field), [0, 1]")
    x: Span = _span(1.5, 200, (3.0, 10.0), "metres of room length (front-back)")
    y: Span = _span(1.5, 200, (3.0, 10.0), "metres of room width (left-right)")
    z: Span = _span(1.5, 200, (2.5, 4.0), "metres of room height")
    rt60: Span = _span(0.05, 10, (0.2, 1.2), "seconds of reverberation time (with rt60_model 'volume': the bounds it is kept in)")
    rt60_model: Literal["volume", "uniform"] = Field("volume", description="'volume': RT60 drawn around the value furnished rooms of "
                                                     "that volume have (see cascade.dataset.rooms); 'uniform': uniform in rt60 "
                                                     "whatever the room's size")
    rt60_spread: float = Field(0.25, ge=0.0, le=1.0, description="with rt60_model 'volume': standard deviation of ln(RT60) around "
                                                                 "the volume's median, [0, 1]")


class Labels(_Model):
    """When an event is labelled (DCASE rows): where its clip sounds, or over its whole scheduled span."""

    policy: Literal["activity", "scheduled"] = Field("activity", description="'activity': the 100 ms frames where the event's own "
                                                     "clip sounds (as it arrives at the listener); 'scheduled': every frame of the "
                                                     "event's start-to-end span")
    threshold_db: float = Field(25.0, ge=1.0, le=120.0, description="with policy 'activity': dB under the clip's loudest frame from "
                                                                   "which a frame counts as silent, [1, 120]")
    bridge: float = Field(0.25, ge=0.0, le=10.0, description="with policy 'activity': seconds; silent gaps shorter than this between "
                                                             "sounding frames are labelled too, [0, 10]")
    class_map: Literal["none", "starss23"] = Field("none", description="class indices of the DCASE CSV: 'none' = the index in "
                                                   "sounds.classes; 'starss23' = the 13 STARSS23 classes (cascade.dataset.starss23)")


class Ambience(_Model):
    """Unlabelled diffuse beds under the events (rain, wind, a crowd), as SpatialScaper's background."""

    fraction: float = Field(0.0, ge=0.0, le=1.0, description="fraction of items with a bed, [0, 1]")
    classes: list[str] = Field(default_factory=ambient_classes, min_length=1, max_length=100,
                               description="taxonomy classes a bed is drawn from (default: rain, wind, ocean, stream, traffic, "
                                           "crowd, crickets)")
    level_db: Span = _span(-60, 20, (-20.0, -6.0), "dB of the bed's loudness re the events' loudness")

    @field_validator("classes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in BY_NAME]
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not a taxonomy class; beds come from: {', '.join(ambient_classes())}")
        return value


class Sounds(_Model):
    """What sounds: class names (their index in this list is the class index of every label file) and their prompts."""

    classes: list[str] = Field(default_factory=default_classes, min_length=1, max_length=1000,
                               description="class names: taxonomy classes, or any name given prompts of its own")
    prompts: dict[str, list[str]] = Field(default_factory=dict, description="class name -> prompts to draw from "
                                          "(default: the taxonomy's caption, e.g. 'a dog barks')")
    generator: str = Field("procedural", description=f"backend of the clips: {', '.join(generators.names())}")
    speech_generator: str | None = Field(SPEECH, description="backend of the 'speech' class (espeak-ng by default); null: the generator")
    library: str | None = Field(None, description="folder of your own sound files, for the library generator")
    generator_options: dict[str, dict[str, Any]] = Field(default_factory=dict, description="backend name -> its options, "
                                                         "e.g. {'tangoflux': {'steps': 25}}")

    @field_validator("library")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        return None if value is None else str(Path(value).expanduser().resolve())

    @model_validator(mode="after")
    def _check(self) -> Sounds:
        names = set(generators.names())
        for field, backend in (("generator", self.generator), ("speech_generator", self.speech_generator)):
            if backend is not None and backend not in names:
                raise ValueError(f"{field} must be one of {', '.join(sorted(names))}, got '{backend}'")
        repeated = sorted({c for c in self.classes if self.classes.count(c) > 1})
        if repeated:
            raise ValueError(f"classes must be unique, repeated: {', '.join(repeated)}")
        for name in self.classes:
            if name not in BY_NAME and not self.prompts.get(name):
                raise ValueError(f"class '{name}' is not in the taxonomy ({', '.join(BY_NAME)}); give it prompts of its own")
        for name, texts in self.prompts.items():
            if name not in self.classes:
                raise ValueError(f"prompts name class '{name}', which is not in classes")
            if not texts or not all(isinstance(t, str) and 0 < len(t.strip()) <= 300 for t in texts):
                raise ValueError(f"prompts for '{name}' must be a non-empty list of texts of 1-300 characters")
        if (self.generator == "library") != (self.library is not None):
            raise ValueError("library (a folder) goes with generator 'library', and generator 'library' needs one")
        if self.library is not None and not Path(self.library).expanduser().is_dir():
            raise ValueError(f"library folder {self.library} does not exist")
        return self

    def prompts_of(self, name: str) -> list[str]:
        """The prompts a class's events are drawn from."""
        if name in self.prompts:
            return self.prompts[name]
        if name == SPEECH and self.backend_of(name) == SPEECH:
            return list(SPEECH_PROMPTS)
        return [BY_NAME[name].prompt]

    def backend_of(self, name: str) -> str:
        """The generator backend that makes a class's clips."""
        return self.speech_generator if name == SPEECH and self.speech_generator is not None else self.generator


PRESETS = ("starss23",)


class DatasetConfig(_Model):
    """The whole distribution. `seed` and this config decide every item: item i depends on nothing else."""

    preset: Literal["starss23"] | None = Field(None, description="start from a preset: 'starss23' (24 kHz, 16-bit, 5 s items, "
                                               "STARSS23 classes; see cascade.dataset.starss23); the other fields given replace its own")
    seed: int = Field(0, ge=0, lt=2**63, description="dataset seed, [0, 2**63)")
    sample_rate: SampleRate = Field(24000, description="Hz of every file: 16000, 22050, 24000 (STARSS23's), 32000, 44100 or 48000")
    length: float = Field(4.0, ge=0.5, le=60.0, description="seconds of every item, [0.5, 60]")
    events: Events = Field(default_factory=Events)
    sounds: Sounds = Field(default_factory=Sounds)
    direction: Direction = Field(default_factory=Direction)
    distance: Span = _span(0.3, MAX_DISTANCE, (0.5, 5.0), "metres from the head centre, capped by the walls in a room")
    motion: Motion = Field(default_factory=Motion)
    rooms: Rooms = Field(default_factory=Rooms)
    labels: Labels = Field(default_factory=Labels)
    ambience: Ambience = Field(default_factory=Ambience)
    renderer: str = Field("hrtf", description=f"binaural renderer: {', '.join(renderers.names())}")
    hrtf: str | None = Field(None, description="SOFA file for the hrtf/foa renderers; null: MIT KEMAR")
    loudness: float = Field(-20.0, ge=-60.0, le=-5.0, description="LUFS of each item's binaural mix, [-60, -5]")
    bit_depth: Literal["16", "24", "32f"] = Field("24", description="WAV sample format: 16, 24 (PCM) or 32f (float)")
    stems: bool = Field(False, description="also write each event's mono clip, placed in time and levelled as in the mix")
    license: str = Field("unknown", pattern=r"^[a-z0-9][a-z0-9.\-]{0,63}$", description="the dataset card's license: a Hugging Face "
                         "license identifier such as cc-by-4.0 (default 'unknown': set it to what your clips allow)")

    @field_validator("hrtf")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        return None if value is None else str(Path(value).expanduser().resolve())

    @field_validator("renderer")
    @classmethod
    def _renderer(cls, value: str) -> str:
        if value not in renderers.names():
            raise ValueError(f"must be one of {', '.join(renderers.names())}, got '{value}'")
        return value

    @model_validator(mode="after")
    def _check(self) -> DatasetConfig:
        for where, span in _spans(self):
            low, high = _bounds(where)
            if span.min < low or span.max > high:
                raise ValueError(f"{where} must lie in [{low:g}, {high:g}], got [{span.min:g}, {span.max:g}]")
        if self.events.duration.min > self.length:
            raise ValueError(f"events.duration.min ({self.events.duration.min:g} s) must not exceed length ({self.length:g} s)")
        if self.rooms.anechoic < 1.0:
            smallest = min(self.rooms.x.min, self.rooms.y.min, self.rooms.z.min)
            needed = 2 * (self.distance.min + WALL_CLEARANCE)
            if smallest < needed:
                raise ValueError(f"rooms: every dimension must be at least 2 x (distance.min + {WALL_CLEARANCE:g} m) = {needed:g} m "
                                 f"so a source fits inside; the smallest is {smallest:g} m")
        if self.preset == "starss23":
            wrong = [f"{name} {value!r} (it needs {needed!r})" for name, value, needed in
                     (("sample_rate", self.sample_rate, starss23.SAMPLE_RATE), ("bit_depth", self.bit_depth, starss23.BIT_DEPTH),
                      ("labels.class_map", self.labels.class_map, "starss23")) if value != needed]
            if self.length < starss23.MIN_LENGTH:
                wrong.append(f"length {self.length:g} s (it needs {starss23.MIN_LENGTH:g} s or more)")
            if wrong:
                raise ValueError(f"preset 'starss23' does not allow {wrong[0]}; change it or leave out the preset")
        if self.labels.class_map == "starss23":
            for name in self.sounds.classes:
                for prompt in self.sounds.prompts_of(name):
                    if starss23.starss23_class(name, prompt) is None:
                        raise ValueError(f"labels.class_map 'starss23': class '{name}' (prompt '{prompt}') has no STARSS23 class; "
                                         f"leave it out of sounds.classes (mapped: {', '.join(sorted(starss23.BY_CLASS))}, and speech "
                                         "by a woman's or a man's voice)")
        if self.hrtf is not None and not Path(self.hrtf).expanduser().is_file():
            raise ValueError(f"hrtf file {self.hrtf} does not exist")
        return self

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


_SPAN_FIELDS = {"events.count": (Events, "count"), "events.duration": (Events, "duration"), "events.gain_db": (Events, "gain_db"),
                "direction.elevation": (Direction, "elevation"), "distance": (DatasetConfig, "distance"),
                "motion.speed": (Motion, "speed"), "rooms.x": (Rooms, "x"), "rooms.y": (Rooms, "y"), "rooms.z": (Rooms, "z"),
                "rooms.rt60": (Rooms, "rt60"), "ambience.level_db": (Ambience, "level_db")}


def _spans(config: DatasetConfig) -> list[tuple[str, Span]]:
    found = []
    for where in _SPAN_FIELDS:
        value: Any = config
        for part in where.split("."):
            value = getattr(value, part)
        found.append((where, value))
    return found


def _bounds(where: str) -> tuple[float, float]:
    model, name = _SPAN_FIELDS[where]
    extra = model.model_fields[name].json_schema_extra  # type: ignore[attr-defined]
    assert isinstance(extra, dict)
    low, high = extra["bounds"]
    return float(low), float(high)


def _describe(err: ValidationError) -> str:
    """The first problem as one line naming the field, with the field's allowed range when it has one."""
    first = err.errors()[0]
    message = first["msg"].removeprefix("Value error, ")
    if not first["loc"]:
        return message
    description = _field_description(first["loc"])
    if description and description not in message:
        message += f" ({description})"
    return ".".join(str(part) for part in first["loc"]) + f": {message}"


def _field_description(loc: tuple[Any, ...]) -> str | None:
    model: Any = DatasetConfig
    description = None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not isinstance(part, str) or fields is None or part not in fields:
            return description
        field = fields[part]
        description = field.description
        model = field.annotation
    return description


def parse_config(data: Any) -> DatasetConfig:
    """A DatasetConfig from parsed JSON/YAML data; DatasetError naming the field and its allowed range."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DatasetError(f"a dataset config is a mapping of fields, got {type(data).__name__}")
    if data.get("preset") is not None:
        if data["preset"] not in PRESETS:
            raise DatasetError(f"config: preset must be one of {', '.join(PRESETS)}, got {data['preset']!r}")
        data = starss23.preset(data)
    try:
        return DatasetConfig.model_validate(data)
    except ValidationError as err:
        raise DatasetError(f"config: {_describe(err)}") from None


def parse_folder_config(data: Any) -> DatasetConfig:
    """A dataset folder's config.json, written by this builder or an earlier one: a config from before label policies
    and volume-dependent RT60 continues with what that builder did (labels over the scheduled span, uniform RT60)."""
    if isinstance(data, dict):
        data = {"labels": {"policy": "scheduled"}, **data}
        if isinstance(data.get("rooms"), dict):
            data["rooms"] = {"rt60_model": "uniform", **data["rooms"]}
    return parse_config(data)


def load_config(path: str | Path) -> DatasetConfig:
    """Read a .json, .yaml or .yml config file; DatasetError (one line) when it cannot be read or is invalid."""
    try:
        return parse_config(read_config_data(path))
    except DatasetError as err:
        raise DatasetError(f"{path}: {err}") from None


def read_config_data(path: str | Path) -> Any:
    """The data of a .json, .yaml or .yml config file, read with a bounded read; DatasetError when it cannot be read."""
    path = Path(path)
    if path.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise DatasetError(f"config {path} must end in .json, .yaml or .yml")
    try:
        if path.is_dir():
            raise DatasetError(f"config {path} is a folder; pass a .json, .yaml or .yml file")
        with open(path, "rb") as file:  # a bounded read: a pipe or a device reports no true size
            raw = file.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise DatasetError(f"config {path} is larger than {MAX_CONFIG_BYTES >> 20} MiB; a config is a short text file")
        text = raw.decode("utf-8-sig")
    except OSError as err:
        raise DatasetError(f"cannot read config {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise DatasetError(f"config {path} is not UTF-8 text (byte {err.start})") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise DatasetError("YAML configs need pyyaml: pip install -e '.[dataset]' (or write the config as JSON)") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise DatasetError(f"config {path} is not valid YAML: {str(err).splitlines()[0]}") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise DatasetError(f"config {path} is not valid JSON: {err.msg} (line {err.lineno})") from None
    return data
