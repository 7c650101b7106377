"""Labels where the source sounds, measured on real builds: in single-event anechoic items the one source is the whole
W channel, so a labelled frame whose W level is 30 dB or more under the item's loudest frame is a label on silence."""

import csv
import json

import numpy as np
import pytest
import soundfile as sf

from cascade.dataset import build, parse_config

pytestmark = pytest.mark.slow  # builds two folders (seconds)
SPARSE = {"length": 2.0, "sample_rate": 16000, "events": {"count": {"min": 1, "max": 1}, "duration": {"min": 1.0, "max": 2.0}},
          "rooms": {"anechoic": 1.0}, "sounds": {"classes": ["dog", "clock", "knock", "drip", "bird", "door"]}}


def _share_silent(root):
    """Share of labelled frames (CSV rows) whose W power is 30 dB or more under the item's loudest 100 ms frame."""
    silent = labelled = 0
    for line in (root / "metadata.jsonl").read_text().splitlines():
        record = json.loads(line)
        foa, rate = sf.read(root / record["foa_file_name"], always_2d=True)
        hop = rate // 10
        power = np.mean(foa[:, 0].reshape(-1, hop) ** 2, axis=1)
        frames = [int(row[0]) for row in csv.reader((root / record["dcase_csv"]).read_text().splitlines())]
        silent += sum(power[f] <= power.max() * 1e-3 for f in frames)
        labelled += len(frames)
    return silent / labelled, labelled


def test_at_most_5_percent_of_labelled_frames_are_30_db_under_the_source_peak(tmp_path):
    activity, rows = _share_silent(_built(tmp_path / "activity", "activity"))
    scheduled, scheduled_rows = _share_silent(_built(tmp_path / "scheduled", "scheduled"))
    assert rows > 100 and activity <= 0.05
    assert scheduled > 0.10 and scheduled_rows > rows  # the same items labelled over their scheduled spans: silence labelled


def _built(root, policy):
    build(root, 16, parse_config({**SPARSE, "labels": {"policy": policy}}), workers=1)
    return root
