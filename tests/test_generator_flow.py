"""The learned cascade's `flow` generator: exact clip lengths across windows, seeds, the pipeline, and its errors."""

import numpy as np
import pytest
from backends import write_tiny_dits

import cascade
from cascade.errors import GeneratorError
from cascade.generators import clip_length
from cascade.generators.flow import FlowGenerator
from cascade.scene import Position, Scene, SoundEvent

pytestmark = pytest.mark.slow  # loads the MiniLM text model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_dits(tmp_path_factory.mktemp("flow"))


@pytest.fixture(scope="module")
def generator(tiny):
    return FlowGenerator(tiny, device="cpu", steps=2)


def test_clips_are_exactly_as_long_as_asked_within_and_across_windows(generator):
    clips = generator.generate(["a dog barks", "rain falls"], [0.4, 2.3], [0, 1])
    assert [c.size for c in clips] == [clip_length(0.4, 16000), clip_length(2.3, 16000)]
    assert all(c.dtype == np.float32 and np.all(np.isfinite(c)) for c in clips)
    assert np.abs(clips[1][int(1.6 * 16000):]).max() > 0, "windows after the first are generated, not left silent"


def test_same_seed_same_clip_and_another_seed_another(generator):
    a, b, c = (generator.generate(["a bell"], [1.0], [s])[0] for s in (3, 3, 4))
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_the_cascade_renders_with_it_and_records_it(tiny):
    scene = Scene(events=[SoundEvent(id="bell", description="a bell rings", duration=1.0, position=Position(azimuth=90))], seed=2)
    result = cascade.render_scene(scene, generator="flow", generator_options={"flow": {"checkpoint_dir": str(tiny), "steps": 2}})
    event = result.scene.events[0]
    assert event.generation.backend == "flow" and event.generation.detail["checkpoint"] == "dit_mono.pt"
    left, right = (float(np.sqrt(np.mean(ch**2))) for ch in result.binaural)
    assert left > right, "the cascade spatialises the dry clip: a source at +90 is louder in the left ear"


def test_a_spatial_checkpoint_in_the_mono_slot_is_refused(tiny, tmp_path):
    (tmp_path / "dit_mono.pt").write_bytes((tiny / "dit_parametric.pt").read_bytes())
    with pytest.raises(GeneratorError, match="needs the mono one"):
        FlowGenerator(tmp_path)


def test_the_dataset_builder_makes_items_with_it(tiny, tmp_path):
    import json

    from dataset_fixtures import SMALL

    from cascade.dataset import build
    from cascade.dataset.config import parse_config

    config = parse_config({**SMALL, "sounds": {"classes": ["dog", "bird"], "generator": "flow",
                                               "generator_options": {"flow": {"checkpoint_dir": str(tiny), "steps": 2}}}})
    build(tmp_path / "data", 2, config)
    scenes = [json.loads(p.read_text()) for p in sorted((tmp_path / "data" / "scenes").glob("*.json"))]
    assert len(scenes) == 2 and all(e["generation"]["backend"] == "flow" for s in scenes for e in s["events"])
