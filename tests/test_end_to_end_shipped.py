"""The shipped end-to-end checkpoints: within the size budget, and the parametric model puts held-out sources on the
side it is asked for (left or right, from the intensity vector of what it generates)."""

import numpy as np
import pytest

from cascade.end_to_end.checkpoints import SHIPPED
from cascade.end_to_end.conditioning import MODES
from cascade.end_to_end.pipeline import EndToEnd
from cascade.metrics import foa_doa
from cascade.taxonomy import CLASSES

ITEMS = 24


def test_shipped_checkpoints_and_their_records_fit_in_40_mb():
    files = [SHIPPED / "codec.pt"] + [SHIPPED / f"dit_{mode}.pt" for mode in MODES]
    assert all(f.is_file() and f.with_suffix(".json").is_file() and f.with_suffix(".png").is_file() for f in files)
    assert sum(f.stat().st_size for f in SHIPPED.iterdir()) < 40e6


@pytest.mark.slow
def test_parametric_model_puts_held_out_sources_in_the_requested_hemisphere():
    rng = np.random.default_rng(2024)  # directions and prompts no training set was drawn with
    side = np.where(np.arange(ITEMS) % 2 == 0, 1.0, -1.0)
    azimuth = side * rng.uniform(20.0, 160.0, ITEMS)  # at least 20 degrees off the median plane
    elevation = rng.uniform(-30.0, 45.0, ITEMS)
    prompts = [CLASSES[int(k)].prompt for k in rng.integers(0, len(CLASSES), ITEMS)]
    numbers = [(a, e, float(rng.uniform(1.0, 4.0)), float("nan"), float("nan"), 0.5, 3.0) for a, e in zip(azimuth, elevation)]
    foa = EndToEnd("parametric").generate(prompts, numbers, list(range(ITEMS)))
    measured = np.array([foa_doa(f)[0] for f in foa])
    right_side = np.sign(np.sin(np.radians(measured))) == side
    assert right_side.mean() >= 0.8, f"{right_side.sum()} of {ITEMS} on the requested side"
