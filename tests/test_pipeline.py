"""The whole offline cascade through the public API, checked by measurement of its output."""

import numpy as np
import pytest

import cascade
from cascade.cache import ClipCache
from cascade.metrics import circular_error, foa_doa, ild, itd

EXAMPLE = "a dog barks behind, then a bird on the right"


@pytest.fixture(scope="module")
def example():
    return cascade.render_scene(EXAMPLE, seed=0, cache=False, generator="procedural")


def _stem(result, word):
    event = next(e for e in result.scene.events if word in e.description)
    return event, next(s for s in result.stems if s.event_id == event.id)


def test_shapes_and_types(example):
    n = example.binaural.shape[-1]
    assert example.binaural.shape == (2, n) and example.foa.shape == (4, n)
    assert example.binaural.dtype == np.float32 and example.foa.dtype == np.float32
    assert example.sample_rate == 44100 and n >= round(example.scene.end * 44100)
    assert {"plan", "generate", "spatialise", "mix"} <= set(example.timings)


def test_dog_is_behind_and_bird_is_right_and_later(example):
    dog, dog_stem = _stem(example, "dog")
    bird, bird_stem = _stem(example, "bird")
    dog_azimuth, _ = foa_doa(dog_stem.foa)
    bird_azimuth, _ = foa_doa(bird_stem.foa)
    assert circular_error(dog_azimuth, 180.0) < 20.0
    assert circular_error(bird_azimuth, -90.0) < 20.0
    assert ild(bird_stem.binaural) < -3.0, "a source on the right is louder in the right ear"
    assert bird.start >= dog.end - 1e-9


def test_resolved_scene_records_backend_and_seed_and_rerenders_identically(example):
    assert all(e.generation.backend == "procedural" for e in example.scene.events)
    again = cascade.render_scene(cascade.Scene.from_json(example.scene.to_json()), cache=False)
    assert np.array_equal(again.binaural, example.binaural) and np.array_equal(again.foa, example.foa)


def test_new_seed_changes_the_clips(example):
    other = cascade.render_scene(example.scene, seed=1, cache=False)
    assert {e.generation.seed for e in other.scene.events}.isdisjoint({e.generation.seed for e in example.scene.events})
    assert other.binaural.shape == example.binaural.shape and not np.array_equal(other.binaural, example.binaural)


def test_edited_scene_regenerates_only_what_changed(tmp_path):
    cache = ClipCache(tmp_path)
    scene = cascade.plan_scene(EXAMPLE)
    cascade.render_scene(scene, generator="procedural", cache=cache)
    assert (cache.hits, cache.misses) == (0, 2)
    bird = next(e for e in scene.events if "bird" in e.description)
    edited = scene.model_copy(update={"events": [
        e.model_copy(update={"description": "a crow caws"}) if e.id == bird.id else e for e in scene.events]})
    cascade.render_scene(edited, generator="procedural", cache=cache)
    assert (cache.hits, cache.misses) == (1, 3)


@pytest.mark.parametrize("rate", [16000, 48000])
def test_output_rate_by_resampling_at_the_boundary(rate):
    result = cascade.render_scene(EXAMPLE, sample_rate=rate, cache=False, generator="procedural")
    assert result.sample_rate == rate == result.scene.sample_rate
    assert 0.0 <= result.binaural.shape[-1] / rate - result.scene.end < 0.6


def test_moving_source_goes_from_left_to_right():
    scene = cascade.Scene.from_dict({"events": [{
        "id": "crowd", "description": "applause", "duration": 4.0, "position": {"azimuth": 90, "distance": 3},
        "trajectory": [{"time": 4.0, "position": {"azimuth": -90, "distance": 3}}]}]})
    result = cascade.render_scene(scene, cache=False, generator="procedural")
    stem = result.stems[0]
    quarter = int(0.5 * result.sample_rate)
    assert circular_error(foa_doa(stem.foa[:, :quarter])[0], 80.0) < 25.0
    assert circular_error(foa_doa(stem.foa[:, -2 * quarter:-quarter])[0], -80.0) < 25.0
    rate = result.sample_rate
    assert itd(stem.binaural[:, :quarter], rate) > 4e-4 and itd(stem.binaural[:, -2 * quarter:-quarter], rate) < -4e-4


def test_room_adds_a_reverberant_tail():
    dry = cascade.Scene.from_dict({"events": [{"id": "knock", "description": "a knock on the door", "duration": 1.0}]})
    wet = dry.model_copy(update={"room": cascade.Room(dimensions=(20.0, 15.0, 8.0), rt60=1.5)})
    dry_result = cascade.render_scene(dry, cache=False, generator="procedural")
    wet_result = cascade.render_scene(wet, cache=False, generator="procedural")
    assert wet_result.binaural.shape[-1] > dry_result.binaural.shape[-1]
    tail = wet_result.binaural[:, int(1.3 * wet_result.sample_rate):]
    assert np.sqrt(np.mean(tail**2)) > 1e-4


def test_the_listener_s_place_in_the_room_sets_the_first_reflection():
    # a knock 1 m ahead of a listener 0.5 m from the left wall of a large room: the left-wall image lies 1 m to the left
    # of the source, so the first reflection arrives (√2 - 1) m / c after the direct sound, before any other wall's
    event = {"id": "click", "description": "a knock on the door", "duration": 0.05, "position": {"azimuth": 0, "distance": 1.0}}
    room = {"dimensions": [20.0, 12.0, 8.0], "rt60": 0.5, "listener": [10.0, 11.5, 4.0]}
    result = cascade.render_scene(cascade.Scene.from_dict({"events": [event], "room": room}), cache=False, generator="procedural")
    dry = cascade.render_scene(cascade.Scene.from_dict({"events": [event]}), cache=False, generator="procedural")
    rate = result.sample_rate
    gain = 10 ** ((result.mix_report.ambix.gain_db - dry.mix_report.ambix.gain_db) / 20)
    wet = result.foa[0, : dry.foa.shape[-1]] / gain - dry.foa[0]
    threshold = 0.1 * np.abs(dry.foa[0]).max()
    direct, reflection = (np.flatnonzero(np.abs(x) > threshold)[0] for x in (dry.foa[0], wet))
    assert (reflection - direct) / rate == pytest.approx((np.sqrt(2.0) - 1) / 343.0, abs=0.15e-3)


def test_peak_safe_and_loudness_target(example):
    assert np.max(np.abs(example.binaural)) <= 10 ** (-1 / 20) + 1e-6
    assert np.max(np.abs(example.foa)) <= 10 ** (-1 / 20) + 1e-6
    report = example.mix_report
    assert report.binaural.loudness_after == pytest.approx(-20.0, abs=0.5) or report.binaural.peak_limited
    assert report.ambix.loudness_after == pytest.approx(-20.0, abs=0.5) or report.ambix.peak_limited


def test_a_pipeline_object_loads_each_model_once_for_many_calls(tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    from backends import write_tiny_tangoflux

    from cascade.generators.tangoflux import TangoFluxGenerator

    loads = []
    original = TangoFluxGenerator._load
    monkeypatch.setattr(TangoFluxGenerator, "_load", lambda self: (loads.append(1) if self._parts is None else None, original(self))[1])
    checkpoint = write_tiny_tangoflux(tmp_path / "tangoflux")
    pipe = cascade.Cascade(generator="tangoflux", generator_options={"tangoflux": {"path": str(checkpoint), "steps": 2}}, cache=False)
    for text in ("a dog barks", "a bird sings on the right", "rain falls, then thunder rumbles"):
        result = pipe(text, seed=1)
        assert all(e.generation.backend == "tangoflux" for e in result.scene.events)
    assert len(loads) == 1 and pipe.loads["generator:tangoflux"] == 1 and pipe.loads["renderer:hrtf"] == 1


def test_an_edit_respatialises_only_the_changed_event(monkeypatch):
    from cascade import pipeline

    calls = []
    original = pipeline.spatialise
    monkeypatch.setattr(pipeline, "spatialise", lambda *args, **kwargs: (calls.append(1), original(*args, **kwargs))[1])
    pipe = cascade.Cascade(generator="procedural", cache=False)
    scene = pipe.plan(EXAMPLE)
    pipe(scene)
    assert len(calls) == 2
    bird = next(e for e in scene.events if "bird" in e.description)
    moved = scene.model_copy(update={"events": [
        e.model_copy(update={"position": cascade.Position(azimuth=45)}) if e.id == bird.id else e for e in scene.events]})
    pipe(moved)
    assert len(calls) == 3


def test_a_hand_written_event_seed_wins_and_another_backend_keeps_the_recorded_seed(example):
    dog = next(e for e in example.scene.events if "dog" in e.description)
    pinned = example.scene.model_copy(update={"events": [
        e.model_copy(update={"seed": 1234}) if e.id == dog.id else e for e in example.scene.events]})
    reseeded = cascade.render_scene(pinned, seed=99, cache=False)
    seeds = {e.id: e.generation.seed for e in reseeded.scene.events}
    assert seeds[dog.id] == 1234
    assert all(seeds[e.id] != e.generation.seed for e in example.scene.events if e.id != dog.id)
    other_backend = cascade.render_scene(example.scene, generator="speech", cache=False)
    assert [e.generation.seed for e in other_backend.scene.events] == [e.generation.seed for e in example.scene.events]
    assert all(e.generation.backend == "speech" for e in other_backend.scene.events)
