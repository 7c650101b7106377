"""A STARSS23-preset build read the way the DCASE 2024 task 3 baseline reads its data: label rows by its
`load_output_format_file` (6 columns, distances in cm, cm2m), audio by scipy's wavfile divided by 32768 (16-bit),
both re-implemented here from the baseline's code as documented, with nothing edited but its class count (13)."""

import json

import numpy as np
import pytest
import soundfile as sf
from scipy.io import wavfile

from cascade.dataset import build, parse_config
from cascade.scene import Scene

pytestmark = pytest.mark.slow  # builds a folder (seconds)
UNIQUE_CLASSES = 13  # the baseline's parameters.py
N = 4
# STARSS23's classes by index, and which of ours (or which voice) each event must land on
STARSS23 = ["female speech", "male speech", "clapping", "telephone", "laughter", "domestic sounds", "footsteps", "door open/close",
            "music", "musical instrument", "water tap", "bell", "knock"]
EXPECTED = {("speech", "a woman speaks"): 0, ("speech", "a man speaks"): 1, ("applause", None): 2, ("phone", None): 3, ("laughter", None): 4,
            ("footsteps", None): 6, ("door", None): 7, ("drip", None): 10, ("bell", None): 11, ("doorbell", None): 11, ("knock", None): 12}


def load_output_format_file(path, cm2m=False):
    """The baseline's label reader: frame -> list of [class, source, azimuth, elevation, distance] (6-column rows)."""
    output = {}
    with open(path) as file:
        for line in file:
            words = line.strip().split(",")
            frame = int(words[0])
            output.setdefault(frame, [])
            assert len(words) == 6, f"the baseline reads 6-column rows with distance, got {line!r}"
            distance = float(words[5]) / 100 if cm2m else float(words[5])
            output[frame].append([int(words[1]), int(words[2]), float(words[3]), float(words[4]), distance])
    return output


def load_audio(path, channels=4):
    """The baseline's audio reader: scipy's wavfile, the first `channels` channels divided by 32768."""
    rate, audio = wavfile.read(path)
    return rate, audio, audio[:, :channels] / 32768.0 + np.finfo(float).eps


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("starss23")
    build(root, N, parse_config({"preset": "starss23", "motion": {"fraction": 0.0}}), workers=1)
    return root


def test_audio_is_what_the_baseline_expects(folder):
    for line in (folder / "metadata.jsonl").read_text().splitlines():
        record = json.loads(line)
        rate, raw, audio = load_audio(folder / record["foa_file_name"])
        assert rate == 24000 and raw.dtype == np.int16 and audio.shape[1] == 4
        assert audio.shape[0] >= 4 * rate  # items of 4 s or more
        assert np.max(np.abs(audio)) <= 1.0 and np.max(np.abs(audio)) > 0.01  # full scale 1, as 16-bit PCM / 32768
        reference, _ = sf.read(folder / record["foa_file_name"], dtype="float64")
        assert np.max(np.abs(audio - reference)) < 1e-12


def test_label_rows_parse_with_starss23_classes_units_and_directions(folder):
    rows = 0
    for line in (folder / "metadata.jsonl").read_text().splitlines():
        record = json.loads(line)
        scene = Scene.load(folder / record["scene"])
        labels = load_output_format_file(folder / record["dcase_csv"], cm2m=True)
        assert labels and max(labels) < round(record["length"] * 10)
        for event in record["events"]:
            voice = event["prompt"] if event["class"] == "speech" else None
            assert event["dcase_class_index"] == EXPECTED[(event["class"], voice)], STARSS23[event["dcase_class_index"]]
        for entries in labels.values():
            for class_index, source, azimuth, elevation, distance in entries:
                assert 0 <= class_index < UNIQUE_CLASSES and source >= 0
                matches = [e for e in record["events"] if e["dcase_class_index"] == class_index and e["source_index"] == source]
                assert len(matches) == 1
                truth = scene.event(matches[0]["id"]).position
                assert distance == pytest.approx(truth.distance, abs=0.005)  # cm in the file, metres after cm2m
                # the baseline's polar -> Cartesian: x front, y left, z up
                got = np.array([np.cos(np.radians(azimuth)) * np.cos(np.radians(elevation)),
                                np.sin(np.radians(azimuth)) * np.cos(np.radians(elevation)), np.sin(np.radians(elevation))])
                want = np.array([np.cos(np.radians(truth.azimuth)) * np.cos(np.radians(truth.elevation)),
                                 np.sin(np.radians(truth.azimuth)) * np.cos(np.radians(truth.elevation)), np.sin(np.radians(truth.elevation))])
                assert float(got @ want) > np.cos(np.radians(1.0))
                rows += 1
    assert rows > 20


def test_the_folder_says_what_it_is(folder):
    config = json.loads((folder / "config.json").read_text())
    assert config["preset"] == "starss23" and config["bit_depth"] == "16" and config["labels"]["class_map"] == "starss23"
    assert sf.info(folder / "foa" / "000000.wav").subtype == "PCM_16"
    assert "STARSS23's 13 classes" in (folder / "README.md").read_text()


def test_the_command_line_preset(tmp_path, capsys):
    from cascade.cli import main

    assert main(["dataset", "build", str(tmp_path / "out"), "--n", "1", "--preset", "starss23", "--workers", "1", "-q"]) == 0
    assert json.loads((tmp_path / "out" / "config.json").read_text())["preset"] == "starss23"
    (tmp_path / "c.json").write_text("{}")
    assert main(["dataset", "build", str(tmp_path / "other"), "--n", "1", "--preset", "starss23", "--config", str(tmp_path / "c.json")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "--preset goes without --config" in error
