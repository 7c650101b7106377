"""Temporal relations between events resolved to absolute start times (a topological order of the relations).

Both planners speak this one language, so "A, then B while C" means the same to each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Literal

from cascade.errors import TimelineError
from cascade.limits import MAX_SCENE_DURATION

RelationKind = Literal["at", "after", "with"]
AnchorPhase = Literal["start", "end"]


@dataclass(frozen=True)
class Relation:
    """When `event` starts: `at` offset s; `after` anchor ends + offset s; `with` anchor starts + offset s."""

    event: str
    kind: RelationKind
    anchor: str | None = None
    offset: float = 0.0


def starts_after(event: str, anchor: str, phase: AnchorPhase | None, offset: float = 0.0) -> Relation:
    """`event` starts `offset` s after `anchor`: after it starts ('after X starts') is `with`; after X, or after X stops, is `after`."""
    return Relation(event, "with" if phase == "start" else "after", anchor, offset)


def resolve_starts(durations: dict[str, float], relations: list[Relation]) -> dict[str, float]:
    """Absolute start (s) of every event; an event with no relation starts at 0. TimelineError for an unknown
    anchor, a cycle, a start before 0 or an event that would end after MAX_SCENE_DURATION."""
    graph: dict[str, set[str]] = {event: set() for event in durations}
    rule: dict[str, Relation] = {}
    for relation in relations:
        if relation.event not in durations:
            raise TimelineError(f"relation names unknown event '{relation.event}'")
        if relation.event in rule:
            raise TimelineError(f"event '{relation.event}' has more than one start relation")
        if relation.kind == "at":
            if relation.anchor is not None:
                raise TimelineError(f"'at' relation of '{relation.event}' takes no anchor")
        else:
            if relation.anchor not in durations:
                raise TimelineError(f"event '{relation.event}' is placed relative to unknown event '{relation.anchor}'")
            graph[relation.event].add(relation.anchor)
        rule[relation.event] = relation
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as err:
        raise TimelineError(f"timing relations form a cycle: {' -> '.join(reversed(err.args[1]))}") from None
    starts: dict[str, float] = {}
    for event in order:
        found = rule.get(event)
        if found is None:
            start = 0.0
        elif found.anchor is None:
            start = found.offset
        elif found.kind == "after":
            start = starts[found.anchor] + durations[found.anchor] + found.offset
        else:
            start = starts[found.anchor] + found.offset
        if start < 0:
            raise TimelineError(f"event '{event}' would start at {start:.3f} s, before the scene begins")
        if start + durations[event] > MAX_SCENE_DURATION:
            raise TimelineError(f"event '{event}' would last until {start + durations[event]:g} s; "
                                f"a scene ends by {MAX_SCENE_DURATION:g} s")
        starts[event] = start
    return starts
