"""Training examples for the end-to-end model: one FOA window with the labels of the event that sounds in it.

`synthetic_examples` draws them procedurally: a procedural clip of a taxonomy class, encoded exactly into
AmbiX at a known direction (`renderers.foa.encode`), optionally in a shoebox room (image sources and the
diffuse tail, as the cascade renders rooms: `renderers.spatialise`), placed at its onset in the window and levelled to a fixed W RMS
(as the dataset builder's loudness normalisation does). The codec pre-trains on them and the tests use
them; the dataset builder's items (`cascade/dataset/`) are read into the same `Example` records.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cascade.audio import resample
from cascade.dataset.captions import event_caption
from cascade.files import atomic_path
from cascade.geometry import SPEED_OF_SOUND
from cascade.scene import Position, Room, SoundEvent
from renderers import foa
from renderers.path import SourcePath
from renderers.room import Shoebox
from renderers.spatialise import spatialise

CAPTION_FORM = "general"  # of the builder's three direction forms (degrees, clock, general)
LEVEL_DBFS = -23.0  # W-channel RMS of every example's active part
MIN_ACTIVE = 0.3  # s of sound an example keeps inside its window


@dataclass
class Example:
    """One window: `foa` (4, n) AmbiX float32 at the model rate, and the event that sounds in it.

    `start` is the event's onset in seconds from the window's start (negative when the window begins
    inside the sound), `total` its whole duration in seconds; `room_volume` (m³) and `rt60` (s) are None
    for an anechoic example.
    """

    foa: np.ndarray
    prompt: str
    caption: str
    azimuth: float
    elevation: float
    distance: float
    room_volume: float | None
    rt60: float | None
    start: float
    total: float


@dataclass(frozen=True)
class SyntheticSpec:
    """How `synthetic_examples` draws: window length (s), shares of rooms, two-source mixtures and moving sources."""

    seconds: float = 4.0
    sample_rate: int = 16000
    room_share: float = 0.3
    mixture_share: float = 0.0  # a second, unlabelled source (codec training only)
    moving_share: float = 0.0  # the labelled source moves (codec training only)
    min_distance: float = 0.5
    max_distance: float = 10.0


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


def _mono(rng: np.random.Generator, seconds: float, rate: int) -> tuple[str, np.ndarray]:
    """A taxonomy class's plain prompt and a procedural clip of it at `rate` Hz."""
    from cascade.generators.procedural import ProceduralGenerator
    from cascade.taxonomy import CLASSES

    sound = CLASSES[int(rng.integers(len(CLASSES)))]
    generator = ProceduralGenerator()
    clip = generator.synthesise(sound.synth, seconds, int(rng.integers(0, 2**31)))
    return sound.prompt, resample(clip, generator.sample_rate, rate)


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


def _draw(rng: np.random.Generator, seed: int, spec: SyntheticSpec) -> Example | None:
    rate, n = spec.sample_rate, int(round(spec.seconds * spec.sample_rate))
    start, total = _timing(rng, spec.seconds)
    prompt, mono = _mono(rng, total, rate)
    azimuth, elevation = _direction(rng)
    distance = float(math.exp(rng.uniform(math.log(spec.min_distance), math.log(spec.max_distance))))
    shoebox = _room(rng) if rng.uniform() < spec.room_share else None
    path = SourcePath.static(azimuth, elevation, distance)
    if rng.uniform() < spec.moving_share:
        end_az, end_el = _direction(rng)
        path = SourcePath.from_keys([0.0, total], [azimuth, end_az], [elevation, end_el], [distance, distance])
    ambix = _event_foa(mono, rate, path, shoebox, seed)
    lead = int(round(distance / SPEED_OF_SOUND * rate))  # the onset is when the direct sound arrives
    ambix = ambix[:, lead:]
    window = np.zeros((4, n), np.float32)
    offset = int(round(start * rate))
    src = ambix[:, max(0, -offset) :]
    at = max(0, offset)
    length = min(src.shape[-1], n - at)
    window[:, at : at + length] = src[:, :length]
    rms = float(np.sqrt(np.mean(window[0, at : at + max(length, 1)].astype(np.float64) ** 2)))
    if rms < 1e-6:
        return None
    window *= 10 ** (LEVEL_DBFS / 20) / rms
    if rng.uniform() < spec.mixture_share:
        _, other = _mono(rng, spec.seconds, rate)
        other_az, other_el = _direction(rng)
        gain = 10 ** ((LEVEL_DBFS + rng.uniform(-12, 0)) / 20) / max(float(np.sqrt(np.mean(other**2))), 1e-6)
        window += gain * foa.encode(other, rate, SourcePath.static(other_az, other_el, 1.0))[:, :n]
    volume = float(np.prod(shoebox[0])) if shoebox is not None else None
    rt60 = shoebox[1] if shoebox is not None else None
    caption = spatial_caption(prompt, azimuth, elevation, distance, shoebox)
    return Example(window, prompt, caption, azimuth, elevation, distance, volume, rt60, start, total)


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


LABELS = ("azimuth", "elevation", "distance", "room_volume", "rt60", "start", "total")


def save_examples(path: Path, examples: list[Example]) -> Path:
    """One .npz: `foa` (k, 4, n) float16, the texts, and the numeric labels (NaN for an absent room)."""
    arrays: dict[str, np.ndarray] = {"foa": np.stack([e.foa for e in examples]).astype(np.float16),
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
        foa_all, prompts, captions = data["foa"], data["prompt"], data["caption"]

    def room(name: str, k: int) -> float | None:
        return None if np.isnan(labels[name][k]) else float(labels[name][k])

    return [Example(foa_all[k].astype(np.float32), str(prompts[k]), str(captions[k]), float(labels["azimuth"][k]), float(labels["elevation"][k]),
                    float(labels["distance"][k]), room("room_volume", k), room("rt60", k), float(labels["start"][k]), float(labels["total"][k]))
            for k in range(foa_all.shape[0])]
