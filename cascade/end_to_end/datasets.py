"""Training folders as `Example` windows: a dataset builder folder (metadata.jsonl, read through its torch Dataset,
one-event items only) or the `synth` verb's examples.npz.

A builder item becomes one window of its full length at the model's rate: its event's plain prompt, its caption
in the builder's general direction form (the descriptive condition), its direction, distance and room, its
start and duration. Windows whose W channel is silent (below SILENT_DBFS RMS) are left out: they teach nothing
and would divide the codec's relative losses by zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cascade.end_to_end.checkpoints import CheckpointError
from cascade.end_to_end.data import CAPTION_FORM, Example, load_examples

SYNTHETIC = "examples.npz"
BUILDER = "metadata.jsonl"
SILENT_DBFS = -60.0


def _sounding(w: np.ndarray) -> bool:
    return float(np.sqrt(np.mean(w.astype(np.float64) ** 2))) > 10 ** (SILENT_DBFS / 20)


def _builder_examples(folder: Path, sample_rate: int) -> list[Example]:
    from tqdm import tqdm

    from cascade.dataset.torch_dataset import SpatialAudioDataset

    data = SpatialAudioDataset(folder, kind="foa", sample_rate=sample_rate, single_event=True)
    if len(data) == 0:
        raise CheckpointError(f"{folder} holds no one-event items; the end-to-end model is conditioned per event "
                              "(build with events.count 1, e.g. cascade/end_to_end/configs/dataset.json)")
    examples = []
    for k in tqdm(range(len(data)), desc="read", unit="item"):
        item = data[k]
        event, room = item["event"], item["room"].tolist()
        volume, rt60 = (None, None) if item["anechoic"] else (float(np.prod(room[:3])), float(room[3]))
        examples.append(Example(item["audio"].numpy(), event["prompt"], item["event_captions"][0][CAPTION_FORM], float(event["azimuth"]),
                                float(event["elevation"]), float(event["distance"]), volume, rt60, float(event["start"]),
                                float(event["duration"])))
    return examples


def training_examples(folder: Path, sample_rate: int) -> list[Example]:
    """The sounding labelled windows of `folder` (a builder folder or a synth folder) at `sample_rate` Hz."""
    folder = Path(folder)
    if (folder / BUILDER).is_file():
        examples = _builder_examples(folder, sample_rate)
    elif (folder / SYNTHETIC).is_file():
        examples = load_examples(folder / SYNTHETIC)
    else:
        raise CheckpointError(f"{folder} holds neither a built dataset ({BUILDER}: cascade dataset build) "
                              f"nor {SYNTHETIC} (cascade train-e2e synth)")
    return [e for e in examples if _sounding(e.foa[0])]


def training_audio(folder: Path, sample_rate: int) -> tuple[np.ndarray, str]:
    """The sounding FOA windows of `folder` as (k, 4, n) float16 at `sample_rate`, and a one-line note of their source."""
    folder = Path(folder)
    if (folder / SYNTHETIC).is_file():
        with np.load(folder / SYNTHETIC) as data:
            foa = data["foa"]
        keep = np.array([_sounding(w) for w in foa[:, 0]])
        foa = foa[keep]
    else:
        foa = np.stack([e.foa for e in training_examples(folder, sample_rate)]).astype(np.float16)
    return foa, f"{foa.shape[0]} windows of {foa.shape[-1] / sample_rate:g} s from {folder}"
