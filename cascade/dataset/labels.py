"""Labels of a rendered item: the DCASE / STARSS23 metadata CSV and the parametric labels of its events.

DCASE / STARSS23 CSV, one row per active event per 100 ms frame, no header:
`frame, class index, source index, azimuth, elevation, distance` (integers: degrees, azimuth
counter-clockwise with +90 = left and 0 = front, elevation + up, distance in cm; the source index
counts the events of one class in start order; frames with nothing active are omitted). Frame k
covers [0.1 k, 0.1 (k + 1)) s and lists an event at its position at the frame's centre, in the frames
the config's label policy gives it:

- 'activity': the frames where the event's own clip sounds as it reaches the listener (placed at its
  start plus the propagation delay distance / c): the frame's mean power is within `threshold_db` of the
  clip's loudest frame; silent gaps shorter than `bridge` seconds between such frames are labelled too;
- 'scheduled': every frame whose centre lies in the event's [start, end).

Values are rounded half up (`half_up`, which the captions share).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cascade.dataset.config import LABEL_FRAME
from cascade.geometry import wrap_azimuth
from cascade.pipeline import event_path
from cascade.scene import Room, Scene, SoundEvent

Row = tuple[int, int, int, int, int, int]


def half_up(value: float) -> int:
    """`value` rounded to the nearest whole number, halves up (70.5 -> 71, -70.5 -> -70): the rule of every label."""
    return int(math.floor(value + 0.5))


def label_azimuth(azimuth: float) -> int:
    """An azimuth (degrees) as the CSV writes it: rounded half up, then wrapped into (-180, 180]."""
    return int(wrap_azimuth(half_up(azimuth)))


def source_indices(classes: list[str] | list[int]) -> list[int]:
    """Per event (in start order), how many earlier events share its class: STARSS23's source index."""
    seen: dict[str | int, int] = {}
    indices = []
    for name in classes:
        indices.append(seen.get(name, 0))
        seen[name] = indices[-1] + 1
    return indices


def active_frames(event: SoundEvent, frames: int) -> range:
    """The frames (of `frames` in the item) whose centre lies in [start, end) of `event`."""
    first = math.ceil(event.start / LABEL_FRAME - 0.5 - 1e-9)
    stop = math.ceil(event.end / LABEL_FRAME - 0.5 - 1e-9)
    return range(max(0, first), min(frames, stop))


def frame_count(scene: Scene) -> int:
    """Label frames of a scene."""
    return half_up(scene.end / LABEL_FRAME)


def sounding_frames(clip: np.ndarray, sample_rate: int, offset: float, frames: int, threshold_db: float, bridge: float) -> np.ndarray:
    """Frames (sorted int64) where the mono `clip`, starting `offset` seconds into the item, has a mean power within
    `threshold_db` of its loudest frame; silent runs shorter than `bridge` seconds between two such frames included."""
    hop = int(round(LABEL_FRAME * sample_rate))
    buffer = np.zeros(frames * hop, dtype=np.float64)
    begin = int(round(offset * sample_rate))
    take = max(0, min(clip.size, buffer.size - begin))
    buffer[begin:begin + take] = clip[:take]
    power = np.mean(np.square(buffer.reshape(frames, hop)), axis=1)
    peak = float(power.max(initial=0.0))
    if peak == 0.0:
        return np.zeros(0, dtype=np.int64)
    sounding = np.flatnonzero(power >= peak * 10.0 ** (-threshold_db / 10.0))
    gaps = np.diff(sounding) - 1
    bridged = [np.arange(a + 1, b) for a, b, gap in zip(sounding, sounding[1:], gaps) if gap > 0 and gap * LABEL_FRAME < bridge - 1e-9]
    return np.sort(np.concatenate([sounding, *bridged])).astype(np.int64)


def dcase_rows(scene: Scene, class_indices: list[int], sources: list[int], frames: list[np.ndarray] | None = None) -> list[Row]:
    """Every (frame, class, source, azimuth, elevation, distance cm) row of the scene, sorted; `frames` gives each
    event's labelled frames (default: its scheduled ones, `active_frames`)."""
    total = frame_count(scene)
    rows: list[Row] = []
    for k, (event, class_index, source) in enumerate(zip(scene.events, class_indices, sources)):
        active = np.asarray(frames[k] if frames is not None else active_frames(event, total), dtype=np.int64)
        if active.size == 0:
            continue
        azimuth, elevation, distance = event_path(event).at((active + 0.5) * LABEL_FRAME - event.start)
        for frame, az, el, dist in zip(active, azimuth, elevation, distance):
            rows.append((int(frame), class_index, source, label_azimuth(az), half_up(el), half_up(100.0 * dist)))
    return sorted(rows)


def dcase_csv(rows: list[Row]) -> str:
    """The rows as STARSS23 writes them: comma-separated integers, no header, one line each."""
    return "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def room_labels(room: Room | None) -> dict[str, Any]:
    """anechoic flag, room dimensions (m; zeros in the free field) and RT60 (s; 0 in the free field)."""
    if room is None:
        return {"anechoic": True, "room_dimensions": [0.0, 0.0, 0.0], "rt60": 0.0}
    return {"anechoic": False, "room_dimensions": [float(d) for d in room.dimensions], "rt60": float(room.rt60)}


def event_labels(event: SoundEvent) -> dict[str, Any]:
    """Where and when one event sounds: start and end position (degrees, m), start and duration (s), level (dB)."""
    _, positions = event.path()
    first, last = positions[0], positions[-1]
    return {"start": event.start, "duration": event.duration, "azimuth": first.azimuth, "elevation": first.elevation,
            "distance": first.distance, "end_azimuth": last.azimuth, "end_elevation": last.elevation, "end_distance": last.distance,
            "moving": event.moves, "gain_db": event.gain_db}
