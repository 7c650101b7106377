"""A scene's events as the model's conditions: one condition per event and generation window.

The model generates windows of a fixed length. A scene is covered by windows that overlap by `overlap`
seconds (crossfaded when summed); every event is generated in each window it sounds in, conditioned on
its start time relative to that window (negative when it began earlier), its total duration and its gain (dB),
so the model itself places the sound in time and sets its level (ImmerseDiffusion's temporal conditioning)
and the windows' audio is only summed. A moving source is conditioned on where it is in the middle of its
part of the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cascade.end_to_end.conditioning import NUMBERS
from cascade.end_to_end.data import spatial_caption
from cascade.end_to_end.inference import OVERLAP, window_offsets
from cascade.scene import Scene, SoundEvent
from cascade.seeds import stream


@dataclass(frozen=True)
class EventWindow:
    """One generation: event `event_id` in the window starting `offset` seconds into the scene."""

    event_id: str
    window: int
    offset: float
    prompt: str
    caption: str
    numbers: tuple[float, ...]  # NUMBERS order
    seed: int


def _position(event: SoundEvent, since: float, until: float) -> tuple[float, float, float]:
    """Azimuth, elevation (degrees) and distance (m) of `event` at the middle of [since, until] (scene seconds)."""
    from cascade.pipeline import event_path

    azimuth, elevation, distance = event_path(event).at(0.5 * (since + until) - event.start)
    return float(azimuth), float(elevation), float(distance)


def event_windows(scene: Scene, seeds: dict[str, int], window: float, overlap: float = OVERLAP) -> tuple[list[float], list[EventWindow]]:
    """The window offsets covering the scene and one EventWindow per event and window it sounds in; `seeds` maps an
    event id to its seed, from which each window draws its own noise seed."""
    offsets = window_offsets(scene.end, window, overlap)
    shoebox = (scene.room.dimensions, scene.room.rt60) if scene.room is not None else None
    volume = float(np.prod(scene.room.dimensions)) if scene.room is not None else None
    rt60 = scene.room.rt60 if scene.room is not None else None
    jobs = []
    for event in scene.events:
        for k, offset in enumerate(offsets):
            since, until = max(event.start, offset), min(event.end, offset + window)
            if until <= since:
                continue
            azimuth, elevation, distance = _position(event, since, until)
            values = {"azimuth": azimuth, "elevation": elevation, "distance": distance, "room_volume": volume, "rt60": rt60,
                      "start": event.start - offset, "total": event.duration, "gain": event.gain_db}
            numbers = tuple(float("nan") if (value := values[n]) is None else float(value) for n in NUMBERS)
            seed = int(stream(seeds[event.id], f"e2e-window-{k}").integers(0, 2**63))
            caption = spatial_caption(event.description, azimuth, elevation, distance, shoebox)
            jobs.append(EventWindow(event.id, k, offset, event.description, caption, numbers, seed))
    return offsets, jobs
