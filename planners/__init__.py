"""Planners: text in, `cascade.scene.Scene` out. Chosen by name: `planners.get("rules")`."""

from __future__ import annotations

from importlib import import_module
from typing import Protocol

from cascade.errors import PlannerError
from cascade.scene import Scene


class Planner(Protocol):
    name: str

    def plan(self, text: str) -> Scene: ...


_REGISTRY = {
    "rules": ("planners.rules", "RulePlanner"),
    "openai": ("planners.llm", "LLMPlanner"),
}


def names() -> list[str]:
    return list(_REGISTRY)


def get(name: str, **options) -> Planner:
    """The planner registered as `name`, built with `options`."""
    if name not in _REGISTRY:
        raise PlannerError(f"unknown planner '{name}'; choose one of: {', '.join(_REGISTRY)}")
    module, cls = _REGISTRY[name]
    return getattr(import_module(module), cls)(**options)
