"""The pipeline object: plan -> generate (one batch per backend) -> spatialise (events in parallel) -> mix.

`Cascade` keeps what is expensive to build between calls: planners, generators (model weights),
renderers (HRIR sets, networks) and the spatial stems of recent events, so rendering an edited scene
recomputes only the events that changed. `render_scene` is the one-shot shortcut over it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

import planners
import renderers
from cascade import budget, generators, progress
from cascade.audio import resample
from cascade.cache import ClipCache, clip_key
from cascade.errors import GeneratorError, OptionError, SceneError
from cascade.generators import Generator, auto, clip_length
from cascade.limits import DEFAULT_LOUDNESS, SAMPLE_RATES
from cascade.mixer import Stem, level_clip, mix
from cascade.result import RenderResult
from cascade.scene import Generation, Mix, RenderSettings, Scene, SoundEvent, describe_validation_error
from cascade.seeds import MAX_SEED, event_seed
from planners import Planner
from renderers import Renderer
from renderers.ambience import diffuse_bed
from renderers.path import SourcePath
from renderers.room import Shoebox
from renderers.spatialise import spatialise

AUTO = "auto"
MIX_MODES = ("designed", "physical")
REVERB_TAIL_MAX = 3.0  # s of room tail kept after the last event when the scene has no fixed length
DRY_TAIL = 0.5  # s kept after the last event without a room
STEM_MEMO = 64  # spatial stems kept in memory for re-renders of edited scenes
LONG_RENDER = 10.0  # s: a render estimated to take longer says so first

log = logging.getLogger("cascade")


def event_path(event: SoundEvent) -> SourcePath:
    """The event's start position and keyframes as a renderer's SourcePath."""
    times, positions = event.path()
    return SourcePath.from_keys(times, [p.azimuth for p in positions], [p.elevation for p in positions],
                                [p.distance for p in positions])


@dataclass(frozen=True)
class _Job:
    """One event's clip: who makes it, with which seed, and where the cache keeps it."""

    event: SoundEvent
    backend: str
    seed: int


def _check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < MAX_SEED:
        raise SceneError(f"seed must be an integer in [0, 2**63), got {seed!r}")
    return int(seed)


def _check_options(name: str, options: Any) -> dict[str, dict[str, Any]]:
    if options is None:
        return {}
    if not isinstance(options, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in options.items()):
        raise OptionError(f"{name} must map a backend name to a dict of its options, e.g. {{'tangoflux': {{'steps': 25}}}}; got {options!r}")
    return options


class Cascade:
    """A text-to-spatial-audio pipeline that keeps its models loaded between calls.

        pipe = cascade.Cascade(generator="tangoflux", renderer="nfs")   # nothing is loaded yet
        for text in texts:
            pipe(text, seed=0).save_all(...)                             # loads once, on first use

    `generator` None keeps each scene's recorded backends and uses `auto` for the rest; `renderer`,
    `hrtf` (SOFA path), `sample_rate` (Hz), `loudness` (LUFS) and `mix` ("designed" or "physical", see
    `cascade.scene.Mix`) None keep what a scene records (or the default). `*_options` map a backend name to
    its options; `cache` is True (the default clip folder), False/None (no cache) or a ClipCache; `workers` spatialises that many events at once (default: CPUs);
    a scene whose estimated memory exceeds `max_memory_gb` (default $CASCADE_MAX_MEMORY_GB or 4) is refused.
    Progress of long stages is shown as `cascade.progress.configure` says (off by default in the API).
    """

    def __init__(self, *, planner: str = "rules", generator: str | None = None, renderer: str | None = None,
                 hrtf: str | Path | None = None, hrtf_eq: str | None = None, sample_rate: int | None = None, loudness: float | None = None,
                 planner_options: dict[str, Any] | None = None, generator_options: dict[str, dict[str, Any]] | None = None,
                 renderer_options: dict[str, dict[str, Any]] | None = None, cache: ClipCache | bool | None = True,
                 workers: int | None = None, max_memory_gb: float | None = None, mix: str | None = None) -> None:
        planners.REGISTRY.entry(planner)
        if mix is not None and mix not in MIX_MODES:
            raise OptionError(f"mix must be one of {', '.join(MIX_MODES)}, got {mix!r}")
        if generator is not None:
            generators.REGISTRY.entry(generator)
        if renderer is not None:
            renderers.REGISTRY.entry(renderer)
        if sample_rate is not None and sample_rate not in SAMPLE_RATES:
            raise OptionError(f"sample_rate must be one of {', '.join(map(str, SAMPLE_RATES))}, got {sample_rate!r}")
        if cache is not None and not isinstance(cache, (bool, ClipCache)):
            raise OptionError(f"cache must be True, False, None or a ClipCache, got {cache!r}")
        if planner_options is not None and not isinstance(planner_options, dict):
            raise OptionError(f"planner_options must be a dict of the planner's options, got {planner_options!r}")
        if workers is not None and (not isinstance(workers, int) or workers < 1):
            raise OptionError(f"workers must be a positive integer, got {workers!r}")
        self.planner_name, self.generator_name, self.renderer_name = planner, generator, renderer
        self.hrtf = None if hrtf is None else str(Path(hrtf).expanduser().resolve())
        self.hrtf_eq, self.sample_rate, self.loudness, self.mix = hrtf_eq, sample_rate, loudness, mix
        self.planner_options = dict(planner_options or {})
        self.generator_options = _check_options("generator_options", generator_options)
        self.renderer_options = _check_options("renderer_options", renderer_options)
        self.cache = ClipCache() if cache is True else (cache or None)
        self.workers = workers or min(8, os.cpu_count() or 1)
        self.memory_budget = budget.memory_budget(max_memory_gb)
        self.loads: Counter[str] = Counter()  # models built, by "kind:name": one per backend however many calls
        self._planner: Planner | None = None
        self._auto: str | None = None  # what `auto` stands for on this machine, once asked
        self._generators: dict[tuple[str, int], Generator] = {}
        self._renderers: dict[tuple[str, str | None, str], Renderer] = {}
        self._stems: OrderedDict[str, Stem] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ public
    def plan(self, text: str) -> Scene:
        """Text -> Scene with this pipeline's planner."""
        if self._planner is None:
            self._planner = planners.get(self.planner_name, **self.planner_options)
            self.loads[f"planner:{self.planner_name}"] += 1
        return self._planner.plan(text)

    def __call__(self, source: Scene | str | Path, *, seed: int | None = None) -> RenderResult:
        """Render a Scene, a scene file path (.json) or a text; `seed` replaces the scene seed (new clips)."""
        return self.render(source, seed=seed)

    def render(self, source: Scene | str | Path, *, seed: int | None = None) -> RenderResult:
        """See `__call__`."""
        timings: dict[str, float] = {}
        began = time.perf_counter()
        scene = self.load(source)
        if isinstance(source, str) and not _is_scene_path(source):
            timings["plan"] = time.perf_counter() - began
        scene = self.resolve(scene, seed)
        cost = budget.check(scene, REVERB_TAIL_MAX if scene.room else DRY_TAIL, self.memory_budget)
        if cost.seconds > LONG_RENDER:
            log.info(f"{len(scene.events)} events, {scene.end:.0f} s of audio: {cost.describe()} (estimated)")
        notes: list[str] = []
        began = time.perf_counter()
        clips, resolved = self._generate(scene, _check_seed(seed), notes)
        timings["generate"] = time.perf_counter() - began
        began = time.perf_counter()
        stems = self._spatialise(resolved, clips)
        timings["spatialise"] = time.perf_counter() - began
        began = time.perf_counter()
        result = self._mix(resolved, stems, notes)
        timings["mix"] = time.perf_counter() - began
        result.timings = timings
        result.clips = clips
        return result

    def load(self, source: Scene | dict | str | Path) -> Scene:
        """A Scene from a Scene, a scene as a dict, a path to a .json scene file, or a text description (planned)."""
        if isinstance(source, Scene):
            return source
        if isinstance(source, dict):
            return Scene.from_dict(source)
        if isinstance(source, Path) or _is_scene_path(source):
            return Scene.load(source)
        if not isinstance(source, str):
            raise SceneError(f"render takes a Scene, a dict, a scene file path or a text description, got {type(source).__name__}")
        return self.plan(source)

    # ------------------------------------------------------------------ stages
    def resolve(self, scene: Scene, seed: int | None = None) -> Scene:
        """Fix rate, seed (`seed` replaces the scene's) and render settings: this pipeline's settings win over what the scene records."""
        seed = _check_seed(seed)
        recorded = scene.render or RenderSettings()
        try:
            settings = RenderSettings(
                renderer=self.renderer_name or recorded.renderer,
                hrtf=self.hrtf if self.hrtf is not None else recorded.hrtf,
                hrtf_eq=self.hrtf_eq or recorded.hrtf_eq,
                loudness=self.loudness if self.loudness is not None else recorded.loudness,
            )
        except ValidationError as err:
            raise SceneError(describe_validation_error(err)) from None
        entry = renderers.REGISTRY.entry(settings.renderer)
        if settings.hrtf is not None and not entry.takes("sofa"):
            raise renderers.RendererError(f"an HRTF file applies to the renderers that take one "
                                          f"({', '.join(e.name for e in renderers.REGISTRY if e.takes('sofa'))}), "
                                          f"not to '{settings.renderer}'")
        levels = scene.mix or Mix()
        if self.mix is not None:
            levels = levels.model_copy(update={"mode": self.mix})
        return scene.model_copy(update={"sample_rate": self.sample_rate or scene.sample_rate,
                                        "seed": seed if seed is not None else scene.seed, "render": settings, "mix": levels})

    def _jobs(self, scene: Scene, seed: int | None) -> list[_Job]:
        """Backend and seed (`event_seeds`) per event."""
        jobs = []
        seeds = event_seeds(scene, seed)
        for event in scene.events:
            recorded = event.generation
            clip_seed = seeds[event.id]
            if self.generator_name not in (None, AUTO):
                backend = self.generator_name
            elif recorded is not None:
                backend = recorded.backend
            else:
                backend = AUTO
            if backend == AUTO and self._auto_backend() == "procedural" and auto.speech_prompt(event.description):
                backend = "speech"
            jobs.append(_Job(event, backend, clip_seed))
        return jobs

    def _auto_backend(self) -> str:
        """The generator `auto` chooses on this machine (see `cascade.generators.auto.choose`)."""
        if self._auto is None:
            options = dict(self.generator_options.get("tangoflux", {}), **self.generator_options.get(AUTO, {}))
            self._auto = auto.choose(options.get("path"))[0]
        return self._auto

    def generator(self, backend: str, sample_rate: int, recorded_folder: str | None = None) -> Generator:
        """The generator `backend` built once (per delivery rate where it delivers at any rate)."""
        entry = generators.REGISTRY.entry(backend)
        options = dict(self.generator_options.get(backend, {}))
        if backend == AUTO:
            options = dict(self.generator_options.get("tangoflux", {}), **options)
        if entry.takes("folder") and "folder" not in options:
            if recorded_folder is None:
                raise GeneratorError(f"this scene's clips come from the '{backend}' generator; pass --library FOLDER "
                                     "(or choose another with --generator)")
            options["folder"] = recorded_folder
        rate = sample_rate if entry.takes("sample_rate") else 0
        if rate:
            options["sample_rate"] = rate
        key = (backend + json.dumps(options, sort_keys=True, default=str), rate)
        if key not in self._generators:
            self._generators[key] = generators.get(backend, **options)
            self.loads[f"generator:{backend}"] += 1
        return self._generators[key]

    def _generate(self, scene: Scene, seed: int | None, notes: list[str]) -> tuple[dict[str, np.ndarray], Scene]:
        """Mono clips at the scene's rate by event id, and the scene with each event's generation recorded."""
        rate = scene.sample_rate
        groups: dict[str, list[_Job]] = {}
        for job in self._jobs(scene, seed):
            groups.setdefault(job.backend, []).append(job)
        clips: dict[str, np.ndarray] = {}
        generations: dict[str, Generation] = {}
        cached = 0
        for backend, jobs in groups.items():
            folders = {str(j.event.generation.detail.get("folder")) for j in jobs
                       if j.event.generation is not None and "folder" in j.event.generation.detail}
            generator = self.generator(backend, rate, min(folders) if folders else None)
            if generator.note and generator.note not in notes:
                notes.append(generator.note)
            tag = f"{generator.backend}:{generator.cache_tag}"
            missing = []
            for job in jobs:
                key = clip_key(tag, job.event.description, job.event.duration, job.seed)
                expected = clip_length(job.event.duration, generator.sample_rate)
                clip = self.cache.get(key, expected) if self.cache else None
                if clip is None:
                    missing.append((job, key))
                else:
                    clips[job.event.id] = clip
                    cached += 1
            if missing:
                with progress.task(f"generate ({generator.backend})", total=len(missing), unit="clip") as bar:
                    made = generator.generate([j.event.description for j, _ in missing], [j.event.duration for j, _ in missing],
                                              [j.seed for j, _ in missing])
                    bar.update(len(made))
                for (job, key), clip in zip(missing, made):
                    clips[job.event.id] = clip
                    if self.cache:
                        self.cache.put(key, clip)
            for job in jobs:
                detail = generator.detail(job.event.description, job.event.duration, job.seed)
                generations[job.event.id] = Generation(backend=generator.backend, seed=job.seed, detail=detail)
                clips[job.event.id] = resample(clips[job.event.id], generator.sample_rate, rate)
        if self.cache:
            notes.append(f"clips: {cached} from the cache ({self.cache.folder}), {len(scene.events) - cached} generated")
        events = [e.model_copy(update={"generation": generations[e.id]}) for e in scene.events]
        return clips, Scene.model_validate(scene.model_copy(update={"events": events}).model_dump())

    def renderer(self, name: str, hrtf: str | None = None, hrtf_eq: str = "diffuse") -> Renderer:
        """The renderer `name` (with the SOFA file `hrtf` and its equalisation where it takes them), built once."""
        key = (name, hrtf, hrtf_eq)
        if key not in self._renderers:
            options = dict(self.renderer_options.get(name, {}))
            if hrtf is not None:
                options["sofa"] = hrtf
            if renderers.REGISTRY.entry(name).takes("equalisation"):
                options["equalisation"] = hrtf_eq
            self._renderers[key] = renderers.get(name, **options)
            self.loads[f"renderer:{name}"] += 1
        return self._renderers[key]

    def _spatialise(self, scene: Scene, clips: dict[str, np.ndarray]) -> list[Stem]:
        """One stem per event, computed in parallel threads; stems of unchanged events come from memory."""
        settings = scene.render
        assert settings is not None
        renderer = self.renderer(settings.renderer, settings.hrtf, settings.hrtf_eq)
        room = scene.room
        shoebox = (Shoebox.build(room.dimensions, room.rt60, room.surface_materials(), room.listener_position())
                   if room is not None else None)
        context = json.dumps([settings.renderer, settings.hrtf, settings.hrtf_eq, scene.sample_rate, room.model_dump() if room else None])
        levels = scene.mix or Mix()

        def one(event: SoundEvent) -> Stem:
            path = event_path(event)
            clip = level_clip(clips[event.id], scene.sample_rate, event, levels, path, renderer.reference_distance)
            key = hashlib.sha256((context + event.model_dump_json(exclude={"loudness"}) + hashlib.sha256(clip.tobytes()).hexdigest()).encode()).hexdigest()
            with self._lock:
                stem = self._stems.get(key)
            if stem is None:
                assert event.generation is not None
                if event.diffuse:
                    binaural, ambix = diffuse_bed(clip, scene.sample_rate, renderer, event.position.distance, event.generation.seed)
                else:
                    binaural, ambix = spatialise(clip, scene.sample_rate, path, renderer, shoebox, event.generation.seed)
                stem = Stem(event.id, event.start, binaural, ambix, event.gain_db)
            with self._lock:
                self._stems[key] = stem
                self._stems.move_to_end(key)
                while len(self._stems) > STEM_MEMO:
                    self._stems.popitem(last=False)
            return stem

        with progress.task("spatialise", total=len(scene.events), unit="event") as bar, \
                ThreadPoolExecutor(max_workers=min(self.workers, len(scene.events))) as pool:
            stems = []
            for stem in pool.map(one, scene.events):
                stems.append(stem)
                bar.update()
        return stems

    def _mix(self, scene: Scene, stems: list[Stem], notes: list[str]) -> RenderResult:
        rate = scene.sample_rate
        if scene.duration is not None:
            length = int(round(scene.duration * rate))
        else:
            ends = [int(round(s.start * rate)) + s.binaural.shape[-1] for s in stems]
            limit = int(round((scene.end + (REVERB_TAIL_MAX if scene.room else DRY_TAIL)) * rate))
            length = min(max(ends), limit)
        binaural, ambix, report = mix(stems, rate, length, scene.render.loudness if scene.render else DEFAULT_LOUDNESS)
        notes.append(f"mix: {report.describe()}")
        events = [e.model_copy(update={"loudness": round(report.events[e.id], 2) if np.isfinite(report.events[e.id]) else None})
                  for e in scene.events]
        return RenderResult(binaural, ambix, rate, scene.model_copy(update={"events": events}), stems=stems, mix_report=report, notes=notes)


def event_seeds(scene: Scene, seed: int | None) -> dict[str, int]:
    """Each event's clip seed: its own, else (when no new `seed` was given) the one it records, else one derived from
    the (resolved) scene seed and its id."""
    seeds = {}
    for event in scene.events:
        if event.seed is not None:
            seeds[event.id] = event.seed
        elif seed is None and event.generation is not None:
            seeds[event.id] = event.generation.seed
        else:
            seeds[event.id] = event_seed(scene.seed, event.id)
    return seeds


def _is_scene_path(source: object) -> bool:
    return isinstance(source, str) and source.strip().lower().endswith(".json")


def plan_scene(text: str, planner: str = "rules", **options: Any) -> Scene:
    """Text -> Scene with the named planner."""
    if not isinstance(text, str):
        raise planners.PlannerError(f"the scene description must be text, got {type(text).__name__}")
    return Cascade(planner=planner, planner_options=options).plan(text)


PIPELINES = ("cascade", "end_to_end")


def render_scene(source: Scene | str | Path, *, seed: int | None = None, planner: str = "rules", pipeline: str = "cascade",
                 e2e_mode: str = "parametric", **options: Any) -> RenderResult:
    """Text, a scene file path or a Scene -> binaural + AmbiX audio of the resolved scene.

    `pipeline` "cascade" (see `Cascade` for the options) or "end_to_end": the latent diffusion model that generates
    FOA directly, conditioned per `e2e_mode` ("parametric" or "descriptive"; see `cascade.end_to_end.EndToEnd`)."""
    if pipeline == "end_to_end":
        import inspect

        from cascade.end_to_end.pipeline import EndToEnd

        accepted = set(inspect.signature(EndToEnd).parameters)
        foreign = sorted(set(options) - accepted)
        if foreign:
            raise OptionError(f"{', '.join(foreign)} {'does' if len(foreign) == 1 else 'do'} not apply to the end-to-end pipeline; "
                              f"it takes {', '.join(sorted(accepted - {'mode', 'planner'}))}")
        return EndToEnd(mode=e2e_mode, planner=planner, **options)(source, seed=seed)
    if pipeline != "cascade":
        raise OptionError(f"pipeline must be one of {', '.join(PIPELINES)}, got {pipeline!r}")
    return Cascade(planner=planner, **options)(source, seed=seed)
