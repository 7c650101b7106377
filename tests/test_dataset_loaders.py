"""Reading a built folder: Hugging Face `datasets` as an audio folder, and the project's torch Dataset."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from cascade.dataset import SpatialAudioDataset, build, collate, parse_config
from cascade.errors import DatasetError

pytestmark = pytest.mark.slow  # every test reads a dataset folder built by the module's fixture (seconds)
N = 5


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("loaders")
    config = parse_config({"length": 1.0, "sample_rate": 16000, "events": {"count": {"min": 1, "max": 2}, "duration": {"min": 0.3, "max": 1.0}},
                           "sounds": {"classes": ["dog", "bird", "bell"]}, "stems": True, "license": "cc-by-4.0",
                           "rooms": {"anechoic": 0.5}, "ambience": {"fraction": 0.7}})
    build(root, N, config, workers=1)
    return root


def _records(root):
    return [json.loads(line) for line in (root / "metadata.jsonl").read_text().splitlines()]


def test_hugging_face_loads_the_folder_as_an_audio_folder(folder, tmp_path):
    import datasets  # seconds to import: only where used, so `pytest -m "not slow"` stays quick

    data = datasets.load_dataset("audiofolder", data_dir=str(folder), cache_dir=str(tmp_path / "hf"))
    train = data["train"]
    assert train.num_rows == N
    assert isinstance(train.features["foa"], datasets.Audio) and isinstance(train.features["binaural"], datasets.Audio)
    # datasets 3.x decodes through librosa, 4+ through torchcodec: read the paths it resolved instead
    paths = train.cast_column("foa", datasets.Audio(decode=False)).cast_column("binaural", datasets.Audio(decode=False))
    paths = paths.cast_column("stem", datasets.Sequence(datasets.Audio(decode=False)))
    for row, record in zip(paths, _records(folder)):
        assert row["foa"]["path"] == str(folder / record["foa_file_name"])
        foa, rate = sf.read(row["foa"]["path"], always_2d=True)
        assert foa.shape == (16000, 4) and rate == 16000
        assert row["caption"] == record["caption"] and row["caption_clock"] == record["caption_clock"]
        assert row["events"][0]["azimuth"] == record["events"][0]["azimuth"]
        assert row["room_dimensions"] == record["room_dimensions"] and row["class_indices"] == record["class_indices"]
        assert [s["path"] for s in row["stem"]] == [str(folder / name) for name in record["stem_file_names"]]


def test_the_documented_hugging_face_snippet_gives_ambix_and_binaural(folder, tmp_path, monkeypatch):
    pytest.importorskip("librosa")  # the hf extra: datasets 3.x decodes with soundfile and librosa
    text = (Path(__file__).resolve().parents[1] / "docs" / "dataset.md").read_text(encoding="utf-8")
    snippet = text[text.index("**Loading.** Hugging Face"):].split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "data").symlink_to(folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    scope: dict = {}
    exec(snippet, scope)
    first = _records(folder)[0]
    for column, channels in (("foa", 4), ("binaural", 2)):
        got = scope["item"][column]
        on_disk, rate = sf.read(folder / first[f"{column}_file_name"], always_2d=True)
        assert got["array"].shape == (channels, 16000) and got["sampling_rate"] == rate == 16000
        assert np.allclose(got["array"], on_disk.T, atol=1e-6)


def test_the_dataset_card_declares_what_hugging_face_reads(folder, tmp_path):
    import datasets
    import yaml

    text = (folder / "README.md").read_text()
    assert text.startswith("---\n")
    header = yaml.safe_load(text.split("---\n")[1])
    assert header["license"] == "cc-by-4.0" and header["dataset_info"]["splits"] == [{"name": "train", "num_examples": N}]
    records = _records(folder)
    assert any(r["bed"] for r in records) and any(not r["bed"] for r in records) and any(not r["anechoic"] for r in records)
    inferred = datasets.load_dataset("audiofolder", data_dir=str(folder), cache_dir=str(tmp_path / "hf"))["train"].features
    assert datasets.Features._from_yaml_list(header["dataset_info"]["features"]) == inferred
    by_card = datasets.load_dataset(str(folder), cache_dir=str(tmp_path / "card"))["train"]  # the card's own config
    assert by_card.num_rows == N and by_card.features == inferred
    assert f"{N} synthetic scenes" in text and "## How it was made" in text


def test_torch_dataset_yields_audio_captions_and_labels(folder):
    records = _records(folder)
    data = SpatialAudioDataset(folder, kind="foa")
    assert len(data) == N
    example = data[2]
    foa, _ = sf.read(folder / records[2]["foa_file_name"], always_2d=True, dtype="float32")
    assert example["audio"].dtype == torch.float32 and example["audio"].shape == (4, 16000)
    assert np.array_equal(example["audio"].numpy(), foa.T)
    assert example["caption"] == records[2]["caption"] and example["captions"]["general"] == records[2]["caption_general"]
    event = records[2]["events"][0]
    assert example["events"][0].tolist() == pytest.approx([event["start"], event["duration"], event["azimuth"], event["elevation"],
                                                           event["distance"], event["end_azimuth"], event["end_elevation"],
                                                           event["end_distance"], event["gain_db"]])
    assert example["class_indices"].tolist() == records[2]["class_indices"]
    assert [data.classes[i] for i in example["class_indices"]] == [e["class"] for e in records[2]["events"]]
    assert example["room"].tolist() == pytest.approx([*records[2]["room_dimensions"], records[2]["rt60"]])


def test_binaural_resampled_cut_and_batched(folder):
    data = SpatialAudioDataset(folder, kind="binaural", sample_rate=8000, max_seconds=0.5)
    batch = next(iter(torch.utils.data.DataLoader(data, batch_size=3, collate_fn=collate)))
    assert batch["audio"].shape == (3, 2, 4000) and batch["room"].shape == (3, 4)
    assert batch["sample_rate"].tolist() == [8000] * 3 and len(batch["caption"]) == 3


def test_single_event_items_carry_their_condition(folder):
    records = [r for r in _records(folder) if r["num_events"] == 1]
    data = SpatialAudioDataset(folder, single_event=True)
    assert len(data) == len(records) > 0
    condition = data[0]["event"]
    event = records[0]["events"][0]
    assert condition["prompt"] == event["prompt"] and condition["azimuth"] == event["azimuth"]
    assert (condition["start"], condition["duration"], condition["length"]) == (event["start"], event["duration"], 1.0)


def test_a_folder_without_a_manifest_is_a_one_line_error(tmp_path):
    with pytest.raises(DatasetError, match=r"metadata\.jsonl does not exist"):
        SpatialAudioDataset(tmp_path)
