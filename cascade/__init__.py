"""Text or a JSON scene in, binaural and first-order ambisonics (AmbiX) audio out.

    import cascade
    scene = cascade.plan_scene("a dog barks behind, then a bird on the right")
    result = cascade.render_scene(scene, seed=0)
    result.save("scene.wav")               # binaural; format="foa" for the AmbiX file
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cascade.errors import BudgetError, CascadeError, GeneratorError, OptionError, OutputError, PlannerError, RendererError, SceneError
from cascade.scene import Keyframe, Position, Room, Scene, SoundEvent

if TYPE_CHECKING:
    from cascade.end_to_end.pipeline import EndToEnd
    from cascade.pipeline import Cascade
    from cascade.result import RenderResult

__all__ = ["BudgetError", "Cascade", "CascadeError", "EndToEnd", "GeneratorError", "Keyframe", "OptionError", "OutputError", "PlannerError", "Position", "RenderResult", "RendererError", "Room", "Scene", "SceneError", "SoundEvent", "plan_scene", "render_scene"]


def plan_scene(text: str, planner: str = "rules", **options: Any) -> Scene:
    """Plan a Scene from text with the named planner ("rules" offline, "openai" for any OpenAI-compatible API)."""
    from cascade.pipeline import plan_scene as plan

    return plan(text, planner, **options)


def render_scene(source: Scene | str, **options: Any) -> RenderResult:
    """Render a Scene, a scene file path or a text in one call; `cascade.Cascade` keeps models loaded for many.
    `pipeline="end_to_end"` (with `e2e_mode="parametric"` or `"descriptive"`) renders with the end-to-end model instead."""
    from cascade.pipeline import render_scene as render

    return render(source, **options)


def __getattr__(name: str) -> Any:
    if name == "RenderResult":
        from cascade.result import RenderResult

        return RenderResult
    if name == "Cascade":
        from cascade.pipeline import Cascade

        return Cascade
    if name == "EndToEnd":
        from cascade.end_to_end.pipeline import EndToEnd

        return EndToEnd
    raise AttributeError(f"module 'cascade' has no attribute {name!r}")
