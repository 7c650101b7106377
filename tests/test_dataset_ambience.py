"""Ambience beds in a built dataset: diffuse, unlabelled, at the configured loudness re the events (measured by rendering
the item's scene file with the events alone and with the bed alone)."""

import csv
import json

import pytest
from dataset_fixtures import SMALL

import cascade
from cascade.dataset import build, parse_config

pytestmark = pytest.mark.slow  # builds a folder and renders its scenes again (seconds)


def test_beds_are_diffuse_unlabelled_and_at_their_level(tmp_path):
    config = parse_config({**SMALL, "ambience": {"fraction": 1.0, "classes": ["rain", "wind"], "level_db": {"min": -12.0, "max": -12.0}}})
    build(tmp_path, 3, config, workers=1)
    classes = [c["name"] for c in json.loads((tmp_path / "classes.json").read_text())]
    assert "rain" not in classes and "wind" not in classes
    for line in (tmp_path / "metadata.jsonl").read_text().splitlines():
        record = json.loads(line)
        bed = record["bed"]
        assert bed["class"] in ("rain", "wind") and bed["level_db"] == -12.0
        scene = cascade.Scene.load(tmp_path / record["scene"])
        bed_event = scene.events[-1]
        assert bed_event.diffuse and bed_event.start == 0.0 and bed_event.duration == 1.0 and bed_event.gain_db == bed["gain_db"]
        assert len(scene.events) == record["num_events"] + 1 and [e["id"] for e in record["events"]] == [e.id for e in scene.events[:-1]]
        rows = list(csv.reader((tmp_path / record["dcase_csv"]).read_text().splitlines()))
        assert len(rows) == sum(e["labelled_frames"] for e in record["events"])  # no row for the bed
        alone = {}
        for part, events in (("events", scene.events[:-1]), ("bed", scene.events[-1:])):
            result = cascade.render_scene(scene.model_copy(update={"events": events}), cache=False)
            alone[part] = result.mix_report.binaural.loudness_before  # LUFS before the mix's own levelling
        assert alone["bed"] - alone["events"] == pytest.approx(-12.0, abs=0.1)
