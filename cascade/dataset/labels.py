"""Labels of a rendered item: the DCASE / STARSS23 metadata CSV and the parametric labels of its events.

DCASE / STARSS23 CSV, one row per active event per 100 ms frame, no header:
`frame, class index, source index, azimuth, elevation, distance` (integers: degrees, azimuth
counter-clockwise with +90 = left and 0 = front, elevation + up, distance in cm; the source index
counts the events of one class in start order; frames with nothing active are omitted). Frame k
covers [0.1 k, 0.1 (k + 1)) s and lists every event sounding at its centre, at its position there.
Values are rounded half up.
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


def _half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def source_indices(classes: list[str]) -> list[int]:
    """Per event (in start order), how many earlier events share its class: STARSS23's source index."""
    seen: dict[str, int] = {}
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


def dcase_rows(scene: Scene, class_indices: list[int], sources: list[int]) -> list[Row]:
    """Every (frame, class, source, azimuth, elevation, distance cm) row of the scene, sorted."""
    frames = _half_up(scene.end / LABEL_FRAME)
    rows: list[Row] = []
    for event, class_index, source in zip(scene.events, class_indices, sources):
        active = np.array(active_frames(event, frames))
        if active.size == 0:
            continue
        azimuth, elevation, distance = event_path(event).at((active + 0.5) * LABEL_FRAME - event.start)
        for frame, az, el, dist in zip(active, azimuth, elevation, distance):
            rows.append((int(frame), class_index, source, int(wrap_azimuth(_half_up(az))), _half_up(el), _half_up(100.0 * dist)))
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
