"""Training examples for the learned models: one window with the event that sounds in it, as a field and dry.

`synthetic_examples` draws them procedurally, with the dataset builder's classes, renderers and captions: a
procedural clip of a taxonomy class (one of its seen wordings as the prompt), static or moving, encoded
exactly into AmbiX along its path (`renderers.foa.encode`), in a shoebox room for a share of them (image
sources and the diffuse tail, as the cascade renders rooms: `renderers.spatialise`), placed at its onset in
the window, levelled to LEVEL_DBFS W RMS over its sounding part and then given its gain (dB). The same clip,
dry and mono, placed and levelled the same way, is kept beside it: the end-to-end DiTs learn the field, the
learned cascade's mono generator learns the dry source, from the same events.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cascade.audio import resample
from cascade.dataset.captions import event_caption
from cascade.dataset.config import default_classes
from cascade.files import atomic_path
from cascade.geometry import SPEED_OF_SOUND
from cascade.scene import Position, Room, SoundEvent
from cascade.wordings import held_out_wording, seen_wordings
from renderers import foa
from renderers.path import SourcePath
from renderers.room import Shoebox
from renderers.spatialise import spatialise

TRAINING_CLASSES = tuple(default_classes())  # the classes with a procedural signal model, as the dataset builder's
CAPTION_FORM = "general"  # of the builder's three direction forms (degrees, clock, general)
LEVEL_DBFS = -23.0  # W-channel RMS of every example's active part at gain 0 dB
MIN_ACTIVE = 0.3  # s of sound an example keeps inside its window
GAIN_RANGE = (-20.0, 0.0)  # dB the examples' gains are drawn from (the range the learned models are conditioned on)


@dataclass
class Example:
    """One window: `foa` (4, n) AmbiX float32 at the model rate, `mono` (n,) the same event dry, and its labels.

    `start` is the event's onset in seconds from the window's start (negative when the window begins
    inside the sound), `total` its whole duration in seconds, `gain` its level in dB re LEVEL_DBFS; `room_volume`
    (m³) and `rt60` (s) are None for an anechoic example; azimuth and elevation (degrees) are where a moving source
    is at the middle of its sounding part of the window.
    """

    foa: np.ndarray
    mono: np.ndarray
    prompt: str
    caption: str
    azimuth: float
    elevation: float
    distance: float
    room_volume: float | None
    rt60: float | None
    start: float
    total: float
    gain: float


@dataclass(frozen=True)
class SyntheticSpec:
    """How `synthetic_examples` draws: window length (s), shares of rooms and moving sources, the gain range (dB) and
    whether prompts are the classes' seen wordings or their held-out one."""

    seconds: float = 4.0
    sample_rate: int = 16000
    room_share: float = 0.3
    moving_share: float = 0.25
    min_distance: float = 0.5
    max_distance: float = 10.0
    min_gain: float = GAIN_RANGE[0]
    max_gain: float = GAIN_RANGE[1]
    held_out_wording: bool = False


def _direction(rng: np.random.Generator) -> tuple[float, float]:
    """Azimuth uniform, elevation uniform on the sphere within [-60, 75] degrees."""
    low, high = math.sin(math.radians(-60)), math.sin(math.radians(75))
    return float(rng.uniform(-180, 180)), float(math.degrees(math.asin(rng.uniform(low, high))))


def _room(rng: np.random.Generator) -> tuple[tuple[float, float, float], float]:
    """A shoebox from a small room to a hall (m) and an RT60 (s) that grows with its size."""
    length = float(math.exp(rng.uniform(math.log(3.0), math.log(30.0))))
    dims = (length, length * float(rng.uniform(0.5, 1.0)), float(np.clip(length * rng.uniform(0.2, 0.4), 2.4, 15.0)))
    rt60 = float(np.clip(0.15 * length ** 0.6 * rng.uniform(0.6, 1.6), 0.15, 3.0))
    return dims, rt60


def _event_foa(mono: np.ndarray, rate: int, path: SourcePath, shoebox: tuple[tuple[float, float, float], float] | None,
               seed: int) -> np.ndarray:
    """(4, n) AmbiX of `mono` along `path`, in the shoebox room (image sources and diffuse tail) when given."""
    import renderers

    if shoebox is None:
        return foa.encode(mono, rate, path)
    _, ambix = spatialise(mono, rate, path, renderers.get("foa"), Shoebox.build(*shoebox), seed)
    return ambix


def _mono(rng: np.random.Generator, seconds: float, rate: int, held_out: bool) -> tuple[str, np.ndarray]:
    """One wording of a procedural class (a seen one, or the held-out one) and a procedural clip of it at `rate` Hz."""
    from cascade.generators.procedural import ProceduralGenerator
    from cascade.taxonomy import BY_NAME

    name = TRAINING_CLASSES[int(rng.integers(len(TRAINING_CLASSES)))]
    choices = seen_wordings(name)
    prompt = held_out_wording(name) if held_out else choices[int(rng.integers(len(choices)))]
    generator = ProceduralGenerator()
    clip = generator.synthesise(BY_NAME[name].synth, seconds, int(rng.integers(0, 2**31)))
    return prompt, resample(clip, generator.sample_rate, rate)


def _timing(rng: np.random.Generator, seconds: float) -> tuple[float, float]:
    """Onset (s from the window start; negative = already sounding) and whole duration (s) of the event."""
    kind = rng.uniform()
    start = 0.0 if kind < 0.2 else float(rng.uniform(-2.0, 0.0)) if kind < 0.3 else float(rng.uniform(0.0, seconds - 1.0))
    total = float(rng.uniform(0.5, seconds))
    end = min(start + total, seconds)
    if end - max(start, 0.0) < MIN_ACTIVE:
        total = max(start, 0.0) + MIN_ACTIVE - start
    return round(start, 3), round(total, 3)


def synthetic_example(seed: int, spec: SyntheticSpec = SyntheticSpec()) -> Example:
    """One procedurally drawn example; the same seed always gives the same example. A draw whose visible part is
    silent (a sparse sound seen only in a gap) is drawn again from the same random stream."""
    rng = np.random.default_rng(seed)
    while True:
        example = _draw(rng, seed, spec)
        if example is not None:
            return example


def _place(audio: np.ndarray, start: float, rate: int, n: int) -> tuple[np.ndarray, int, int]:
    """(channels, n) window holding `audio` (channels, m) from `start` seconds (negative: cut at the front), and the
    sample span [at, at + length) it fills."""
    window = np.zeros((audio.shape[0], n), np.float32)
    offset = int(round(start * rate))
    src = audio[:, max(0, -offset) :]
    at = max(0, offset)
    length = max(0, min(src.shape[-1], n - at))
    window[:, at : at + length] = src[:, :length]
    return window, at, length


def _level(window: np.ndarray, at: int, length: int) -> float:
    """RMS of channel 0 over the span [at, at + length)."""
    return float(np.sqrt(np.mean(window[0, at : at + max(length, 1)].astype(np.float64) ** 2)))


def _draw(rng: np.random.Generator, seed: int, spec: SyntheticSpec) -> Example | None:
    rate, n = spec.sample_rate, int(round(spec.seconds * spec.sample_rate))
    start, total = _timing(rng, spec.seconds)
    prompt, mono = _mono(rng, total, rate, spec.held_out_wording)
    azimuth, elevation = _direction(rng)
    distance = float(math.exp(rng.uniform(math.log(spec.min_distance), math.log(spec.max_distance))))
    shoebox = _room(rng) if rng.uniform() < spec.room_share else None
    path = SourcePath.static(azimuth, elevation, distance)
    if rng.uniform() < spec.moving_share:
        end_az, end_el = _direction(rng)
        path = SourcePath.from_keys([0.0, total], [azimuth, end_az], [elevation, end_el], [distance, distance])
    gain = float(rng.uniform(spec.min_gain, spec.max_gain))
    ambix = _event_foa(mono, rate, path, shoebox, seed)
    lead = int(round(distance / SPEED_OF_SOUND * rate))  # the onset is when the direct sound arrives
    window, at, length = _place(ambix[:, lead:], start, rate, n)
    dry, _, _ = _place(mono[None], start, rate, n)
    rms, dry_rms = _level(window, at, length), _level(dry, at, length)
    if rms < 1e-6 or dry_rms < 1e-6:
        return None
    level = 10 ** ((LEVEL_DBFS + gain) / 20)
    window *= level / rms
    dry *= level / dry_rms
    volume = float(np.prod(shoebox[0])) if shoebox is not None else None
    rt60 = shoebox[1] if shoebox is not None else None
    middle = 0.5 * (max(start, 0.0) + min(start + total, spec.seconds)) - start  # s into the event
    azimuth, elevation, _ = (float(v) for v in path.at(middle))
    caption = spatial_caption(prompt, azimuth, elevation, distance, shoebox)
    return Example(window, dry[0], prompt, caption, azimuth, elevation, distance, volume, rt60, start, total, round(gain, 2))


def spatial_caption(prompt: str, azimuth: float, elevation: float, distance: float,
                    shoebox: tuple[tuple[float, float, float], float] | None) -> str:
    """The dataset builder's caption of a static source in DualSpec's general form ('a dog barks close by on the left,
    slightly below, in a small reverberant room'), the descriptive model's condition."""
    event = SoundEvent(id="e", description=prompt, duration=1.0, position=Position(azimuth=azimuth, elevation=elevation, distance=distance))
    return event_caption(prompt, event, CAPTION_FORM, Room(dimensions=shoebox[0], rt60=shoebox[1]) if shoebox is not None else None)


def synthetic_examples(count: int, seed: int = 0, spec: SyntheticSpec = SyntheticSpec()) -> Iterator[Example]:
    """`count` examples; example k uses seed `seed * 1_000_003 + k`, so sets with different seeds do not overlap."""
    for k in range(count):
        yield synthetic_example(seed * 1_000_003 + k, spec)


LABELS = ("azimuth", "elevation", "distance", "room_volume", "rt60", "start", "total", "gain")


def save_examples(path: Path, examples: list[Example]) -> Path:
    """One .npz: `foa` (k, 4, n) and `mono` (k, n) float16, the texts, and the numeric labels (NaN for an absent room)."""
    arrays: dict[str, np.ndarray] = {"foa": np.stack([e.foa for e in examples]).astype(np.float16),
                                     "mono": np.stack([e.mono for e in examples]).astype(np.float16),
                                     "prompt": np.array([e.prompt for e in examples]),
                                     "caption": np.array([e.caption for e in examples])}
    for name in LABELS:
        arrays[name] = np.array([np.nan if getattr(e, name) is None else getattr(e, name) for e in examples], np.float64)
    with atomic_path(path) as tmp, open(tmp, "wb") as file:
        np.savez(file, allow_pickle=False, **arrays)
    return path


def load_examples(path: Path) -> list[Example]:
    """The examples `save_examples` wrote (audio back to float32)."""
    with np.load(path) as data:
        labels = {name: data[name].astype(np.float64) for name in LABELS}
        foa_all, mono_all, prompts, captions = data["foa"], data["mono"], data["prompt"], data["caption"]

    def room(name: str, k: int) -> float | None:
        return None if np.isnan(labels[name][k]) else float(labels[name][k])

    return [Example(foa_all[k].astype(np.float32), mono_all[k].astype(np.float32), str(prompts[k]), str(captions[k]), float(labels["azimuth"][k]),
                    float(labels["elevation"][k]), float(labels["distance"][k]), room("room_volume", k), room("rt60", k), float(labels["start"][k]),
                    float(labels["total"][k]), float(labels["gain"][k]))
            for k in range(foa_all.shape[0])]
