"""The `cascade` command end to end, and its one-line errors with exit status 2."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from cascade.cli import main
from cascade.metrics import circular_error, foa_doa
from cascade.scene import Scene

EXAMPLE = "a dog barks behind, then a bird on the right"


@pytest.mark.slow
def test_render_example_writes_binaural_ambix_and_scene(tmp_path):
    out = tmp_path / "scene.wav"
    completed = subprocess.run([sys.executable, "-m", "cascade.cli", "render", EXAMPLE, "-o", str(out), "--stems"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    binaural, rate = sf.read(out, always_2d=True)
    foa, foa_rate = sf.read(tmp_path / "scene_foa.wav", always_2d=True)
    assert binaural.shape[1] == 2 and foa.shape[1] == 4 and rate == foa_rate == 44100
    scene = Scene.load(tmp_path / "scene.json")
    dog = next(e for e in scene.events if "dog" in e.description)
    bird = next(e for e in scene.events if "bird" in e.description)
    assert bird.start >= dog.end - 1e-9
    for event, azimuth in ((dog, 180.0), (bird, -90.0)):
        stem, _ = sf.read(tmp_path / "scene_stems" / f"{event.id}_foa.wav", always_2d=True)
        assert circular_error(foa_doa(stem.T)[0], azimuth) < 20.0


@pytest.mark.slow
def test_rendering_the_written_scene_file_reproduces_the_audio(tmp_path):
    assert main(["render", EXAMPLE, "-o", str(tmp_path / "a.wav"), "-q", "--bit-depth", "32f"]) == 0
    assert main(["render", str(tmp_path / "a.json"), "-o", str(tmp_path / "b.wav"), "-q", "--bit-depth", "32f"]) == 0
    a, _ = sf.read(tmp_path / "a.wav")
    b, _ = sf.read(tmp_path / "b.wav")
    assert np.array_equal(a, b)


def test_plan_prints_a_valid_scene(capsys):
    assert main(["plan", EXAMPLE]) == 0
    scene = Scene.from_json(capsys.readouterr().out)
    assert len(scene.events) == 2


def test_schema_prints_json_schema(capsys):
    assert main(["schema"]) == 0
    assert "SoundEvent" in json.loads(capsys.readouterr().out)["$defs"]


def _bad_scene(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("make_args, words", [
    (lambda p: ["render", _bad_scene(p, "{oops"), "-o", str(p / "o.wav")], "invalid JSON"),
    (lambda p: ["render", _bad_scene(p, json.dumps({"events": [{"id": "a", "description": "x", "duration": 1,
                                                                 "position": {"elevation": 120}}]})), "-o", str(p / "o.wav")], "elevation"),
    (lambda p: ["render", EXAMPLE, "--loudness", "3", "-o", str(p / "o.wav")], "loudness"),
    (lambda p: ["render", EXAMPLE, "--hrtf", str(p / "missing.sofa"), "-o", str(p / "o.wav")], "missing.sofa"),
    (lambda p: ["render", str(p / "nope.json"), "-o", str(p / "o.wav")], "nope.json"),
    (lambda p: ["plan", ""], "empty"),
])
def test_user_errors_are_one_line_with_exit_2(tmp_path, capsys, make_args, words):
    assert main(make_args(tmp_path)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cascade: error:") and "\n" not in err and words.lower() in err.lower()
    assert "Traceback" not in err


def test_unknown_backend_is_a_usage_error(capsys):
    assert main(["render", EXAMPLE, "--renderer", "magic"]) == 2
    err = capsys.readouterr().err.strip()
    assert "magic" in err and "\n" not in err


def test_failed_render_leaves_existing_output_untouched(tmp_path):
    out = tmp_path / "scene.wav"
    out.write_bytes(b"earlier work")
    assert main(["render", EXAMPLE, "--hrtf", str(tmp_path / "broken.sofa"), "-o", str(out)]) == 2
    assert out.read_bytes() == b"earlier work"


@pytest.mark.slow
def test_a_scene_folder_with_its_hrtf_can_be_moved_and_rendered_from_anywhere(tmp_path, monkeypatch):
    import importlib.util
    import shutil
    from pathlib import Path

    axd = importlib.util.find_spec("spatialaudiometrics")
    if axd is None:
        pytest.skip("spatialaudiometrics (AXD SOFA examples) not installed")
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(Path(axd.origin).parent / "example_sofa_1.sofa", project / "my_head.sofa")
    monkeypatch.chdir(tmp_path)
    assert main(["render", "a dog barks on the left", "--hrtf", "project/my_head.sofa", "-o", "project/out.wav", "-q"]) == 0
    assert json.loads((project / "out.json").read_text())["render"]["hrtf"] == "my_head.sofa"
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    shutil.move(project, moved)
    monkeypatch.chdir(moved.parent.parent)
    assert main(["render", str(moved / "out.json"), "-o", str(tmp_path / "again.wav"), "-q", "--bit-depth", "32f"]) == 0
    assert Scene.load(tmp_path / "again.json").render.hrtf == str(moved / "my_head.sofa")


def test_version_is_the_installed_distributions(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cascade {version('text2spatial-cascade')}"


def test_render_help_is_grouped(capsys):
    assert main(["render", "--help"]) == 0
    text = capsys.readouterr().out
    groups = ["input/output:", "backends:", "backend options:", "room and rendering:", "limits:"]
    starts = [text.index(f"\n{g}\n") for g in groups]
    assert starts == sorted(starts)

    def group_of(flag: str) -> str:
        at = text.index(f"\n  {flag}")
        return max((s, g) for s, g in zip(starts, groups) if s < at)[1]

    expected = {"-o OUTPUT": "input/output:", "--renderer RENDERER": "backends:", "--steps": "backend options:",
                "--device": "backend options:", "--hrtf SOFA": "room and rendering:", "--max-memory GB": "limits:"}
    assert {flag: group_of(flag) for flag in expected} == expected


@pytest.mark.slow
@pytest.mark.parametrize("argv", [["schema"], ["plan", "a dog barks"]])
def test_a_reader_that_stops_early_ends_the_command_quietly(argv):
    read, write = os.pipe()
    os.close(read)  # like `| head -1` once head has gone: every write meets a closed pipe
    try:
        completed = subprocess.run([sys.executable, "-m", "cascade.cli", *argv], stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert completed.stderr == "" and completed.returncode == 128 + signal.SIGPIPE
