"""One table of sound classes: each class's words find it, its model exists, and every stage reads the same priors."""

from __future__ import annotations

import pytest

import cascade
from cascade.generators.procedural import match_class
from cascade.generators.sounds import SOUNDS
from cascade.taxonomy import CLASSES, TEXTURE, classify, sound_class
from planners.llm_prompt import system_prompt


@pytest.mark.parametrize("sound", CLASSES, ids=lambda c: c.name)
def test_each_class_is_found_by_its_own_prompt_and_has_a_model(sound):
    assert classify(sound.prompt) == sound.name
    assert sound.synth in SOUNDS and match_class(sound.prompt) == sound.synth


def test_every_signal_model_serves_a_class():
    assert set(SOUNDS) == {c.synth for c in CLASSES} | {TEXTURE}


@pytest.mark.parametrize("text, expected", [
    ("geese honk overhead", "bird"), ("a car horn honks", "horn"), ("a scooter buzzes past", "car"), ("a bee buzzes", "insect"),
    ("people clapping", "applause"), ("two people talking", "crowd"), ("a door slams", "knock"), ("a door creaks open", "door"),
    ("the phone rings", "phone"), ("a bicycle bell rings", "bicycle"), ("a church bell tolls", "bell"), ("wind chimes", "chimes"),
    ("at 3 o'clock a dog barks", "dog"), ("water running", "stream"), ("drives off", None), ("a catalogue", None),
])
def test_weighted_words_pick_the_specific_class(text, expected):
    assert classify(text) == expected


@pytest.mark.parametrize("sound", [c for c in CLASSES if not c.ambient][:12], ids=lambda c: c.name)
def test_the_rule_planner_and_the_llm_prompt_use_the_table(sound):
    event = cascade.plan_scene(sound.prompt).events[0]
    assert event.position.elevation == sound.elevation and event.position.distance == sound.distance
    assert event.duration == sound.duration
    assert f"- {sound.name} ({sound.prompt}): elevation {sound.elevation:g}, distance {sound.distance:g} m, {sound.duration:g} s" in system_prompt()


def test_an_unknown_sound_gets_the_default_prior():
    assert sound_class(None).distance == 2.0 and sound_class("nothing").elevation == 0.0
