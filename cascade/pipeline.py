"""The stage graph: plan -> generate (batched per backend) -> spatialise each event -> mix.

Stages are nodes of a networkx DAG run in topological order; each stage's wall time lands in
`RenderResult.timings` (seconds).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable

import networkx as nx
import numpy as np
from pydantic import ValidationError
from tqdm.auto import tqdm

import planners
import renderers
from cascade import generators
from cascade.audio import resample
from cascade.cache import ClipCache, clip_key
from cascade.mixer import DEFAULT_LOUDNESS, Stem, mix
from cascade.result import RenderResult
from cascade.scene import SAMPLE_RATES, Generation, RenderSettings, Scene, SceneError, describe_validation_error
from renderers.path import SourcePath

AUTO = "auto"
REVERB_TAIL_MAX = 3.0  # s of room tail kept after the last event when the scene has no fixed length


@dataclass
class RenderOptions:
    """Backend choices for one render; None keeps what the scene records (or the default)."""

    generator: str | None = None
    renderer: str | None = None
    hrtf: str | None = None
    loudness: float | None = None
    sample_rate: int | None = None
    seed: int | None = None
    generator_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    cache: ClipCache | None | bool = True
    progress: bool = False


def event_seed(scene_seed: int, event_id: str) -> int:
    """A stable per-event seed from the scene seed and the event id (independent of event order)."""
    digest = hashlib.sha256(f"{scene_seed}:{event_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def event_path(event) -> SourcePath:
    """The event's start position and keyframes as a renderer's SourcePath."""
    times, positions = event.path()
    return SourcePath.from_keys(times, [p.azimuth for p in positions], [p.elevation for p in positions],
                                [p.distance for p in positions])


def plan_scene(text: str, planner: str = "rules", **options: Any) -> Scene:
    """Text -> Scene with the named planner."""
    return planners.get(planner, **options).plan(text)


def load_input(source: Scene | str | Path, planner: str = "rules", planner_options: dict | None = None) -> Scene:
    """A Scene from a Scene, a path to a .json scene file, or a text description."""
    if isinstance(source, Scene):
        return source
    if isinstance(source, Path) or (isinstance(source, str) and source.strip().lower().endswith(".json")):
        return Scene.load(source)
    return plan_scene(source, planner, **(planner_options or {}))


def _add(a: np.ndarray | None, b: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """a + gain·b, zero-padding the shorter along the last axis."""
    if a is None:
        return gain * b
    if a.shape[-1] < b.shape[-1]:
        a, b = b * gain, a
        gain = 1.0
    out = a.copy()
    out[..., :b.shape[-1]] += gain * b
    return out


class _Run:
    """State shared by the stages of one render."""

    def __init__(self, scene: Scene, options: RenderOptions):
        self.options = options
        self.scene = scene
        self.clips: dict[str, np.ndarray] = {}
        self.generations: dict[str, Generation] = {}
        self.stems: dict[str, Stem] = {}
        self.result: RenderResult | None = None
        self.notes: list[str] = []
        self._renderer: renderers.Renderer | None = None
        cache = options.cache
        self.cache = ClipCache() if cache is True else (cache or None)

    # --- stages -------------------------------------------------------------------------------
    def resolve_settings(self) -> None:
        """Fix rate, seed and render settings: explicit options win over what the scene records."""
        o, scene = self.options, self.scene
        recorded = scene.render or RenderSettings()
        rate = o.sample_rate or scene.sample_rate
        if rate not in SAMPLE_RATES:
            raise SceneError(f"sample_rate must be one of {', '.join(map(str, SAMPLE_RATES))}, got {rate}")
        try:
            settings = RenderSettings(
                renderer=o.renderer or recorded.renderer,
                hrtf=o.hrtf if o.hrtf is not None else recorded.hrtf,
                loudness=o.loudness if o.loudness is not None else recorded.loudness,
            )
        except ValidationError as err:
            raise SceneError(describe_validation_error(err)) from None
        if settings.renderer not in renderers.names():
            raise renderers.RendererError(f"unknown renderer '{settings.renderer}'; choose one of: {', '.join(renderers.names())}")
        self.scene = scene.model_copy(update={
            "sample_rate": rate,
            "seed": o.seed if o.seed is not None else scene.seed,
            "render": settings,
        })

    def generate(self) -> None:
        """One batched call per backend for the clips the cache does not hold."""
        scene, o = self.scene, self.options
        chosen_auto: str | None = None
        groups: dict[str, list] = {}
        for event in scene.events:
            if o.generator not in (None, AUTO):
                backend, seed = o.generator, event_seed(scene.seed, event.id)
            elif event.generation is not None and o.seed is None:
                backend, seed = event.generation.backend, event.generation.seed
            else:
                if chosen_auto is None:
                    chosen_auto, reason = _choose_auto(o.generator_options)
                    self.notes.append(f"generator auto -> {chosen_auto}: {reason}")
                backend, seed = chosen_auto, event_seed(scene.seed, event.id)
            groups.setdefault(backend, []).append((event, seed))
        for backend, members in groups.items():
            generator = generators.get(backend, **o.generator_options.get(backend, {}))
            tag = f"{backend}:{getattr(generator, 'cache_tag', '')}"
            missing = []
            for event, seed in members:
                key = clip_key(tag, event.description, event.duration, seed)
                clip = self.cache.get(key) if self.cache else None
                if clip is None:
                    missing.append((event, seed, key))
                else:
                    self.clips[event.id] = clip
            if missing:
                clips = generator.generate([e.description for e, _, _ in missing], [e.duration for e, _, _ in missing],
                                           [s for _, s, _ in missing])
                for (event, _, key), clip in zip(missing, clips):
                    self.clips[event.id] = clip
                    if self.cache:
                        self.cache.put(key, clip)
            describe: Callable[..., dict] | None = getattr(generator, "detail", None)
            for event, seed in members:
                detail = describe(event.description, event.duration, seed) if describe else {}
                self.generations[event.id] = Generation(backend=backend, seed=seed, detail=detail)
                self.clips[event.id] = resample(self.clips[event.id], generator.sample_rate, scene.sample_rate)

    def renderer(self) -> renderers.Renderer:
        """The scene's binaural renderer, built once per render."""
        if self._renderer is None:
            settings = self.scene.render
            if settings.hrtf is not None and settings.renderer not in ("hrtf", "foa"):
                raise renderers.RendererError(f"an HRTF file applies to the hrtf and foa renderers, not to '{settings.renderer}'")
            options = {"sofa": settings.hrtf} if settings.renderer in ("hrtf", "foa") else {}
            self._renderer = renderers.get(settings.renderer, **options)
        return self._renderer

    def spatialise(self, event_id: str) -> None:
        """One event through the renderer (direct path, first-order reflections, late tail) and the FOA encoder."""
        from renderers import foa, room

        scene, renderer = self.scene, self.renderer()
        event = scene.event(event_id)
        rate, mono, path = scene.sample_rate, self.clips[event_id], event_path(event)
        sources = [(path, 1.0)]
        if scene.room is not None:
            sources += room.image_paths(scene.room.dimensions, scene.room.rt60, path)
        binaural = ambix = None
        for source_path, gain in sources:
            binaural = _add(binaural, renderer.render(mono, rate, source_path), gain)
            ambix = _add(ambix, foa.encode(mono, rate, source_path, reference_distance=renderer.reference_distance), gain)
        if scene.room is not None:
            tail_binaural, tail_foa = room.late_reverb(mono, rate, scene.room.dimensions, scene.room.rt60,
                                                       self.generations[event_id].seed, renderer.reference_distance,
                                                       getattr(renderer, "hrirs", None))
            binaural, ambix = _add(binaural, tail_binaural), _add(ambix, tail_foa)
        self.stems[event_id] = Stem(event_id, event.start, binaural.astype(np.float32), ambix.astype(np.float32), event.gain_db)

    def mix(self) -> None:
        scene = self.scene
        rate = scene.sample_rate
        stems = [self.stems[e.id] for e in scene.events]
        if scene.duration is not None:
            length = int(round(scene.duration * rate))
        else:
            ends = [int(round(s.start * rate)) + s.binaural.shape[-1] for s in stems]
            limit = int(round((scene.end + (REVERB_TAIL_MAX if scene.room else 0.5)) * rate))
            length = min(max(ends), limit)
        binaural, ambix, report = mix(stems, rate, length, scene.render.loudness if scene.render else DEFAULT_LOUDNESS)
        resolved = scene.model_copy(update={"events": [
            e.model_copy(update={"generation": self.generations[e.id]}) for e in scene.events]})
        self.scene = Scene.model_validate(resolved.model_dump())
        self.notes.append(f"mix: {report.describe()}")
        self.result = RenderResult(binaural, ambix, rate, self.scene, stems=stems, mix_report=report, notes=self.notes)


def _choose_auto(generator_options: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """The generator `auto` stands for, and why: TangoFlux when its weights are on this machine, else procedural."""
    from cascade.generators.auto import choose

    return choose(tangoflux_path=generator_options.get("tangoflux", {}).get("path"))


def render(scene: Scene, options: RenderOptions | None = None, plan_seconds: float | None = None) -> RenderResult:
    """Run the stage graph over a validated scene."""
    run = _Run(scene, options or RenderOptions())
    graph = nx.DiGraph()
    graph.add_node("resolve", stage="resolve", run=run.resolve_settings)
    graph.add_node("generate", stage="generate", run=run.generate)
    graph.add_node("mix", stage="mix", run=run.mix)
    graph.add_edge("resolve", "generate")
    for event in scene.events:
        node = f"spatialise:{event.id}"
        graph.add_node(node, stage="spatialise", run=partial(run.spatialise, event.id))
        graph.add_edges_from([("generate", node), (node, "mix")])
    timings: dict[str, float] = {} if plan_seconds is None else {"plan": plan_seconds}
    order = list(nx.topological_sort(graph))
    bar = tqdm(order, desc="render", unit="stage", disable=not run.options.progress, leave=False)
    for node in bar:
        bar.set_postfix_str(node)
        began = time.perf_counter()
        graph.nodes[node]["run"]()
        stage = graph.nodes[node]["stage"]
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - began
    assert run.result is not None
    run.result.timings = timings
    return run.result


def render_scene(source: Scene | str | Path, *, seed: int | None = None, planner: str = "rules", generator: str | None = None,
                 renderer: str | None = None, sample_rate: int | None = None, hrtf: str | None = None,
                 loudness: float | None = None, planner_options: dict | None = None,
                 generator_options: dict[str, dict[str, Any]] | None = None, cache: ClipCache | None | bool = True,
                 progress: bool = False) -> RenderResult:
    """Text, a scene file path or a Scene -> binaural + AmbiX audio of the resolved scene.

    `generator` None or "auto" keeps recorded backends and picks TangoFlux when installed, else
    procedural; `renderer` None keeps the scene's (default hrtf); `hrtf` is a SOFA path.
    """
    began = time.perf_counter()
    scene = load_input(source, planner, planner_options)
    plan_seconds = time.perf_counter() - began if not isinstance(source, (Scene, Path)) else None
    options = RenderOptions(generator=generator, renderer=renderer, hrtf=hrtf, loudness=loudness, sample_rate=sample_rate,
                            seed=seed, generator_options=generator_options or {}, cache=cache, progress=progress)
    return render(scene, options, plan_seconds)
