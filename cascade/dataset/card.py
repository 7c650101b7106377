"""The dataset card: README.md with the Hugging Face YAML header (license, tags, the audio-folder config, the
features of every metadata.jsonl column) and a body that says what the folder holds and how it was made.
"""

from __future__ import annotations

import json
from typing import Any

from cascade.dataset.config import DatasetConfig
from cascade.dataset.summary import Summary

EVENT_FEATURES: list[tuple[str, str]] = [
    ("id", "string"), ("class", "string"), ("class_index", "int64"), ("dcase_class_index", "int64"), ("source_index", "int64"),
    ("prompt", "string"), ("caption_degrees", "string"), ("caption_clock", "string"), ("caption_general", "string"),
    ("start", "float64"), ("duration", "float64"), ("azimuth", "float64"), ("elevation", "float64"), ("distance", "float64"),
    ("end_azimuth", "float64"), ("end_elevation", "float64"), ("end_distance", "float64"), ("moving", "bool"), ("gain_db", "float64"),
    ("labelled_frames", "int64"), ("drr_db", "float64"), ("backend", "string"), ("seed", "int64")]
BED_FEATURES: list[tuple[str, str]] = [("class", "string"), ("prompt", "string"), ("level_db", "float64"), ("gain_db", "float64")]
COLUMNS = (  # metadata.jsonl column (as the audio folder names it), what it holds
    ("foa", "AmbiX first-order ambisonics, 4 channels W, Y, Z, X (ACN order, SN3D)"),
    ("binaural", "binaural, 2 channels (left, right)"),
    ("stem", "each labelled event's mono clip, placed in time (only when built with stems)"),
    ("index", "item number"), ("scene", "the resolved scene file: it re-renders to the same samples"),
    ("dcase_csv", "DCASE / STARSS23 label file: frame (100 ms), class, source, azimuth, elevation (degrees), distance (cm)"),
    ("caption", "plain caption, e.g. 'a dog barks, then a bird chirps'"),
    ("caption_degrees / caption_clock / caption_general", "spatial captions with directions in degrees, clock hours, or words"),
    ("length, sample_rate, num_events", "seconds, Hz, labelled events"),
    ("anechoic, room_dimensions, rt60", "free field or a shoebox room (x front, y left, z up; m) and its RT60 (s)"),
    ("class_indices", "each labelled event's index into classes.json"),
    ("events", "per labelled event: class, prompt, captions, start and duration (s), start and end azimuth / elevation "
               "(degrees, +90 = left, + up) and distance (m), gain (dB), labelled frames, DRR estimate (dB; null in the free field), "
               "generator backend and seed"),
    ("bed", "the unlabelled ambience bed (class, prompt, level re the events and gain, dB), or null"),
)


def _item_features(stems: bool) -> list[dict[str, Any]]:
    scalar = [("index", "int64"), ("scene", "string"), ("dcase_csv", "string"), ("caption", "string"), ("caption_degrees", "string"),
              ("caption_clock", "string"), ("caption_general", "string"), ("length", "float64"), ("sample_rate", "int64"),
              ("num_events", "int64"), ("anechoic", "bool")]
    features: list[dict[str, Any]] = [{"name": "foa", "dtype": "audio"}, {"name": "binaural", "dtype": "audio"}]
    if stems:
        features.append({"name": "stem", "sequence": "audio"})
    features += [{"name": name, "dtype": dtype} for name, dtype in scalar]
    features += [{"name": "room_dimensions", "sequence": "float64"}, {"name": "rt60", "dtype": "float64"},
                 {"name": "class_indices", "sequence": "int64"},
                 {"name": "events", "list": [{"name": n, "dtype": d} for n, d in EVENT_FEATURES]},
                 {"name": "bed", "struct": [{"name": n, "dtype": d} for n, d in BED_FEATURES]}]
    return features


def _size_category(items: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if items < limit:
            return name
    return "1M<n<10M"


def header(config: DatasetConfig, items: int) -> dict[str, Any]:
    """The card's YAML header as data."""
    return {"license": config.license, "pretty_name": "Spatial audio scenes (cascade dataset builder)",
            "task_categories": ["audio-classification", "text-to-audio"],
            "tags": ["spatial-audio", "ambisonics", "foa", "binaural", "sound-event-localization-and-detection", "synthetic"],
            "size_categories": [_size_category(items)],
            "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": ["metadata.jsonl", "foa/*.wav", "binaural/*.wav",
                                                                                           *(["stems/*.wav"] if config.stems else [])]}]}],
            "dataset_info": {"features": _item_features(config.stems), "splits": [{"name": "train", "num_examples": items}]}}


def _made(config: DatasetConfig) -> list[str]:
    rooms, labels, ambience = config.rooms, config.labels, config.ambience
    room_line = (f"{100 * (1 - rooms.anechoic):.0f} % of items in a shoebox room ({rooms.x.min:g}-{rooms.x.max:g} x {rooms.y.min:g}-"
                 f"{rooms.y.max:g} x {rooms.z.min:g}-{rooms.z.max:g} m), listener at its centre; RT60 "
                 + ("drawn around the value furnished rooms of that volume have (DIN 18041 A2 median, "
                    f"sigma of ln RT60 {rooms.rt60_spread:g})" if rooms.rt60_model == "volume" else "uniform")
                 + f" within {rooms.rt60.min:g}-{rooms.rt60.max:g} s")
    label_line = ("labels where each event's own clip sounds (frames within "
                  f"{labels.threshold_db:g} dB of its loudest, gaps under {labels.bridge:g} s bridged)" if labels.policy == "activity"
                  else "labels over each event's scheduled span")
    if labels.class_map == "starss23":
        label_line += "; CSV class indices are STARSS23's 13 classes"
    return [f"- {config.sample_rate} Hz, {config.bit_depth}-bit WAV, {config.length:g} s items, {config.events.count.min:g}-"
            f"{config.events.count.max:g} events each, {config.loudness:g} LUFS binaural mix",
            f"- clips: the '{config.sounds.generator}' generator" + (f" (speech: '{config.sounds.speech_generator}')"
                                                                     if config.sounds.speech_generator else ""),
            f"- rendering: the '{config.renderer}' binaural renderer ({'MIT KEMAR' if config.hrtf is None else config.hrtf}); "
            "FOA encoded from the same source paths",
            f"- sources {config.distance.min:g}-{config.distance.max:g} m away (inside the walls in a room), "
            f"{100 * config.motion.fraction:.0f} % moving ({config.motion.speed.min:g}-{config.motion.speed.max:g} degrees/s)",
            f"- {room_line}",
            f"- {label_line}",
            f"- ambience beds (diffuse, unlabelled) in {100 * ambience.fraction:.0f} % of items, "
            f"{ambience.level_db.min:g} to {ambience.level_db.max:g} dB re the events",
            f"- dataset seed {config.seed}: item i depends only on the config and i (config.json)"]


def to_yaml(value: Any, indent: int = 0) -> list[str]:
    """Block-style YAML lines of mappings, lists, strings (JSON-quoted, which YAML reads as they are) and numbers (no pyyaml)."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines += [f"{pad}{key}:", *to_yaml(item, indent + 2)]
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            inner = to_yaml(item, indent + 2) if isinstance(item, (dict, list)) and item else [f"{pad}  {_scalar(item)}"]
            lines += [f"{pad}- {inner[0].lstrip()}", *inner[1:]]
        return lines
    return [f"{pad}{_scalar(value)}"]


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(str(value), ensure_ascii=False)


def card_text(config: DatasetConfig, summary: Summary) -> str:
    """README.md of a dataset folder."""
    drr = summary.drr()
    lines = ["---", *to_yaml(header(config, summary.items)), "---", "",
             "# Spatial audio scenes", "",
             f"{summary.items} synthetic scenes ({summary.events} labelled sound events, {summary.moving} of them moving) rendered "
             "as first-order ambisonics (AmbiX) and binaural audio, with DCASE / STARSS23 label files and spatial captions. "
             "Made by the cascade dataset builder (`cascade dataset build`); `summary.png` shows the classes, directions, distances, "
             "RT60s and direct-to-reverberant ratios.", "",
             "## How it was made", "", *_made(config), "",
             "## Files and columns", "",
             "Load it with `datasets.load_dataset(\"audiofolder\", data_dir=...)` (or this folder's path), or with "
             "`cascade.dataset.SpatialAudioDataset`. Classes by index: `classes.json`.", "",
             "| column | holds |", "| --- | --- |", *(f"| {name} | {what} |" for name, what in COLUMNS), "",
             "Conventions: azimuth counter-clockwise, 0 = ahead, +90 = left; elevation + up; distance from the head centre.", "",
             "## Figures", "",
             "- events per class: " + ", ".join(f"{name} {count}" for name, count in summary.classes.most_common() if count),
             f"- items without a room: {summary.anechoic}; with an ambience bed: {sum(summary.beds.values())}"]
    if drr["events"]:
        lines.append(f"- DRR of events in rooms (Sabine estimate): median {drr['median_db']:.1f} dB, quartiles {drr['quartiles_db'][0]:.1f} / "
                     f"{drr['quartiles_db'][1]:.1f} dB, {100 * drr['share_below_0db']:.0f} % below 0 dB")
    lines += ["", "## License", "",
              f"`{config.license}` (the config's `license`). The clips' rights follow their generator: procedural and espeak-ng clips "
              "are made by code; a sample library's or a model's outputs carry their own terms.", ""]
    return "\n".join(lines)
