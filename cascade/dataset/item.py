"""One dataset item: drawn, rendered through the pipeline object, and encoded as the bytes of its files.

Layout of item i (six digits, more past 999,999), every path relative to the dataset folder:

    foa/000123.wav        AmbiX FOA (W, Y, Z, X; SN3D), 4 channels
    binaural/000123.wav   binaural, 2 channels (left, right)
    stems/000123_e0.wav   each event's mono clip, placed in time, with its gain and the mix level (config.stems)
    dcase/000123.csv      DCASE / STARSS23 metadata (see cascade.dataset.labels)
    scenes/000123.json    the resolved scene: re-renders to the same samples
    items/000123.json     captions and labels, the item's line of metadata.jsonl; written last, so an item
                          exists exactly when this file does

Rendering happens wherever the item is computed (this process, a worker process, a Ray node); only
bytes travel back to the process that writes the folder.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from cascade.dataset.captions import FORMS, event_caption, item_captions
from cascade.dataset.config import DatasetConfig
from cascade.dataset.labels import dcase_csv, dcase_rows, event_labels, room_labels, source_indices
from cascade.dataset.sampler import sample_scene
from cascade.files import audio_format
from cascade.pipeline import Cascade
from cascade.result import RenderResult

RECORD_FOLDER = "items"
FOLDERS = ("foa", "binaural", "stems", "dcase", "scenes", RECORD_FOLDER)


def item_name(index: int) -> str:
    return f"{index:06d}"


def record_path(root: Path, index: int) -> Path:
    """The file whose presence marks item `index` as finished."""
    return root / RECORD_FOLDER / f"{item_name(index)}.json"


@dataclass(frozen=True)
class ItemFiles:
    """An item's files as (relative path, bytes), in the order to commit them (the record last), and the seconds its
    parts took: drawing, the pipeline's stages, labels and file encoding."""

    index: int
    files: list[tuple[str, bytes]]
    seconds: dict[str, float] = field(default_factory=dict)


def _wav(audio: np.ndarray, sample_rate: int, bit_depth: str) -> bytes:
    audio = np.atleast_2d(audio)
    container, subtype = audio_format(Path("item.wav"), audio.shape[0], bit_depth)
    buffer = io.BytesIO()
    sf.write(buffer, audio.T, sample_rate, format=container, subtype=subtype)
    return buffer.getvalue()


def _stem(result: RenderResult, event_id: str, start: float, gain_db: float) -> np.ndarray:
    """The event's mono clip at its start in an item-length buffer, with its gain and the gain the AmbiX mix got
    (a mono clip is what the W channel carries)."""
    rate, length = result.sample_rate, result.binaural.shape[-1]
    mix_db = result.mix_report.ambix.gain_db if result.mix_report else 0.0
    clip = result.clips[event_id] * np.float32(10.0 ** ((gain_db + mix_db) / 20.0))
    offset = int(round(start * rate))
    out = np.zeros(length, dtype=np.float32)
    take = max(0, min(clip.size, length - offset))
    out[offset:offset + take] = clip[:take]
    return out


class ItemRenderer:
    """Renders items of one config; holds one `cascade.Cascade` (models stay loaded between items).

    No clip cache: every clip of a dataset is new (its own seed), so caching would only fill the disk.
    """

    def __init__(self, config: DatasetConfig) -> None:
        self.config = config
        options = dict(config.sounds.generator_options)
        if config.sounds.library is not None:
            options["library"] = {**options.get("library", {}), "folder": config.sounds.library}
        self.pipeline = Cascade(generator_options=options, cache=False, workers=1, mix="physical")
        self.class_index = {name: k for k, name in enumerate(config.sounds.classes)}

    def __call__(self, index: int) -> ItemFiles:
        config = self.config
        began = time.perf_counter()
        draw = sample_scene(config, index)
        drawn = time.perf_counter()
        result = self.pipeline(draw.scene)
        rendered = time.perf_counter()
        scene = result.scene
        name = item_name(index)
        class_indices = [self.class_index[c] for c in draw.classes]
        sources = source_indices(draw.classes)
        files = [(f"foa/{name}.wav", _wav(result.foa, scene.sample_rate, config.bit_depth)),
                 (f"binaural/{name}.wav", _wav(result.binaural, scene.sample_rate, config.bit_depth))]
        if config.stems:
            files += [(f"stems/{name}_{e.id}.wav", _wav(_stem(result, e.id, e.start, e.gain_db), scene.sample_rate, config.bit_depth))
                      for e in scene.events]
        files.append((f"dcase/{name}.csv", dcase_csv(dcase_rows(scene, class_indices, sources)).encode()))
        files.append((f"scenes/{name}.json", (scene.to_json() + "\n").encode()))
        record = self.record(index, draw.classes, class_indices, sources, result, [path for path, _ in files])
        files.append((f"{RECORD_FOLDER}/{name}.json", (json.dumps(record, ensure_ascii=False) + "\n").encode()))
        seconds = {"draw": drawn - began, **result.timings, "labels+encode": time.perf_counter() - rendered}
        return ItemFiles(index, files, seconds)

    def record(self, index: int, classes: list[str], class_indices: list[int], sources: list[int], result: RenderResult,
               paths: list[str]) -> dict[str, Any]:
        """The item's line of metadata.jsonl: file names, captions, item labels and one entry per event."""
        scene = result.scene
        prompts = [e.description for e in scene.events]
        events = []
        for event, name, class_index, source in zip(scene.events, classes, class_indices, sources):
            assert event.generation is not None
            entry: dict[str, Any] = {"id": event.id, "class": name, "class_index": class_index, "source_index": source,
                                     "prompt": event.description}
            entry.update({f"caption_{form}": event_caption(event.description, event, form, scene.room) for form in FORMS})
            entry.update(event_labels(event))
            entry.update({"backend": event.generation.backend, "seed": event.generation.seed})
            events.append(entry)
        record: dict[str, Any] = {"foa_file_name": paths[0], "binaural_file_name": paths[1]}
        if self.config.stems:
            record["stem_file_names"] = [p for p in paths if p.startswith("stems/")]
        record.update({"index": index, "scene": paths[-1], "dcase_csv": paths[-2]})
        record.update(item_captions(prompts, scene.events, scene.room))
        record.update({"length": float(scene.end), "sample_rate": scene.sample_rate, "num_events": len(events)})
        record.update(room_labels(scene.room))
        record.update({"class_indices": class_indices, "events": events})
        return record
