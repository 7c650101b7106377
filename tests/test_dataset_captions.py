"""Captions: DualSpec's direction forms against a hand-written table, and the rule planner reading every caption back
to the direction, elevation, distance and room its labels give."""

import math

import numpy as np
import pytest

import cascade
from cascade.dataset.captions import (
    FORMS,
    clock_hour,
    distance_words,
    elevation_words,
    event_caption,
    general_phrase,
    item_captions,
    room_words,
    sector,
)
from cascade.dataset.config import parse_config
from cascade.dataset.labels import dcase_rows
from cascade.dataset.sampler import sample_scene
from cascade.scene import Keyframe, Position, Room, Scene, SoundEvent


@pytest.mark.parametrize(("azimuth", "hour", "general"), [
    (0.0, 12, "in front"), (-90.0, 3, "on the right"), (90.0, 9, "on the left"), (180.0, 6, "behind"),
    (-30.0, 1, "on the front-right"), (30.0, 11, "on the front-left"), (20.0, 11, "in front"), (45.0, 10, "on the front-left"),
    (-135.0, 4, "on the back-right"), (130.0, 8, "on the back-left"), (-60.0, 2, "on the front-right"), (14.9, 12, "in front"), (15.1, 11, "in front"),
    (-179.0, 6, "behind"), (112.0, 8, "on the left"), (113.0, 8, "on the back-left"),
])
def test_clock_and_general_directions(azimuth, hour, general):
    assert clock_hour(azimuth) == hour
    assert general_phrase(azimuth) == general


def test_words_for_elevation_distance_and_room():
    assert [elevation_words(e) for e in (75, 30, 10, 0, -10, -30)] == [
        "overhead", "above", "slightly above", "at ear level", "slightly below", "below"]
    assert [distance_words(d) for d in (0.5, 1.0, 2.0, 5.0, 12.0)] == [
        "very close", "close by", "a couple of metres away", "a few metres away", "far away"]
    assert room_words(None) == "in the open air"
    assert room_words(Room(dimensions=(3.0, 3.0, 2.5), rt60=1.0)) == "in a small reverberant room"
    assert room_words(Room(dimensions=(10.0, 8.0, 4.0), rt60=0.25)) == "in a large dry room"
    assert room_words(Room(dimensions=(5.0, 4.0, 3.0), rt60=0.5)) == "in a room"


def test_one_event_in_the_three_forms():
    event = SoundEvent(id="e0", description="a dog barks", start=0.0, duration=1.0, position=Position(azimuth=90.0, elevation=-25.0, distance=1.2))
    room = Room(dimensions=(3.0, 3.0, 2.5), rt60=1.0)
    assert event_caption("a dog barks", event, "degrees", room) == "a dog barks close by at DOA 90, elevation -25, in a small reverberant room"
    assert event_caption("a dog barks", event, "clock", room) == "a dog barks close by at 9 o'clock, below, in a small reverberant room"
    assert event_caption("a dog barks", event, "general", None) == "a dog barks close by on the left, below, in the open air"
    later = event.model_copy(update={"id": "e1", "start": 2.0, "description": "a bird chirps"})
    captions = item_captions(["a dog barks", "a bird chirps"], [event, later], None)
    assert captions["caption"] == "a dog barks, then a bird chirps"
    assert captions["caption_general"] == "a dog barks close by on the left, below, then a bird chirps close by on the left, below, in the open air"


@pytest.mark.slow
def test_the_rule_planner_reads_every_caption_back_to_its_labels():
    # every default class but 'car' and 'train', whose own captions ("a car drives past", "a train passes") are pass-bys to
    # the planner
    config = parse_config({"sounds": {"classes": [c for c in parse_config({}).sounds.classes if c not in ("car", "train")]}})
    read = 0
    for index in range(80):
        draw = sample_scene(config, index)
        scene = draw.scene
        for event in scene.events:
            truth = event.position
            for form in FORMS:
                planned = cascade.plan_scene(event_caption(event.description, event, form, scene.room))
                assert len(planned.events) == 1
                got = planned.events[0].position
                if form == "degrees":
                    assert abs((got.azimuth - math.floor(truth.azimuth + 0.5) + 180) % 360 - 180) < 0.51
                elif form == "clock":
                    assert clock_hour(got.azimuth) == clock_hour(truth.azimuth)
                else:
                    assert sector(got.azimuth, 45.0) == sector(truth.azimuth, 45.0)
                if not event.moves:  # the planner gives airborne moving sources its own flight height
                    if form == "degrees":
                        assert got.elevation == pytest.approx(math.floor(truth.elevation + 0.5), abs=0.51)
                    else:
                        assert elevation_words(got.elevation) == elevation_words(truth.elevation)
                # a moving source is planned as a straight line whose closest approach is at the caption's distance
                nearest = min(p.distance for p in planned.events[0].path()[1]) if event.moves else got.distance
                assert distance_words(nearest) == distance_words(truth.distance)
                assert (planned.room is None) == (scene.room is None)
                read += 1
    assert read > 400


def _at(event_id, start, duration, azimuth=0.0, elevation=0.0, trajectory=None):
    return SoundEvent(id=event_id, description="a sound", start=start, duration=duration, trajectory=trajectory,
                      position=Position(azimuth=azimuth, elevation=elevation, distance=1.2))


def test_then_only_when_every_earlier_event_has_ended():
    # a long event 0-3 s, a short one 1-1.5 s, a third from 2 s: the long one still sounds, so "while", not "then"
    events = [_at("e0", 0.0, 3.0), _at("e1", 1.0, 0.5), _at("e2", 2.0, 1.0), _at("e3", 3.0, 1.0)]
    captions = item_captions(["a dog barks", "a bird chirps", "a bell tolls", "a door creaks"], events, None)
    assert captions["caption"] == "a dog barks while a bird chirps while a bell tolls, then a door creaks"


def _keys(*azimuths):
    return [Keyframe(time=0.5 * (k + 1), position=Position(azimuth=a, distance=1.2)) for k, a in enumerate(azimuths)]


@pytest.mark.parametrize(("azimuths", "degrees", "clock", "general"), [
    # 90° to the left: the short way, no waypoint
    ((45.0, 90.0), "moving from DOA 0 to DOA 90", "moving from 12 o'clock to 9 o'clock", "moving from the front to the left"),
    # 240° counter-clockwise (to the left): by way of 120° (back-left, 8 o'clock), not the short way by the right
    ((80.0, 160.0, -120.0), "moving from DOA 0 to DOA -120 by way of DOA 120", "moving from 12 o'clock to 4 o'clock by way of 8 o'clock",
     "moving from the front to the back-right by way of the back-left"),
    # 240° clockwise (to the right): by way of -120° (back-right, 4 o'clock)
    ((-80.0, -160.0, 120.0), "moving from DOA 0 to DOA 120 by way of DOA -120", "moving from 12 o'clock to 8 o'clock by way of 4 o'clock",
     "moving from the front to the back-left by way of the back-right"),
    # a full circle and a half to the left (540°): three legs of 180°... under 180° each: 0 -> 135 -> -90 -> 45 -> 180
    ((90.0, 180.0, -90.0, 0.0, 90.0, 180.0), "moving from DOA 0 to DOA 180 by way of DOA 135, DOA -90 and DOA 45",
     "moving from 12 o'clock to 6 o'clock by way of 7 o'clock, 3 o'clock and 10 o'clock",
     "moving from the front to the back by way of the back-left, the right and the front-left"),
])
def test_a_source_travelling_far_names_the_way_it_goes(azimuths, degrees, clock, general):
    event = _at("e0", 0.0, 0.5 * len(azimuths), trajectory=_keys(*azimuths))
    assert event_caption("a bee buzzes", event, "degrees", None, with_room=False) == f"a bee buzzes close by, {degrees}, elevation 0"
    assert event_caption("a bee buzzes", event, "clock", None, with_room=False) == f"a bee buzzes close by, {clock}, at ear level"
    assert event_caption("a bee buzzes", event, "general", None, with_room=False) == f"a bee buzzes close by, {general}, at ear level"


def test_many_circles_are_counted():
    event = _at("e0", 0.0, 10.0, trajectory=[Keyframe(time=0.05 * (k + 1), position=Position(azimuth=(90.0 * (k + 1) + 180) % 360 - 180,
                                                                                              distance=1.2)) for k in range(20)])
    assert event_caption("a bee buzzes", event, "clock", None, with_room=False) == (
        "a bee buzzes close by, moving from 12 o'clock to 12 o'clock, circling 5.0 times counter-clockwise (to the left), at ear level")


def test_degrees_round_half_up_as_the_csv_does():
    for azimuth in np.arange(-179.5, 180.0, 1.0):
        event = _at("e0", 0.0, 0.1, azimuth=float(azimuth), elevation=float(azimuth) / 2 if abs(azimuth) < 180 else 0.0)
        row = dcase_rows(Scene(events=[event], duration=1.0), [0], [0])[0]
        caption = event_caption("a sound", event, "degrees", None, with_room=False)
        assert caption == f"a sound close by at DOA {row[3]}, elevation {row[4]}"
    assert event_caption("a sound", _at("e0", 0.0, 0.1, 70.5, 70.5), "degrees", None, with_room=False) == "a sound close by at DOA 71, elevation 71"
