"""Planners: text in, `cascade.scene.Scene` out. Chosen by name: `planners.get("rules")`."""

from __future__ import annotations

from typing import ClassVar

from cascade.errors import PlannerError
from cascade.registry import Option, Registry
from cascade.scene import Scene


class Planner:
    """What every planner has; subclasses set `name` and implement `plan`."""

    name: ClassVar[str]

    def plan(self, text: str) -> Scene:
        """A validated Scene for `text`; PlannerError when it cannot make one."""
        raise NotImplementedError


REGISTRY: Registry[Planner] = Registry("planner", PlannerError)
REGISTRY.register("rules", "planners.rules:RulePlanner", "offline rule-based parser of spatial and temporal English (default)")
REGISTRY.register("openai", "planners.llm:LLMPlanner", "any OpenAI-compatible chat server (OpenAI, vLLM, llama.cpp, Ollama)",
                  options=(Option("model", "--llm-model", "model name (env CASCADE_LLM_MODEL; default gpt-4o-mini)"),
                           Option("base_url", "--llm-base-url", "OpenAI-compatible server URL (env OPENAI_BASE_URL); the key comes from OPENAI_API_KEY"),
                           Option("fallback", "--fallback", "if the LLM fails or its scene stays invalid, use the rule planner (with a warning)",
                                  choices=("rules",)),
                           Option("timeout", "--llm-timeout", "total seconds allowed for the LLM's answer, retries included "
                                  "(env CASCADE_LLM_TIMEOUT; default 120)", type=float, metavar="SECONDS"),
                           Option("api_key", None, "API key; default OPENAI_API_KEY")),
                  extra="llm")

get = REGISTRY.get
names = REGISTRY.names

__all__ = ["REGISTRY", "Planner", "PlannerError", "get", "names"]
