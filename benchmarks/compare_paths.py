"""The paths the comparison renders every held-out scene through, and what each costs.

    truth               the scene's own clips (the cascade's generators, the recorded seeds) encoded exactly into AmbiX
                        (renderers.foa.encode, with the same room's images and tail), and rendered to binaural through a
                        measured head none of the paths uses (AXD head 2): Cascade(renderer="hrtf", hrtf=AXD head 2).
                        The measurement floor of every metric.
    cascade-<renderer>  cascade.Cascade(renderer=<renderer>): the same clips, spatialised and mixed. Its AmbiX is the
                        same exact encoding whatever the renderer; the renderer changes only the binaural.
    e2e-<mode>          cascade.end_to_end.EndToEnd(<mode>): the latent DiT generates every event's FOA from its
                        conditions (its own sound, not the clip), decoded to binaural through MIT KEMAR.

Costs per path: seconds to start (load models and render one 0.5 s scene), the mean seconds per scene of each stage
the pipeline reports (cascade: generate, spatialise, mix; end-to-end: generate, binaural, mix), the peak resident
memory while the path ran (MB, the process's high-water mark reset before the path) and its growth over the
memory before the path started, and the number of learned parameters (the text encoder's included).
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from benchmarks.renderer_fidelity import axd_sofa
from cascade import Cascade
from cascade.result import RenderResult
from cascade.scene import Generation, Position, Scene, SoundEvent

TRUTH = "truth"
CASCADE_PREFIX = "cascade-"
E2E_PREFIX = "e2e-"
PROC_STATUS = Path("/proc/self/status")
WARM_UP = Scene(events=[SoundEvent(id="warm-up", description="a bell rings", duration=0.5, position=Position(azimuth=30.0),
                                   generation=Generation(backend="procedural", seed=0))], sample_rate=16000, seed=0)


@dataclass
class Rendered:
    """One scene through one path: the mix, and each event's own AmbiX placed on the scene's timeline (unscaled)."""

    foa: np.ndarray
    binaural: np.ndarray
    stems: dict[str, np.ndarray]
    timings: dict[str, float]


def path_names(renderers: list[str], modes: list[str]) -> list[str]:
    """truth, then the cascade with each renderer, then the end-to-end model in each mode."""
    return [TRUTH] + [CASCADE_PREFIX + r for r in renderers] + [E2E_PREFIX + m for m in modes]


def pipeline(name: str, checkpoint_dir: Path | None) -> Callable[[Scene], RenderResult]:
    """The pipeline object of path `name` (nothing loaded yet)."""
    if name == TRUTH:
        return Cascade(renderer="hrtf", hrtf=axd_sofa(2), cache=False, workers=1, mix="physical")
    if name.startswith(CASCADE_PREFIX):
        return Cascade(renderer=name.removeprefix(CASCADE_PREFIX), cache=False, workers=1, mix="physical")
    from cascade.end_to_end.pipeline import EndToEnd

    return EndToEnd(name.removeprefix(E2E_PREFIX), checkpoint_dir)


def _placed(result: RenderResult) -> dict[str, np.ndarray]:
    n, rate = result.foa.shape[-1], result.sample_rate
    stems = {}
    for stem in result.stems:
        buffer = np.zeros((4, n), np.float32)
        at = int(round(stem.start * rate))
        take = max(0, min(stem.foa.shape[-1], n - at))
        buffer[:, at : at + take] = stem.foa[:, :take]
        stems[stem.event_id] = buffer
    return stems


def render(pipe: Callable[[Scene], RenderResult], scene: Scene) -> Rendered:
    """`scene` through `pipe`, with its stems placed."""
    result = pipe(scene)
    return Rendered(result.foa, result.binaural, _placed(result), dict(result.timings))


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


@lru_cache(maxsize=1)
def _text_encoder_parameters() -> int:
    from cascade.end_to_end.conditioning import TextEncoder

    return _count(TextEncoder().model)


def parameters(pipe: Callable[[Scene], RenderResult]) -> int:
    """Learned parameters the path runs: a neural renderer's network, or the end-to-end codec, DiT and text encoder."""
    if isinstance(pipe, Cascade):
        assert pipe.renderer_name is not None
        renderer = pipe.renderer(pipe.renderer_name, pipe.hrtf, "diffuse")
        model = getattr(renderer, "model", None)
        return _count(model) if model is not None else 0
    from cascade.end_to_end.pipeline import EndToEnd

    assert isinstance(pipe, EndToEnd)
    codec, model, _ = pipe.load()
    return _count(codec) + _count(model) + _text_encoder_parameters()


def _status_mb(field: str) -> float:
    """A memory figure of /proc/self/status in MB (NaN where the system has none)."""
    try:
        for line in PROC_STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def reset_peak_memory() -> None:
    """Reset the process's resident-memory high-water mark (Linux); elsewhere a no-op."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class Meter:
    """Times and memory of one path: made before loading it, `started()` once loaded, `scene(timings)` per scene,
    `report()` after the last."""

    def __init__(self) -> None:
        gc.collect()
        self.before_mb = _status_mb("VmRSS")
        reset_peak_memory()
        self.began = time.perf_counter()
        self.startup_s = float("nan")
        self.stages: dict[str, list[float]] = {}

    def started(self) -> None:
        self.startup_s = time.perf_counter() - self.began

    def scene(self, timings: dict[str, float]) -> None:
        for stage, seconds in timings.items():
            self.stages.setdefault(stage, []).append(seconds)

    def report(self) -> dict:
        """Start-up s, mean s per scene by stage and in all, peak memory (MB) and its growth over the memory before."""
        peak = _status_mb("VmHWM")
        stages = {stage: float(np.mean(values)) for stage, values in self.stages.items()}
        return {"startup_s": self.startup_s, "seconds_per_scene": stages, "total_s_per_scene": float(sum(stages.values())),
                "peak_rss_mb": peak, "rss_growth_mb": peak - self.before_mb}
