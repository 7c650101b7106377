"""Temporal relations -> absolute starts: chains, 'with', 'at', offsets, and the errors."""

import pytest

from planners.llm_prompt import SYSTEM_PROMPT
from planners.timeline import Relation, TimelineError, resolve_starts, starts_after


def test_after_chain_adds_durations():
    starts = resolve_starts({"a": 2.0, "b": 3.0, "c": 1.0}, [Relation("b", "after", "a"), Relation("c", "after", "b")])
    assert starts == {"a": 0.0, "b": 2.0, "c": 5.0}


def test_with_starts_together_and_offset_shifts_from_the_anchor_start():
    starts = resolve_starts({"a": 4.0, "b": 1.0, "c": 1.0}, [Relation("b", "with", "a"), Relation("c", "with", "a", 1.5)])
    assert starts["b"] == 0.0 and starts["c"] == 1.5


def test_after_with_offset_leaves_a_gap():
    starts = resolve_starts({"a": 2.0, "b": 1.0}, [Relation("b", "after", "a", 3.0)])
    assert starts["b"] == 5.0


def test_at_is_absolute_and_anchors_the_rest():
    starts = resolve_starts({"a": 2.0, "b": 1.0}, [Relation("a", "at", None, 4.0), Relation("b", "after", "a")])
    assert starts == {"a": 4.0, "b": 6.0}


def test_then_while_chain():
    # "A, then B while C": B after A, C with B
    starts = resolve_starts({"A": 2.0, "B": 3.0, "C": 5.0}, [Relation("B", "after", "A"), Relation("C", "with", "B")])
    assert starts == {"A": 0.0, "B": 2.0, "C": 2.0}


def test_relations_listed_out_of_order_still_resolve():
    starts = resolve_starts({"a": 1.0, "b": 1.0, "c": 1.0}, [Relation("c", "after", "b"), Relation("b", "after", "a")])
    assert starts["c"] == 2.0


def test_unknown_anchor_is_named():
    with pytest.raises(TimelineError, match="unknown event 'ghost'"):
        resolve_starts({"a": 1.0}, [Relation("a", "after", "ghost")])


def test_unknown_event_is_named():
    with pytest.raises(TimelineError, match="unknown event 'b'"):
        resolve_starts({"a": 1.0}, [Relation("b", "at", None, 1.0)])


def test_cycle_is_refused():
    with pytest.raises(TimelineError, match="cycle"):
        resolve_starts({"a": 1.0, "b": 1.0}, [Relation("a", "after", "b"), Relation("b", "after", "a")])


def test_two_relations_for_one_event_are_refused():
    with pytest.raises(TimelineError, match="more than one"):
        resolve_starts({"a": 1.0, "b": 1.0}, [Relation("b", "after", "a"), Relation("b", "at", None, 2.0)])


def test_at_with_anchor_is_refused():
    with pytest.raises(TimelineError, match="takes no anchor"):
        resolve_starts({"a": 1.0, "b": 1.0}, [Relation("b", "at", "a", 2.0)])


def test_negative_start_is_refused():
    with pytest.raises(TimelineError, match="before the scene begins"):
        resolve_starts({"a": 1.0, "b": 1.0}, [Relation("b", "with", "a", -2.0)])


def test_after_x_starts_counts_from_its_start_and_after_x_from_its_end():
    # the kettle whistles 0-4 s; the dog barks 2 s after it starts (2 s), or 2 s after it (6 s), or after it stops (6 s)
    for phase, dog in (("start", 2.0), (None, 6.0), ("end", 6.0)):
        starts = resolve_starts({"kettle": 4.0, "dog": 1.0}, [starts_after("dog", "kettle", phase, 2.0)])
        assert starts == {"kettle": 0.0, "dog": dog}


def test_the_llm_prompt_states_the_same_rule():
    assert starts_after("b", "a", "start", 2.0) == Relation("b", "with", "a", 2.0)
    assert starts_after("b", "a", "end") == starts_after("b", "a", None) == Relation("b", "after", "a", 0.0)
    assert '"B N seconds after A starts" -> B has kind "with", anchor A, offset N' in SYSTEM_PROMPT
    assert '"B after A", "B after A stops" and "B N seconds after A" -> B has kind "after", anchor A' in SYSTEM_PROMPT
