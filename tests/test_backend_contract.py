"""Every registered backend keeps the contract its kind promises; a new registry line is tested here with no new test.

Renderers: (2, n) float32 at the asked rate, deterministic, silence in -> silence out, and the interaural
time difference flips sign between a source on the left and its mirror on the right (left ear leads for a
left source). Generators: one float32 mono clip per prompt of exactly round(duration * rate) samples, finite,
deterministic per seed. Planners: a valid Scene with the sounds of the text.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from backends import write_tiny_library, write_tiny_tangoflux

import planners
import renderers
from cascade import generators
from cascade.generators import Generator, clip_length
from cascade.metrics import itd
from cascade.scene import Scene
from planners import Planner
from renderers import Renderer, SourcePath

NOISE = np.random.default_rng(3).standard_normal(22050).astype(np.float32) * 0.1


@pytest.fixture(scope="module")
def backend_options(tmp_path_factory):
    """Options each backend needs to run offline on tiny real data (a checkpoint, a sound folder, a server)."""
    folder = tmp_path_factory.mktemp("backends")
    options = {"library": {"folder": str(write_tiny_library(folder / "library"))}, "openai": {"base_url": "http://127.0.0.1:9"}}
    try:
        tangoflux = {"path": str(write_tiny_tangoflux(folder / "tangoflux")), "steps": 2, "device": "cpu"}
    except ImportError:
        tangoflux = None
    options["tangoflux"] = tangoflux
    options["auto"] = tangoflux
    options["flow"] = {"steps": 2}
    return options


@pytest.mark.parametrize("name", renderers.names())
@pytest.mark.parametrize("rate", [16000, 44100])
@pytest.mark.slow
def test_renderer_contract(name, rate):
    renderer = renderers.get(name)
    assert isinstance(renderer, Renderer) and renderer.name == name and renderer.reference_distance > 0
    mono = NOISE[: rate // 2]
    left = renderer.render(mono, rate, SourcePath.static(60.0, 0.0, 1.5))
    assert left.dtype == np.float32 and left.ndim == 2 and left.shape[0] == 2
    assert left.shape[1] >= mono.size + round(1.5 / 343.0 * rate)
    assert np.isfinite(left).all() and np.abs(left).max() > 0
    assert np.array_equal(left, renderer.render(mono, rate, SourcePath.static(60.0, 0.0, 1.5)))
    assert not np.abs(renderer.render(np.zeros_like(mono), rate, SourcePath.static(60.0, 0.0, 1.5))).any()
    right = renderer.render(mono, rate, SourcePath.static(-60.0, 0.0, 1.5))
    assert itd(left, rate) > 1e-4 and itd(right, rate) < -1e-4


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in ("auto", "tangoflux", "library", "flow") else n
                                  for n in generators.names()])
@pytest.mark.slow
def test_generator_contract(name, backend_options):
    if name in ("tangoflux", "auto") and backend_options[name] is None:
        pytest.skip("the TangoFlux extra is not installed")
    if name == "speech" and shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    generator = generators.get(name, **(backend_options.get(name) or {}))
    assert isinstance(generator, Generator) and generator.sample_rate > 0 and generator.backend in generators.names()
    prompts, durations, seeds = ["a dog barks", "rain falls"], [0.5, 1.25], [5, 6]
    clips = generator.generate(prompts, durations, seeds)
    assert len(clips) == 2
    for clip, duration in zip(clips, durations):
        assert clip.dtype == np.float32 and clip.shape == (clip_length(duration, generator.sample_rate),)
        assert np.isfinite(clip).all() and np.abs(clip).max() > 0
    again = generator.generate(prompts, durations, seeds)
    assert all(np.array_equal(a, b) for a, b in zip(clips, again))
    assert isinstance(generator.detail(prompts[0], durations[0], seeds[0]), dict)


@pytest.mark.parametrize("name", planners.names())
@pytest.mark.slow
def test_planner_contract(name, backend_options):
    if name == "openai":
        pytest.importorskip("openai")
        from fake_openai_server import FakeOpenAIServer, Reply

        reply = {"refusal": None, "room": None, "events": [{
            "id": "dog", "description": "a dog barks", "duration": 2.0, "gain_db": 0.0, "trajectory": None,
            "position": {"azimuth": 180.0, "elevation": -20.0, "distance": 2.5},
            "timing": {"kind": "at", "anchor": None, "offset": 0.0}}]}
        with FakeOpenAIServer() as server:
            server.script(Reply(content=json.dumps(reply)))
            scene = planners.get(name, base_url=server.url).plan("a dog barks behind me")
    else:
        planner = planners.get(name)
        assert isinstance(planner, Planner) and planner.name == name
        scene = planner.plan("a dog barks behind me")
    assert isinstance(scene, Scene) and "dog" in scene.events[0].description


@pytest.mark.parametrize("registry", [planners.REGISTRY, generators.REGISTRY, renderers.REGISTRY])
def test_every_entry_loads_and_unknown_names_and_options_are_refused(registry):
    for entry in registry:
        assert callable(registry.load(entry.name)) and entry.description
    with pytest.raises(registry.error, match=f"unknown {registry.kind} 'nope'; choose one of: {', '.join(registry.names())}"):
        registry.get("nope")
    name = registry.names()[0]
    with pytest.raises(registry.error, match=f"{registry.kind} '{name}' has no option 'bogus'"):
        registry.get(name, bogus=1)
