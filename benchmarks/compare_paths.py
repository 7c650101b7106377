"""The paths the comparison renders every held-out scene through, and what each costs.

    truth                   the scene's own clips (procedural generator, recorded seeds) encoded exactly into AmbiX
                            (renderers.foa.encode, with the same room's images and tail), and rendered to binaural through
                            a measured head none of the other paths uses (AXD head 2). The measurement floor of every metric.
    cascade-procedural-<r>  cascade.Cascade(renderer=<r>) with the same procedural clips: its AmbiX is the truth's by
                            construction (same generator, seeds and encoder), so only its binaural column says anything.
    cascade-flow-<r>        cascade.Cascade(generator="flow", renderer=<r>): the learned mono generator, trained on the same
                            examples and budget as the end-to-end models, then the same spatialisation. Its clips do not
                            depend on the renderer: the rows after the first read them from a clip cache.
    e2e-ceiling             the truth's per-event AmbiX through the end-to-end models' codec and back (encode, decode),
                            binaural through MIT KEMAR as the end-to-end path decodes: what a perfect DiT could deliver.
    e2e-<mode>              cascade.end_to_end.EndToEnd(<mode>): the DiT generates every event's FOA from its conditions,
                            decoded to binaural through MIT KEMAR.

The cascade rows mix "physical" (every event at its planned gain, as the end-to-end model is conditioned). The
learned paths (flow, e2e-<mode>) read each event's prompt in the wording the held-out set assigns it
(`benchmarks.compare_scenes`); the others read the taxonomy prompt.

Costs per path: seconds to start (load models and render one 0.5 s scene), the mean seconds per scene of each stage
the pipeline reports, the peak resident memory while the path ran (MB, the process's high-water mark reset before
the path) and its growth over the memory before the path started, and the number of learned parameters (the text
encoder's included).
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
from cascade.audio import fit_length
from cascade.cache import ClipCache
from cascade.mixer import Stem, mix
from cascade.result import RenderResult
from cascade.scene import Generation, Position, Scene, SoundEvent

TRUTH = "truth"
PROCEDURAL = "cascade-procedural-"
FLOW = "cascade-flow-"
CEILING = "e2e-ceiling"
E2E_PREFIX = "e2e-"
MIX = "physical"  # every event at its planned gain, as the end-to-end model is conditioned (not the designed mix's roles)
LEARNED = (FLOW, E2E_PREFIX)  # paths that read the reworded prompts (the ceiling is the truth's audio)
PROC_STATUS = Path("/proc/self/status")
WARM_UP = Scene(events=[SoundEvent(id="warm-up", description="a bell rings", duration=0.5, position=Position(azimuth=30.0),
                                   generation=Generation(backend="procedural", seed=0))], sample_rate=16000, seed=0)


@dataclass
class Rendered:
    """One scene through one path: the mix, and each event's own AmbiX placed on the scene's timeline at the level the
    path gave it (its stem times the mixer's per-event gain, before the common gain that levels the mix)."""

    foa: np.ndarray
    binaural: np.ndarray
    stems: dict[str, np.ndarray]
    timings: dict[str, float]


GENERATORS = ("procedural", "flow")


def path_names(renderers: list[str], modes: list[str], generators: list[str] | tuple[str, ...] = GENERATORS) -> list[str]:
    """truth, the cascade with each of `generators` and each renderer, then the codec ceiling and each end-to-end mode."""
    cascades = [f"cascade-{g}-{r}" for g in GENERATORS if g in generators for r in renderers]
    return [TRUTH] + cascades + ([CEILING] if modes else []) + [E2E_PREFIX + m for m in modes]


def reads_wordings(name: str) -> bool:
    """Whether path `name` is learned and reads the held-out set's wordings."""
    return name != CEILING and name.startswith(LEARNED)


def head(name: str) -> str | None:
    """The SOFA file the path renders its binaural for (None: the default MIT KEMAR)."""
    return str(axd_sofa(2)) if name == TRUTH else None


class CodecCeiling:
    """The truth with every event's AmbiX through the end-to-end codec of `checkpoint` (dit_<mode>.pt) and back."""

    def __init__(self, checkpoint: Path) -> None:
        from cascade.end_to_end import checkpoints
        from cascade.end_to_end.codec import CodecConfig, SpectralCodec

        self.codec = SpectralCodec(CodecConfig.from_dict(checkpoints.load(checkpoint, "dit")["config"]["codec"]))
        self.truth = Cascade(renderer="foa", cache=False, workers=1, mix=MIX)

    def round_trip(self, foa: np.ndarray, sample_rate: int, seed: int = 0) -> np.ndarray:
        """(4, n) AmbiX at `sample_rate` encoded and decoded by the codec (at the codec's rate), same length."""
        import torch

        from cascade.audio import resample

        rate = self.codec.config.sample_rate
        audio = torch.from_numpy(np.ascontiguousarray(resample(np.asarray(foa, np.float32), sample_rate, rate)))[None]
        with torch.no_grad():
            out = self.codec.decode(self.codec.encode(audio), seed=seed)[0].numpy()
        return fit_length(resample(out.astype(np.float32), rate, sample_rate), foa.shape[-1])

    def __call__(self, scene: Scene) -> RenderResult:
        from renderers.foa import decode_binaural
        from renderers.hrir import load_hrirs

        truth = self.truth(scene)
        began = time.perf_counter()
        hrirs = load_hrirs()
        stems = []
        for k, stem in enumerate(truth.stems):
            foa = self.round_trip(stem.foa, truth.sample_rate, seed=k)
            binaural = fit_length(decode_binaural(foa, truth.sample_rate, hrirs), foa.shape[-1])
            stems.append(Stem(stem.event_id, stem.start, binaural, foa, stem.gain_db))
        binaural, foa, report = mix(stems, truth.sample_rate, truth.foa.shape[-1], truth.scene.render.loudness if truth.scene.render else -20.0)
        timings = {**truth.timings, "codec": time.perf_counter() - began}
        return RenderResult(binaural, foa, truth.sample_rate, truth.scene, timings=timings, stems=stems, mix_report=report)


def pipeline(name: str, checkpoint_dir: Path | None, clip_cache: ClipCache | None = None) -> Callable[[Scene], RenderResult]:
    """The pipeline object of path `name` (nothing loaded yet); `clip_cache` keeps the flow generator's clips between its rows."""
    if name == TRUTH:
        return Cascade(renderer="hrtf", hrtf=head(name), cache=False, workers=1, mix=MIX)
    if name.startswith(PROCEDURAL):
        return Cascade(renderer=name.removeprefix(PROCEDURAL), cache=False, workers=1, mix=MIX)
    if name.startswith(FLOW):
        return Cascade(generator="flow", generator_options={"flow": {"checkpoint_dir": checkpoint_dir}}, renderer=name.removeprefix(FLOW),
                       cache=clip_cache or False, workers=1, mix=MIX)
    from cascade.end_to_end.checkpoints import SHIPPED

    folder = Path(checkpoint_dir) if checkpoint_dir is not None else SHIPPED
    if name == CEILING:
        checkpoint = folder / "dit_parametric.pt"
        return CodecCeiling(checkpoint if checkpoint.is_file() else folder / "dit_descriptive.pt")
    from cascade.end_to_end.pipeline import EndToEnd

    return EndToEnd(name.removeprefix(E2E_PREFIX), folder)


def _placed(result: RenderResult) -> dict[str, np.ndarray]:
    n, rate = result.foa.shape[-1], result.sample_rate
    stems = {}
    for stem in result.stems:
        buffer = np.zeros((4, n), np.float32)
        at = int(round(stem.start * rate))
        take = max(0, min(stem.foa.shape[-1], n - at))
        buffer[:, at : at + take] = stem.foa[:, :take] * np.float32(10.0 ** (stem.gain_db / 20.0))
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
    """Learned parameters the path runs: a neural renderer's network, a learned generator's or the end-to-end DiT (the
    frozen text encoder included; the codec is fixed, not learned)."""
    if isinstance(pipe, CodecCeiling):
        return _count(pipe.codec)
    if isinstance(pipe, Cascade):
        assert pipe.renderer_name is not None
        renderer = pipe.renderer(pipe.renderer_name, pipe.hrtf, "diffuse")
        model = getattr(renderer, "model", None)
        count = _count(model) if model is not None else 0
        if pipe.generator_name == "flow":
            flow = pipe.generator("flow", WARM_UP.sample_rate)
            count += _count(flow.model.model) + _text_encoder_parameters()  # type: ignore[attr-defined]
        return count
    from cascade.end_to_end.pipeline import EndToEnd

    assert isinstance(pipe, EndToEnd)
    return _count(pipe.load().model) + _text_encoder_parameters()


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
