"""One dataset item: drawn, rendered through the pipeline object, and encoded as the bytes of its files.

Layout of item i (six digits, more past 999,999), every path relative to the dataset folder:

    foa/000123.wav        AmbiX FOA (W, Y, Z, X; SN3D), 4 channels
    binaural/000123.wav   binaural, 2 channels (left, right)
    stems/000123_e0.wav   each labelled event's mono clip, placed in time, with its gain and the mix level (config.stems)
    dcase/000123.csv      DCASE / STARSS23 metadata (see cascade.dataset.labels), labelled events only (no bed)
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

from cascade.dataset.beds import with_bed_level
from cascade.dataset.captions import FORMS, event_caption, item_captions
from cascade.dataset.config import DatasetConfig
from cascade.dataset.labels import active_frames, dcase_csv, dcase_rows, event_labels, frame_count, room_labels, sounding_frames, source_indices
from cascade.dataset.rooms import drr_db
from cascade.dataset.sampler import BED_ID, Draw, sample_scene
from cascade.dataset.starss23 import starss23_class
from cascade.files import audio_format
from cascade.geometry import SPEED_OF_SOUND
from cascade.pipeline import Cascade
from cascade.result import RenderResult
from cascade.scene import Scene, SoundEvent

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
        if draw.bed is not None:
            result = with_bed_level(result, BED_ID, draw.bed.level_db)
        rendered = time.perf_counter()
        scene = result.scene
        name = item_name(index)
        labelled = scene.events[:len(draw.classes)]
        class_indices = [self.class_index[c] for c in draw.classes]
        label_classes = self.label_classes(draw, class_indices)
        sources = source_indices(label_classes)
        frames = self.frames(result, labelled)
        files = [(f"foa/{name}.wav", _wav(result.foa, scene.sample_rate, config.bit_depth)),
                 (f"binaural/{name}.wav", _wav(result.binaural, scene.sample_rate, config.bit_depth))]
        if config.stems:
            files += [(f"stems/{name}_{e.id}.wav", _wav(_stem(result, e.id, e.start, e.gain_db), scene.sample_rate, config.bit_depth))
                      for e in labelled]
        labelled_scene = scene.model_copy(update={"events": labelled})
        files.append((f"dcase/{name}.csv", dcase_csv(dcase_rows(labelled_scene, label_classes, sources, frames)).encode()))
        files.append((f"scenes/{name}.json", (scene.to_json() + "\n").encode()))
        record = self.record(index, draw, class_indices, label_classes, sources, frames, result, [path for path, _ in files])
        files.append((f"{RECORD_FOLDER}/{name}.json", (json.dumps(record, ensure_ascii=False) + "\n").encode()))
        seconds = {"draw": drawn - began, **result.timings, "labels+encode": time.perf_counter() - rendered}
        return ItemFiles(index, files, seconds)

    def label_classes(self, draw: Draw, class_indices: list[int]) -> list[int]:
        """Each labelled event's class index in the DCASE CSV: its index in sounds.classes, or its STARSS23 class."""
        if self.config.labels.class_map == "none":
            return class_indices
        mapped = [starss23_class(name, event.description) for name, event in zip(draw.classes, draw.scene.events)]
        assert None not in mapped  # the config refuses classes without a STARSS23 class
        return [int(k) for k in mapped if k is not None]

    def frames(self, result: RenderResult, events: list[SoundEvent]) -> list[np.ndarray]:
        """Each event's labelled frames under the config's label policy."""
        labels, total = self.config.labels, frame_count(result.scene)
        if labels.policy == "scheduled":
            return [np.asarray(active_frames(e, total), dtype=np.int64) for e in events]
        return [sounding_frames(result.clips[e.id], result.sample_rate, e.start + e.position.distance / SPEED_OF_SOUND, total,
                                labels.threshold_db, labels.bridge) for e in events]

    def record(self, index: int, draw: Draw, class_indices: list[int], label_classes: list[int], sources: list[int],
               frames: list[np.ndarray], result: RenderResult, paths: list[str]) -> dict[str, Any]:
        """The item's line of metadata.jsonl: file names, captions, item labels, one entry per labelled event, the bed."""
        scene = result.scene
        labelled = scene.events[:len(draw.classes)]
        prompts = [e.description for e in labelled]
        events = []
        for event, name, class_index, label_class, source, frame in zip(labelled, draw.classes, class_indices, label_classes, sources,
                                                                         frames):
            assert event.generation is not None
            entry: dict[str, Any] = {"id": event.id, "class": name, "class_index": class_index, "dcase_class_index": label_class,
                                     "source_index": source, "prompt": event.description}
            entry.update({f"caption_{form}": event_caption(event.description, event, form, scene.room) for form in FORMS})
            entry.update(event_labels(event))
            entry["labelled_frames"] = int(frame.size)
            entry["drr_db"] = None
            if scene.room is not None:
                x, y, z = scene.room.dimensions
                entry["drr_db"] = round(drr_db(x * y * z, scene.room.rt60, event.position.distance), 2)
            entry.update({"backend": event.generation.backend, "seed": event.generation.seed})
            events.append(entry)
        record: dict[str, Any] = {"foa_file_name": paths[0], "binaural_file_name": paths[1]}
        if self.config.stems:
            record["stem_file_names"] = [p for p in paths if p.startswith("stems/")]
        record.update({"index": index, "scene": paths[-1], "dcase_csv": paths[-2]})
        record.update(item_captions(prompts, labelled, scene.room))
        record.update({"length": float(scene.end), "sample_rate": scene.sample_rate, "num_events": len(events)})
        record.update(room_labels(scene.room))
        record.update({"class_indices": class_indices, "events": events, "bed": _bed_record(scene, draw)})
        return record


def _bed_record(scene: Scene, draw: Draw) -> dict[str, Any] | None:
    """The unlabelled bed: class, prompt, loudness re the events (dB) and the gain that gave it (dB); None without one."""
    if draw.bed is None:
        return None
    event = scene.event(BED_ID)
    return {"class": draw.bed.name, "prompt": event.description, "level_db": draw.bed.level_db, "gain_db": event.gain_db}
