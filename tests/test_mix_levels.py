"""The designed mix: role loudness, distance models as Web Audio defines them, per-event loudness, the physical mode."""

import json

import numpy as np
import pyloudnorm
import pytest

import cascade
from cascade.cli import main
from cascade.errors import SceneError
from cascade.mixer import attenuation, level_clip
from cascade.scene import DistanceModel, Mix, Scene, SoundEvent
from renderers.path import SourcePath

RATE = 24000


@pytest.mark.parametrize("model, distance, expected", [
    # Web Audio PannerNode: inverse ref / (ref + rolloff (d - ref)), linear 1 - rolloff (d - ref) / (max - ref),
    # exponential (d / ref)^-rolloff, d clamped to [ref, max] (OpenAL's clamped models)
    (DistanceModel(model="inverse", reference_distance=1.0, rolloff=1.0, max_distance=100.0), 4.0, 0.25),
    (DistanceModel(model="inverse", reference_distance=2.0, rolloff=0.5, max_distance=100.0), 6.0, 0.5),
    (DistanceModel(model="inverse", reference_distance=1.0, rolloff=1.0, max_distance=5.0), 40.0, 0.2),
    (DistanceModel(model="inverse", reference_distance=2.0, rolloff=1.0, max_distance=10.0), 0.5, 1.0),
    (DistanceModel(model="linear", reference_distance=1.0, rolloff=1.0, max_distance=11.0), 6.0, 0.5),
    (DistanceModel(model="linear", reference_distance=1.0, rolloff=0.5, max_distance=11.0), 30.0, 0.5),
    (DistanceModel(model="exponential", reference_distance=1.0, rolloff=2.0, max_distance=50.0), 2.0, 0.25),
    (DistanceModel(model="exponential", reference_distance=1.0, rolloff=0.5, max_distance=16.0), 64.0, 0.25),
])
def test_distance_models_match_their_definitions(model, distance, expected):
    assert float(attenuation(distance, model)) == pytest.approx(expected)


def test_a_distance_model_refuses_a_cap_inside_its_reference_distance_in_one_line():
    event = {"id": "a", "description": "a dog barks", "duration": 1.0,
             "distance_model": {"model": "inverse", "reference_distance": 5.0, "max_distance": 2.0}}
    with pytest.raises(SceneError, match=r"events\.0\.distance_model: .*max_distance 2 m must exceed reference_distance 5 m"):
        Scene.from_dict({"events": [event]})
    with pytest.raises(SceneError, match=r"mix\.bed_offset_db"):
        Scene.from_dict({"events": [{"id": "a", "description": "a dog", "duration": 1.0}], "mix": {"bed_offset_db": 3}})


def test_an_old_scene_file_loads_and_is_mixed_as_designed(tmp_path):
    old = {"version": 1, "events": [{"id": "dog", "description": "a dog barks", "duration": 1.0, "diffuse": False}]}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    scene = Scene.load(path)
    assert scene.mix is None and scene.events[0].role is None and scene.events[0].mix_role == "foreground"
    assert cascade.Cascade(cache=False).resolve(scene).mix == Mix()


def _noise(seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    return (0.05 * np.random.default_rng(seed).standard_normal(int(seconds * RATE))).astype(np.float32)


def _lufs(mono: np.ndarray) -> float:
    return pyloudnorm.Meter(RATE).integrated_loudness(np.asarray(mono, dtype=np.float64))


def test_a_clip_is_brought_to_its_role_loudness_then_scaled_by_the_distance_model():
    mix = Mix(distance=DistanceModel(model="inverse", reference_distance=1.0, rolloff=1.0, max_distance=50.0))
    event = SoundEvent(id="a", description="x", duration=2.0)
    at_ref = level_clip(_noise(), RATE, event, mix, SourcePath.static(0.0, 0.0, 1.4), 1.4)  # the renderer's 1/r gain is 1 here
    assert _lufs(at_ref) == pytest.approx(-20.0 + 20 * np.log10(1 / 1.4), abs=0.15)  # two BS.1770 meters
    bed = level_clip(_noise(), RATE, event.model_copy(update={"role": "bed"}), mix, SourcePath.static(0.0, 0.0, 1.4), 1.4)
    assert _lufs(bed) - _lufs(at_ref) == pytest.approx(-6.0, abs=0.05)
    # at 8 m the renderer applies 1.4 / 8, the model wants 1 / 8: the clip carries the quotient 8 / 1.4 * 1 / 8
    far = level_clip(_noise(), RATE, event, mix, SourcePath.static(0.0, 0.0, 8.0), 1.4)
    assert _lufs(far) - _lufs(at_ref) == pytest.approx(20 * np.log10(8 / 1.4 * (1 / 8) * 1.4), abs=0.05)


def test_the_physical_mix_leaves_the_clip_as_it_is():
    clip = _noise()
    out = level_clip(clip, RATE, SoundEvent(id="a", description="x", duration=2.0), Mix(mode="physical"),
                     SourcePath.static(0.0, 0.0, 30.0), 1.4)
    assert np.array_equal(out, clip)


def _scene(distance: float, mix: dict, events: list | None = None) -> Scene:
    return Scene.from_dict({"events": events or [{"id": "tone", "description": "an alarm beeps", "duration": 2.0,
                                                  "position": {"azimuth": 0.0, "distance": distance}}],
                            "sample_rate": RATE, "mix": mix})


def _w_lufs(result, event_id: str) -> float:
    stem = next(s for s in result.stems if s.event_id == event_id)
    return _lufs(stem.foa[0])


@pytest.mark.slow
@pytest.mark.parametrize("mix, expected_db", [
    ({"distance": {"model": "inverse", "reference_distance": 1.0, "rolloff": 1.0, "max_distance": 4.0}}, 20 * np.log10(2 / 4)),
    ({"distance": {"model": "exponential", "reference_distance": 1.0, "rolloff": 0.5, "max_distance": 50.0}}, 20 * np.log10(0.5)),
    ({"mode": "physical"}, 20 * np.log10(2 / 8)),
])
def test_a_source_four_times_farther_is_as_much_softer_as_the_mix_says(mix, expected_db):
    pipe = cascade.Cascade(generator="procedural", cache=False, workers=1)
    near, far = (pipe(_scene(d, mix), seed=0) for d in (2.0, 8.0))
    assert _w_lufs(far, "tone") - _w_lufs(near, "tone") == pytest.approx(expected_db, abs=0.1)


@pytest.mark.slow
def test_each_event_s_loudness_in_the_mix_is_reported_and_recorded(tmp_path):
    events = [{"id": "tone", "description": "an alarm beeps", "duration": 2.0, "position": {"azimuth": 30.0, "distance": 3.0}},
              {"id": "rain", "description": "rain falls", "duration": 2.0, "diffuse": True, "gain_db": -3.0}]
    result = cascade.render_scene(_scene(3.0, {}, events), generator="procedural", cache=False)
    meter = pyloudnorm.Meter(RATE)
    for event in result.scene.events:
        stem = next(s for s in result.stems if s.event_id == event.id)
        gain = 10 ** ((event.gain_db + result.mix_report.binaural.gain_db) / 20)
        measured = meter.integrated_loudness((gain * stem.binaural[:, : result.binaural.shape[-1]]).T.astype(np.float64))
        assert event.loudness == pytest.approx(measured, abs=0.1) and result.mix_report.events[event.id] == pytest.approx(measured, abs=0.1)
    assert f"tone {result.scene.events[0].loudness:.1f}" in result.mix_report.describe()
    result.save_all(tmp_path / "out.wav")
    recorded = json.loads((tmp_path / "out.json").read_text())
    assert [e["loudness"] for e in recorded["events"]] == [e.loudness for e in result.scene.events]
    assert recorded["mix"]["mode"] == "designed"


def _emitted(t_heard: float, seconds_along: callable) -> float:
    """Emission time (s) of the sound heard at `t_heard` from a source at distance `seconds_along(t)` (m)."""
    t = t_heard
    for _ in range(20):
        t = t_heard - seconds_along(t) / 343.0
    return t


@pytest.mark.slow
def test_a_pass_by_of_a_steady_tone_rises_at_its_closest_point_and_falls_in_pitch(tmp_path):
    import soundfile

    # a 1 kHz tone on a straight line 5 m ahead, from 20 m left to 20 m right in 4 s (10 m/s), from a sample library
    soundfile.write(tmp_path / "steady tone.wav", 0.1 * np.sin(2 * np.pi * 1000.0 * np.arange(4 * RATE) / RATE), RATE)
    (tmp_path / "descriptions.json").write_text(json.dumps({"steady tone.wav": "a steady tone"}))
    half, side = np.hypot(5.0, 20.0), float(np.degrees(np.arctan2(20.0, 5.0)))
    scene = Scene.from_dict({"events": [{"id": "tone", "description": "a steady tone", "duration": 4.0,
                                         "position": {"azimuth": side, "distance": half},
                                         "trajectory": [{"time": 4.0, "position": {"azimuth": -side, "distance": half}}]}],
                             "sample_rate": RATE})
    result = cascade.render_scene(scene, generator="library", generator_options={"library": {"folder": str(tmp_path)}}, cache=False)
    w = result.stems[0].foa[0].astype(np.float64)

    def along(t: float) -> float:
        return float(np.hypot(5.0, 20.0 - 10.0 * t))

    def level(t: float) -> float:  # dB over 0.1 s of what was emitted around t
        heard = int(round((t + along(t) / 343.0) * RATE))
        return 10 * np.log10(np.mean(w[heard - RATE // 20 : heard + RATE // 20] ** 2))

    model = DistanceModel()
    rise = 20 * np.log10(float(attenuation(5.0, model)) / float(attenuation(along(0.3), model)))
    assert level(2.0) - level(0.3) == pytest.approx(rise, abs=0.3) and level(2.0) - level(3.7) == pytest.approx(rise, abs=0.3)

    def pitch(t: float) -> float:  # Hz of the strongest peak in the half second heard from t
        piece = w[int(t * RATE) : int(t * RATE) + RATE // 2] * np.hanning(RATE // 2)
        return float(np.argmax(np.abs(np.fft.rfft(piece, 32 * piece.size))) * RATE / (32 * piece.size))

    for heard in (0.25, 3.25):
        emitted = _emitted(heard + 0.25, along)
        radial = 10.0 * (10.0 * emitted - 20.0) / along(emitted)  # dr/dt, m/s
        assert pitch(heard) == pytest.approx(1000.0 * 343.0 / (343.0 + radial), abs=1.5)
    assert pitch(0.25) > 1020.0 and pitch(3.25) < 980.0


@pytest.mark.slow
def test_the_cli_renders_a_physical_mix_and_refuses_an_unknown_mode(tmp_path, capsys):
    scene = tmp_path / "s.json"
    scene.write_text(_scene(2.0, {}).to_json())
    assert main(["render", str(scene), "-o", str(tmp_path / "o.wav"), "--mix", "physical", "--generator", "procedural", "--quiet"]) == 0
    assert json.loads((tmp_path / "o.json").read_text())["mix"]["mode"] == "physical"
    assert main(["render", str(scene), "-o", str(tmp_path / "p.wav"), "--mix", "loud"]) == 2
    assert "--mix" in capsys.readouterr().err and not (tmp_path / "p.wav").exists()


def test_a_clip_near_silence_is_raised_by_at_most_the_role_gain_limit():
    whisper = 1e-2 * _noise()  # about -67 LUFS: 47 dB under the foreground target
    out = level_clip(whisper, RATE, SoundEvent(id="a", description="x", duration=2.0), Mix(), SourcePath.static(0.0, 0.0, 1.0), 1.0)
    assert _lufs(out) - _lufs(whisper) == pytest.approx(40.0, abs=0.05)
