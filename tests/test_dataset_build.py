"""Building a dataset folder: complete items whose audio matches their labels, bit-identical re-renders, resuming and
growing, the same bytes from any number of workers, and bad input (config, folder, full disk, kill) as one-line errors."""

import csv
import errno
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from dataset_fixtures import SMALL, folder_bytes

import cascade
from cascade.cli import main
from cascade.dataset import build, parse_config
from cascade.errors import DatasetError, OutputError

N = 4


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    report = build(root, N, parse_config(SMALL), workers=1)
    assert (report.built, report.skipped, report.items) == (N, 0, N)
    return root


@pytest.mark.slow
def test_items_are_complete_and_their_labels_match_the_files(reference):
    config = parse_config(json.loads((reference / "config.json").read_text()))
    classes = [c["name"] for c in json.loads((reference / "classes.json").read_text())]
    lines = (reference / "metadata.jsonl").read_text().splitlines()
    assert len(lines) == N
    for index, line in enumerate(lines):
        record = json.loads(line)
        assert record["index"] == index and record == json.loads((reference / "items" / f"{index:06d}.json").read_text())
        foa, rate = sf.read(reference / record["foa_file_name"], always_2d=True)
        binaural, _ = sf.read(reference / record["binaural_file_name"], always_2d=True)
        assert foa.shape == (16000, 4) and binaural.shape == (16000, 2) and rate == 16000
        assert sf.info(reference / record["foa_file_name"]).subtype == "PCM_24"
        rows = [[int(v) for v in row] for row in csv.reader((reference / record["dcase_csv"]).read_text().splitlines())]
        assert len(rows) == sum(e["labelled_frames"] for e in record["events"])
        for event in record["events"]:
            assert classes[event["class_index"]] == event["class"] and event["class"] in config.sounds.classes
            mine = [r[0] for r in rows if r[1] == event["class_index"] and r[2] == event["source_index"]]
            # labelled where the clip sounds: inside its span, the frame its last samples reach (delayed <= 15 ms) included
            first, last = round(event["start"] * 10), round((event["start"] + event["duration"]) * 10)
            assert len(mine) == event["labelled_frames"] > 0 and first <= min(mine) and max(mine) <= last


@pytest.mark.slow
def test_foa_points_where_the_labels_say(tmp_path):
    # one static source in the free field: the AmbiX intensity vector (W*Y, W*X, W*Z) points at it
    config = parse_config({**SMALL, "events": {"count": {"min": 1, "max": 1}, "duration": {"min": 1.0, "max": 1.0}},
                           "motion": {"fraction": 0.0}, "rooms": {"anechoic": 1.0}, "sounds": {"classes": ["knock", "dog"]}})
    build(tmp_path, 3, config, workers=1)
    for line in (tmp_path / "metadata.jsonl").read_text().splitlines():
        record = json.loads(line)
        foa, _ = sf.read(tmp_path / record["foa_file_name"], always_2d=True)
        w, y, z, x = foa.T
        azimuth = np.degrees(np.arctan2(np.dot(w, y), np.dot(w, x)))
        elevation = np.degrees(np.arctan2(np.dot(w, z), np.hypot(np.dot(w, x), np.dot(w, y))))
        event = record["events"][0]
        assert abs((azimuth - event["azimuth"] + 180) % 360 - 180) < 2.0
        assert elevation == pytest.approx(event["elevation"], abs=2.0)


@pytest.mark.slow
def test_a_resolved_scene_rerenders_bit_identically(reference, tmp_path):
    for index in range(N):
        scene = cascade.Scene.load(reference / "scenes" / f"{index:06d}.json")
        result = cascade.render_scene(scene, cache=False)
        result.save(tmp_path / "foa.wav", format="foa")
        result.save(tmp_path / "binaural.wav")
        assert (tmp_path / "foa.wav").read_bytes() == (reference / "foa" / f"{index:06d}.wav").read_bytes()
        assert (tmp_path / "binaural.wav").read_bytes() == (reference / "binaural" / f"{index:06d}.wav").read_bytes()


@pytest.mark.slow
def test_rerun_skips_finished_items_and_a_larger_n_grows_the_set(reference, tmp_path):
    root = tmp_path / "grow"
    build(root, 2, parse_config(SMALL), workers=1)
    stamps = {p: p.stat().st_mtime_ns for p in root.glob("foa/*.wav")}
    again = build(root, 2, workers=1)
    assert (again.built, again.skipped) == (0, 2)
    assert {p: p.stat().st_mtime_ns for p in root.glob("foa/*.wav")} == stamps
    grown = build(root, N, workers=1)
    assert (grown.built, grown.skipped, grown.items) == (N - 2, 2, N)
    assert folder_bytes(root) == folder_bytes(reference)


@pytest.mark.slow
def test_worker_processes_write_the_same_bytes(reference, tmp_path):
    report = build(tmp_path, N, parse_config(SMALL), workers=2)
    assert report.built == N
    assert folder_bytes(tmp_path) == folder_bytes(reference)


@pytest.mark.slow
def test_stems_are_the_mono_clips_where_their_events_sound(tmp_path):
    config = parse_config({**SMALL, "stems": True})
    build(tmp_path, 2, config, workers=1)
    for line in (tmp_path / "metadata.jsonl").read_text().splitlines():
        record = json.loads(line)
        assert len(record["stem_file_names"]) == record["num_events"]
        for name, event in zip(record["stem_file_names"], record["events"]):
            stem, rate = sf.read(tmp_path / name)
            assert stem.ndim == 1 and stem.size == 16000
            start, end = round(event["start"] * rate), round((event["start"] + event["duration"]) * rate)
            assert np.all(stem[:start] == 0) and np.all(stem[end:] == 0) and np.max(np.abs(stem[start:end])) > 1e-3


@pytest.mark.slow
def test_a_folder_keeps_its_config(reference):
    with pytest.raises(DatasetError, match="seed is 0 there, 5 here"):
        build(reference, N, seed=5)
    with pytest.raises(DatasetError, match=r"length is 1\.0 there, 2\.0 here"):
        build(reference, N, parse_config({**SMALL, "length": 2.0}))


def test_unusable_folders_are_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot create dataset folder"):
        build(tmp_path / "file" / "out", 1)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.tex").write_text("x")
    with pytest.raises(OutputError, match="already holds other files"):
        build(tmp_path / "busy", 1)


@pytest.mark.slow
def test_a_full_disk_keeps_the_finished_items(reference, tmp_path, monkeypatch, capsys):
    real = pathlib.Path.write_bytes

    def full_at_item_2(self, data):
        if self.name.startswith(".000002"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    root = tmp_path / "full"
    (tmp_path / "small.json").write_text(json.dumps(SMALL))
    monkeypatch.setattr(pathlib.Path, "write_bytes", full_at_item_2)
    assert main(["dataset", "build", str(root), "--n", str(N), "--config", str(tmp_path / "small.json"), "--workers", "1", "-q"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "No space left on device" in error and "finished items are kept" in error
    monkeypatch.undo()
    assert sorted(p.name for p in (root / "items").iterdir()) == ["000000.json", "000001.json"]
    assert not list(root.rglob("*000002*")) and not list(root.rglob("*.tmp"))
    assert len((root / "metadata.jsonl").read_text().splitlines()) == 2
    assert build(root, N, workers=1).built == N - 2
    assert folder_bytes(root) == folder_bytes(reference)


@pytest.mark.parametrize(("arguments", "words"), [
    (["--config", "{folder}/bad.json"], ["rooms.anechoic", "[0, 1]"]),
    (["--library", "{folder}/no-such-library"], ["library", "does not exist"]),
    (["--n", "-3"], ["--n", "0 or more"]),
    (["--engine", "ray", "--ray-address", "127.0.0.1:1", "--workers", "0"], ["--workers", "1 or more"]),
])
def test_bad_command_lines_are_one_line_and_exit_2(tmp_path, capsys, arguments, words):
    (tmp_path / "bad.json").write_text(json.dumps({"rooms": {"anechoic": 2}}))
    arguments = [a.format(folder=tmp_path) for a in arguments]
    command = ["dataset", "build", str(tmp_path / "out")] + (["--n", "2"] if "--n" not in arguments else []) + arguments
    assert main(command) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and error.startswith("cascade: error:")
    for word in words:
        assert word in error


def test_an_unwritable_folder_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["dataset", "build", str(tmp_path / "file" / "out"), "--n", "1"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "cannot create dataset folder" in error


@pytest.mark.slow
def test_a_killed_build_leaves_only_whole_items_and_a_rerun_finishes(tmp_path):
    root = tmp_path / "killed"
    (tmp_path / "small.json").write_text(json.dumps(SMALL))
    command = [sys.executable, "-m", "cascade.cli", "dataset", "build", str(root), "--n", "40", "--config", str(tmp_path / "small.json"),
               "--workers", "1", "-q"]
    process = subprocess.Popen(command, cwd=pathlib.Path(__file__).parents[1], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((root / "items").glob("*.json"))) < 3 and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = sorted(int(p.stem) for p in (root / "items").glob("*.json"))
    assert 3 <= len(finished) < 40
    for index in finished:
        record = json.loads((root / "items" / f"{index:06d}.json").read_text())
        for key in ("foa_file_name", "binaural_file_name"):
            assert sf.info(root / record[key]).frames == 16000
        assert (root / record["scene"]).is_file() and (root / record["dcase_csv"]).is_file()
    kept = {i: (root / "foa" / f"{i:06d}.wav").read_bytes() for i in finished}
    report = build(root, 40, workers=1)
    assert report.built == 40 - len(finished) and report.items == 40
    assert not list(root.rglob("*.tmp"))
    indices = [json.loads(line)["index"] for line in (root / "metadata.jsonl").read_text().splitlines()]
    assert indices == list(range(40))
    assert all((root / "foa" / f"{i:06d}.wav").read_bytes() == data for i, data in kept.items())
