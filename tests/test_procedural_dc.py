"""Procedural clips carry no DC: the mean of every class is zero (no offset reaches the AmbiX W channel)."""

import numpy as np
import pytest

from cascade.generators.procedural import ProceduralGenerator
from cascade.generators.sounds import SOUNDS


@pytest.mark.parametrize("sound", sorted(SOUNDS))
def test_every_class_has_no_dc(sound):
    clip = ProceduralGenerator().synthesise(sound, 2.0, 5).astype(np.float64)
    assert abs(clip.mean()) < 1e-4 * np.sqrt(np.mean(clip**2))
    assert clip[0] == 0.0 and clip[-1] == 0.0
