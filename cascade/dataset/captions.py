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
A moving source names where it starts and ends.
"""

from __future__ import annotations

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


def sector(azimuth: float, width: float) -> int:
    """Index of the `width`-degree sector holding `azimuth`, counted counter-clockwise from the one centred ahead."""
    return int(((azimuth + width / 2) % 360.0) // width)


def clock_hour(azimuth: float) -> int:
    """The clock hour (1-12) of a direction: 12 ahead, 3 right (-90°), 9 left (+90°)."""
    return (12 - sector(azimuth, 30.0)) % 12 or 12


def degrees_phrase(azimuth: float) -> str:
    return f"at DOA {round(azimuth)}"


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


def _where(event: SoundEvent, form: str) -> str:
    """The direction phrase of one form; a moving source says where it starts and ends."""
    _, positions = event.path()
    first, last = positions[0].azimuth, positions[-1].azimuth
    if form == "degrees":
        return f"moving from DOA {round(first)} to DOA {round(last)}" if event.moves else degrees_phrase(first)
    if form == "clock":
        return f"moving from {clock_hour(first)} o'clock to {clock_hour(last)} o'clock" if event.moves else clock_phrase(first)
    if event.moves:
        return f"moving from {GENERAL_ENDS[sector(first, 45.0)]} to {GENERAL_ENDS[sector(last, 45.0)]}"
    return general_phrase(first)


def event_caption(prompt: str, event: SoundEvent, form: str, room: Room | None, with_room: bool = True) -> str:
    """One event in one form, with its distance and elevation words, and the room's unless `with_room` is False."""
    position = event.position
    where = _where(event, form)
    height = f"elevation {round(position.elevation)}" if form == "degrees" else elevation_words(position.elevation)
    near = distance_words(position.distance)
    parts = [f"{prompt} {near} {where}" if not event.moves else f"{prompt} {near}, {where}", height]
    if with_room:
        parts.append(room_words(room))
    return ", ".join(parts)


def _joined(clauses: list[str], events: list[SoundEvent]) -> str:
    """Clauses in start order: ', then' after an event that has ended, ' while' over one still sounding."""
    text = clauses[0]
    for previous, event, clause in zip(events, events[1:], clauses[1:]):
        text += f", then {clause}" if event.start >= previous.end - 1e-9 else f" while {clause}"
    return text


def item_captions(prompts: list[str], events: list[SoundEvent], room: Room | None) -> dict[str, str]:
    """{'caption': plain, 'caption_degrees', 'caption_clock', 'caption_general'} for events sorted by start."""
    captions = {"caption": _joined(prompts, events)}
    for form in FORMS:
        clauses = [event_caption(p, e, form, room, with_room=False) for p, e in zip(prompts, events)]
        captions[f"caption_{form}"] = f"{_joined(clauses, events)}, {room_words(room)}"
    return captions
