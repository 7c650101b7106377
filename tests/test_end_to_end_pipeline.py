"""The end-to-end path through the public API and the CLI, with tiny random checkpoints (shape, record, algebra, errors)."""

import subprocess
import sys

import numpy as np
import pytest
from backends import write_tiny_dits

import cascade
from cascade.audio import fit_length
from cascade.end_to_end import checkpoints
from cascade.end_to_end.conditioning import SPATIAL_MODES
from cascade.end_to_end.pipeline import EndToEnd
from cascade.errors import OptionError
from cascade.scene import Position, Scene, SoundEvent
from renderers.foa import decode_binaural
from renderers.hrir import load_hrirs

SCENE = Scene(events=[SoundEvent(id="dog", description="a dog barks", start=0.2, duration=0.6, position=Position(azimuth=90)),
                      SoundEvent(id="rain", description="rain falls", start=0.0, duration=2.5, gain_db=-6)],
              sample_rate=22050, seed=3)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_dits(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="module")
def pipe(tiny):
    return EndToEnd("parametric", tiny)


@pytest.mark.slow
def test_result_is_the_scene_length_at_the_scene_rate_with_one_stem_per_event(pipe):
    result = pipe(SCENE)
    n = round((SCENE.end + 0.5) * 22050)
    assert result.sample_rate == 22050 and result.binaural.shape == (2, n) and result.foa.shape == (4, n)
    assert result.binaural.dtype == np.float32 and np.all(np.isfinite(result.foa))
    assert [s.event_id for s in result.stems] == ["dog", "rain"]
    assert {"generate", "binaural", "mix"} <= set(result.timings)


@pytest.mark.slow
def test_resolved_scene_records_model_seed_and_windows_per_event(pipe):
    scene = pipe(SCENE).scene
    dog, rain = scene.events
    assert dog.generation.backend == "e2e-parametric" and dog.generation.detail["checkpoint"] == "dit_parametric.pt"
    assert dog.generation.detail["windows"] == 2 and rain.generation.detail["windows"] == 5, "1 s windows every 0.5 s over 3 s"
    assert dog.generation.seed != rain.generation.seed and scene.render.renderer == "foa"


@pytest.mark.slow
def test_same_seed_same_audio_and_another_seed_other_audio(pipe):
    a, b, c = pipe(SCENE, seed=1), pipe(SCENE, seed=1), pipe(SCENE, seed=2)
    assert np.array_equal(a.foa, b.foa)
    assert not np.allclose(a.foa, c.foa)


@pytest.mark.slow
def test_the_binaural_is_the_foa_decoded_through_the_hrtf(pipe):
    result = pipe(SCENE)
    decoded = fit_length(decode_binaural(result.foa, result.sample_rate, load_hrirs()), result.binaural.shape[-1])
    levels = result.mix_report
    decoded *= 10 ** ((levels.binaural.gain_db - levels.ambix.gain_db) / 20)  # the mixer levels binaural and AmbiX each to the target
    assert np.allclose(result.binaural, decoded, atol=1e-5 * np.abs(decoded).max())


@pytest.mark.slow
def test_render_scene_takes_the_end_to_end_pipeline_and_both_modes(tiny):
    for mode in SPATIAL_MODES:
        result = cascade.render_scene(SCENE, pipeline="end_to_end", e2e_mode=mode, checkpoint_dir=tiny)
        assert result.scene.events[0].generation.backend == f"e2e-{mode}"


@pytest.mark.slow
def test_render_scene_refuses_cascade_options_and_unknown_pipelines(tiny):
    with pytest.raises(OptionError, match="generator does not apply to the end-to-end pipeline"):
        cascade.render_scene(SCENE, pipeline="end_to_end", checkpoint_dir=tiny, generator="procedural")
    with pytest.raises(OptionError, match="pipeline must be one of cascade, end_to_end"):
        cascade.render_scene(SCENE, pipeline="diffusion")
    with pytest.raises(OptionError, match="e2e_mode must be one of"):
        EndToEnd("spatial")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cascade.cli", "render", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_cli_renders_end_to_end_with_a_checkpoint_folder(tiny, tmp_path):
    out = tmp_path / "e2e.wav"
    done = _cli("a bell rings to the left", "-o", str(out), "--pipeline", "end-to-end", "--e2e-mode", "descriptive",
                "--e2e-checkpoints", str(tiny), "--sample-rate", "16000", "--steps", "2")
    assert done.returncode == 0, done.stderr
    scene = Scene.load(tmp_path / "e2e.json")
    assert scene.events[0].generation.backend == "e2e-descriptive" and scene.events[0].generation.detail["steps"] == 2
    assert (tmp_path / "e2e_foa.wav").is_file()


@pytest.mark.slow
def test_cli_missing_checkpoint_and_cascade_flags_are_one_line_errors(tmp_path):
    done = _cli("a bell rings", "-o", str(tmp_path / "x.wav"), "--pipeline", "end-to-end", "--e2e-checkpoints", str(tmp_path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "dit_parametric.pt not found" in done.stderr and "cascade train-e2e dit" in done.stderr
    done = _cli("a bell rings", "-o", str(tmp_path / "x.wav"), "--pipeline", "end-to-end", "--generator", "procedural")
    assert done.returncode == 2 and "--generator" in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_gain_is_conditioned_within_the_trained_range_and_the_rest_applied(pipe):
    loud = SCENE.model_copy(update={"events": [SCENE.events[0].model_copy(update={"gain_db": 6.0})]})
    numbers = []
    pipe.generate = lambda texts, rows, seeds: numbers.extend(rows) or np.zeros((len(texts), 4, 16000), np.float32)
    try:
        result = pipe(loud)
    finally:
        del pipe.generate
    from cascade.end_to_end.conditioning import NUMBERS

    assert {row[NUMBERS.index("gain")] for row in numbers} == {0.0}, "6 dB is conditioned at the top of [-20, 0]"
    assert result.stems[0].gain_db == pytest.approx(6.0), "and the 6 dB above it is applied to the stem"


@pytest.mark.slow
def test_a_checkpoint_of_another_mode_is_refused(tiny, tmp_path):
    import shutil

    shutil.copy(tiny / "dit_descriptive.pt", tmp_path / "dit_parametric.pt")
    with pytest.raises(checkpoints.CheckpointError, match="holds a descriptive model, not a parametric one"):
        EndToEnd("parametric", tmp_path).load()
