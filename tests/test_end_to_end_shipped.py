"""The shipped learned models: within the size budget with their records, and the parametric model puts held-out
sources on the side it is asked for (left or right, from the intensity vector of what it generates)."""

import numpy as np
import pytest

from cascade.end_to_end.checkpoints import SHIPPED, load
from cascade.end_to_end.conditioning import MODES
from cascade.end_to_end.data import TRAINING_CLASSES
from cascade.end_to_end.pipeline import EndToEnd
from cascade.metrics import foa_doa
from cascade.wordings import seen_wordings

ITEMS = 24


def test_shipped_checkpoints_and_their_records_fit_in_40_mb():
    files = [SHIPPED / f"dit_{mode}.pt" for mode in MODES]
    assert all(f.is_file() and f.with_suffix(".json").is_file() and f.with_suffix(".png").is_file() for f in files)
    assert sum(f.stat().st_size for f in SHIPPED.iterdir()) < 40e6


def test_the_end_to_end_and_cascade_models_had_the_same_budget():
    """Same network size, training examples, batch and steps for the three DiTs (the matched-budget comparison)."""
    payloads = [load(SHIPPED / f"dit_{mode}.pt", "dit") for mode in MODES]
    assert len({p["step"] for p in payloads}) == 1 and payloads[0]["step"] >= 10_000
    assert len({p["meta"]["train_items"] for p in payloads}) == 1 and len({p["meta"]["batch_per_process"] for p in payloads}) == 1
    assert len({(p["config"]["dit"]["width"], p["config"]["dit"]["depth"], p["config"]["dit"]["patch"]) for p in payloads}) == 1


@pytest.mark.slow
def test_parametric_model_puts_held_out_sources_in_the_requested_hemisphere():
    rng = np.random.default_rng(2024)  # directions, prompts and seeds no training set was drawn with
    side = np.where(np.arange(ITEMS) % 2 == 0, 1.0, -1.0)
    azimuth = side * rng.uniform(20.0, 160.0, ITEMS)  # at least 20 degrees off the median plane
    elevation = rng.uniform(-30.0, 45.0, ITEMS)
    prompts = [seen_wordings(TRAINING_CLASSES[int(k)])[0] for k in rng.integers(0, len(TRAINING_CLASSES), ITEMS)]
    numbers = [(a, e, float(rng.uniform(1.0, 4.0)), float("nan"), float("nan"), 0.5, 3.0, -6.0) for a, e in zip(azimuth, elevation)]
    foa = EndToEnd("parametric").generate(prompts, numbers, list(range(1000, 1000 + ITEMS)))
    measured = np.array([foa_doa(f)[0] for f in foa])
    right_side = np.sign(np.sin(np.radians(measured))) == side
    assert right_side.mean() >= 0.8, f"{right_side.sum()} of {ITEMS} on the requested side"
