"""Captions of an item: a plain one ("a dog barks") and spatial ones in DualSpec's three direction forms.

    degrees  "a dog barks close by at DOA 90, elevation -20, in a small reverberant room"
    clock    "a dog barks close by at 9 o'clock, slightly below, in a small reverberant room"
    general  "a dog barks close by on the left, slightly below, in a small reverberant room"

Directions follow the project's conventions (azimuth +90 = left; clock 12 = front, 3 = right). The
word buckets are this module's definitions, chosen so that the rule planner reads each phrase back
into the same bucket: clock hours are 30° sectors, general directions 45° sectors; elevation: from 60°
"overhead", from 20° "above", from 8° "slightly above", down to -8° "at ear level", down to -20°
"slightly below", then "below"; distance: under 0.7 m "very close", under 1.5 m "close by", under 3 m
"a couple of metres away", under 7 m "a few metres away", then "far away"; rooms: under 40 m³ "small",
over 150 m³ "large", RT60 under 0.35 s "dry", over 0.8 s "reverberant"; no room: "in the open air".
Degrees are rounded half up, as the DCASE CSV rounds them (`labels.half_up`).

A moving source names where it starts and ends; one that travels 180° or more also names the points
it passes "by way of" (evenly along its arc, each leg under 180°, so the short way between them is its
way), and one that turns more than two full circles says how many and which way. An event is joined
with ", then" only when every earlier event has ended, else with " while".
"""

from __future__ import annotations

import math

from cascade.dataset.labels import half_up, label_azimuth
from cascade.scene import Room, SoundEvent

GENERAL = ("in front", "on the front-left", "on the left", "on the back-left", "behind", "on the back-right", "on the right",
           "on the front-right")  # 45° sectors counter-clockwise from the front
GENERAL_ENDS = ("the front", "the front-left", "the left", "the back-left", "the back", "the back-right", "the right", "the front-right")
ELEVATION_WORDS = ((60.0, "overhead"), (20.0, "above"), (8.0, "slightly above"), (-8.0, "at ear level"), (-20.0, "slightly below"))
LOWEST_WORD = "below"
DISTANCE_WORDS = ((0.7, "very close"), (1.5, "close by"), (3.0, "a couple of metres away"), (7.0, "a few metres away"))
FARTHEST_WORD = "far away"
SMALL_ROOM, LARGE_ROOM = 40.0, 150.0  # m³
DRY_ROOM, REVERBERANT_ROOM = 0.35, 0.8  # s
FORMS = ("degrees", "clock", "general")
MAX_WAYPOINTS = 3  # beyond this, a travelling source's caption counts its circles instead


def sector(azimuth: float, width: float) -> int:
    """Index of the `width`-degree sector holding `azimuth`, counted counter-clockwise from the one centred ahead."""
    return int(((azimuth + width / 2) % 360.0) // width)


def clock_hour(azimuth: float) -> int:
    """The clock hour (1-12) of a direction: 12 ahead, 3 right (-90°), 9 left (+90°)."""
    return (12 - sector(azimuth, 30.0)) % 12 or 12


def degrees_phrase(azimuth: float) -> str:
    return f"at DOA {label_azimuth(azimuth)}"


def clock_phrase(azimuth: float) -> str:
    return f"at {clock_hour(azimuth)} o'clock"


def general_phrase(azimuth: float) -> str:
    return GENERAL[sector(azimuth, 45.0)]


def elevation_words(elevation: float) -> str:
    """'overhead', 'above', 'slightly above', 'at ear level', 'slightly below' or 'below'."""
    return next((word for floor, word in ELEVATION_WORDS if elevation >= floor), LOWEST_WORD)


def distance_words(distance: float) -> str:
    """'very close', 'close by', 'a couple of metres away', 'a few metres away' or 'far away'."""
    return next((word for ceiling, word in DISTANCE_WORDS if distance < ceiling), FARTHEST_WORD)


def room_words(room: Room | None) -> str:
    """'in the open air', or 'in a [small|large] [dry|reverberant] room'."""
    if room is None:
        return "in the open air"
    x, y, z = room.dimensions
    volume = x * y * z
    size = "small" if volume < SMALL_ROOM else "large" if volume > LARGE_ROOM else ""
    liveness = "dry" if room.rt60 < DRY_ROOM else "reverberant" if room.rt60 > REVERBERANT_ROOM else ""
    return " ".join(["in a", *(w for w in (size, liveness) if w), "room"])


def travel(event: SoundEvent) -> float:
    """Degrees of azimuth a source turns through along its path, + counter-clockwise (towards the left), each leg
    between key positions the shorter way (as the renderer moves it)."""
    _, positions = event.path()
    steps = [(b.azimuth - a.azimuth + 180.0) % 360.0 - 180.0 for a, b in zip(positions, positions[1:])]
    return float(sum(steps))


def _named(azimuth: float, form: str) -> str:
    if form == "degrees":
        return f"DOA {label_azimuth(azimuth)}"
    if form == "clock":
        return f"{clock_hour(azimuth)} o'clock"
    return GENERAL_ENDS[sector(azimuth, 45.0)]


def _where(event: SoundEvent, form: str) -> str:
    """The direction phrase of one form; a moving source says where it starts and ends, and the way it takes."""
    first = event.position.azimuth
    if not event.moves:
        return degrees_phrase(first) if form == "degrees" else clock_phrase(first) if form == "clock" else general_phrase(first)
    arc = travel(event)
    last = first + arc
    text = f"moving from {_named(first, form)} to {_named(last, form)}"
    legs = math.floor(abs(arc) / 180.0) + 1
    if legs - 1 > MAX_WAYPOINTS:
        way = "counter-clockwise (to the left)" if arc > 0 else "clockwise (to the right)"
        return f"{text}, circling {abs(arc) / 360.0:.1f} times {way}"
    if legs > 1:
        points = [_named(first + arc * k / legs, form) for k in range(1, legs)]
        text += " by way of " + (points[0] if len(points) == 1 else ", ".join(points[:-1]) + " and " + points[-1])
    return text


def event_caption(prompt: str, event: SoundEvent, form: str, room: Room | None, with_room: bool = True) -> str:
    """One event in one form, with its distance and elevation words, and the room's unless `with_room` is False."""
    position = event.position
    where = _where(event, form)
    height = f"elevation {half_up(position.elevation)}" if form == "degrees" else elevation_words(position.elevation)
    near = distance_words(position.distance)
    parts = [f"{prompt} {near} {where}" if not event.moves else f"{prompt} {near}, {where}", height]
    if with_room:
        parts.append(room_words(room))
    return ", ".join(parts)


def _joined(clauses: list[str], events: list[SoundEvent]) -> str:
    """Clauses in start order: ', then' when every earlier event has ended, ' while' when one still sounds."""
    text = clauses[0]
    for k, clause in enumerate(clauses[1:], start=1):
        sounding = max(e.end for e in events[:k])
        text += f", then {clause}" if events[k].start >= sounding - 1e-9 else f" while {clause}"
    return text


def item_captions(prompts: list[str], events: list[SoundEvent], room: Room | None) -> dict[str, str]:
    """{'caption': plain, 'caption_degrees', 'caption_clock', 'caption_general'} for events sorted by start."""
    captions = {"caption": _joined(prompts, events)}
    for form in FORMS:
        clauses = [event_caption(p, e, form, room, with_room=False) for p, e in zip(prompts, events)]
        captions[f"caption_{form}"] = f"{_joined(clauses, events)}, {room_words(room)}"
    return captions
