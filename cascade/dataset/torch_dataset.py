"""A torch Dataset over a built dataset folder (its metadata.jsonl), for training on the items.

    data = SpatialAudioDataset("out", kind="foa")
    example = data[0]
    example["audio"]          # float32 tensor (4, samples): AmbiX W, Y, Z, X (SN3D); kind="binaural": (2, samples)
    loader = torch.utils.data.DataLoader(data, batch_size=8, collate_fn=collate)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from cascade.audio import read_audio, resample
from cascade.errors import DatasetError

MANIFEST = "metadata.jsonl"
EVENT_FIELDS = ("start", "duration", "azimuth", "elevation", "distance", "end_azimuth", "end_elevation", "end_distance", "gain_db")


class SpatialAudioDataset(Dataset):
    """Items of a dataset folder as dicts of tensors and text. A stable interface (the end-to-end model trains on it):

    - "audio": float32 tensor (channels, samples): kind "foa" gives AmbiX W, Y, Z, X (SN3D), "binaural" left, right;
      at `sample_rate` Hz (default: the files' rate, resampled with soxr otherwise), cut to `max_seconds` from the
      start when given (labels are not cut)
    - "sample_rate": int (Hz); "index": the item's index in the folder
    - "caption": the plain caption ("a dog barks, then a bird chirps"); "captions": {"degrees", "clock", "general"}
      item captions in DualSpec's three direction forms
    - "length": s, the item's total length; "room": float32 tensor (4,): x, y, z (m) and RT60 (s), all 0 without a
      room; "anechoic": bool
    - "class_indices": int64 tensor (events,), index into the folder's classes.json
    - "events": float32 tensor (events, 9): start, duration (s), azimuth, elevation (degrees; +90 = left, + up),
      distance (m) at the start, the same three at the end (equal for a static source), gain (dB)
    - "event_captions": list (per event) of {"prompt", "degrees", "clock", "general"}
    - with `single_event` True only one-event items are kept, and "event" adds that event flat, as the
      end-to-end model's condition: {"prompt", "class_index", "azimuth", "elevation", "distance", "start",
      "duration", "length", "room"} (floats; "room" a tensor as above)

    `classes` lists the class names by index (the folder's classes.json). `collate` batches these dicts (audio
    stacked, so items must have one length; text and events as lists).
    """

    def __init__(self, root: str | Path, kind: Literal["foa", "binaural"] = "foa", sample_rate: int | None = None,
                 max_seconds: float | None = None, single_event: bool = False) -> None:
        if kind not in ("foa", "binaural"):
            raise DatasetError(f"kind must be 'foa' or 'binaural', got {kind!r}")
        if max_seconds is not None and not max_seconds > 0:
            raise DatasetError(f"max_seconds must be a positive number of seconds, got {max_seconds!r}")
        self.root = Path(root)
        self.kind, self.sample_rate, self.max_seconds, self.single_event = kind, sample_rate, max_seconds, single_event
        manifest = self.root / MANIFEST
        if not manifest.is_file():
            raise DatasetError(f"{manifest} does not exist; build the dataset first: cascade dataset build {root} --n N")
        offsets = []
        with open(manifest, "rb") as file:
            position = 0
            for line in file:
                if line.strip() and (not single_event or json.loads(line)["num_events"] == 1):
                    offsets.append(position)
                position += len(line)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        classes = self.root / "classes.json"
        self.classes = [c["name"] for c in json.loads(classes.read_text(encoding="utf-8"))] if classes.is_file() else []

    def __len__(self) -> int:
        return int(self.offsets.size)

    def record(self, position: int) -> dict[str, Any]:
        """The metadata.jsonl entry of the `position`-th item of this dataset."""
        with open(self.root / MANIFEST, "rb") as file:
            file.seek(int(self.offsets[position]))
            return json.loads(file.readline())

    def __getitem__(self, position: int) -> dict[str, Any]:
        if not -len(self) <= position < len(self):
            raise IndexError(f"index {position} is out of range for {len(self)} items")
        record = self.record(position % len(self))
        audio, rate = read_audio(self.root / record[f"{self.kind}_file_name"])
        if self.sample_rate is not None and self.sample_rate != rate:
            audio, rate = resample(audio, rate, self.sample_rate), self.sample_rate
        if self.max_seconds is not None:
            audio = audio[:, : int(round(self.max_seconds * rate))]
        room = torch.tensor([*record["room_dimensions"], record["rt60"]], dtype=torch.float32)
        events = record["events"]
        example: dict[str, Any] = {
            "audio": torch.from_numpy(np.ascontiguousarray(audio)), "sample_rate": rate, "index": record["index"],
            "caption": record["caption"], "captions": {form: record[f"caption_{form}"] for form in ("degrees", "clock", "general")},
            "length": float(record["length"]), "room": room, "anechoic": bool(record["anechoic"]),
            "class_indices": torch.tensor(record["class_indices"], dtype=torch.int64),
            "events": torch.tensor([[e[f] for f in EVENT_FIELDS] for e in events], dtype=torch.float32).reshape(-1, len(EVENT_FIELDS)),
            "event_captions": [{"prompt": e["prompt"], **{form: e[f"caption_{form}"] for form in ("degrees", "clock", "general")}}
                               for e in events],
        }
        if self.single_event:
            event = events[0]
            example["event"] = {"prompt": event["prompt"], "class_index": event["class_index"], "azimuth": event["azimuth"],
                                "elevation": event["elevation"], "distance": event["distance"], "start": event["start"],
                                "duration": event["duration"], "length": float(record["length"]), "room": room}
        return example


def collate(batch: list[dict[str, Any]]) -> dict[str, Any]:
    """A batch of `SpatialAudioDataset` items: tensors of equal shape stacked, everything else as lists."""
    out: dict[str, Any] = {}
    for key in batch[0]:
        values = [example[key] for example in batch]
        if key in ("audio", "room"):
            out[key] = torch.stack(values)
        elif key in ("sample_rate", "length"):
            out[key] = torch.tensor(values)
        else:
            out[key] = values
    return out
