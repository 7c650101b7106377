import importlib.util
from pathlib import Path

import numpy as np
import pytest

from benchmarks.localizer import Localizer, sector
from cascade.metrics import circular_error
from renderers.hrir import load_hrirs
from renderers.hrtf import HrtfRenderer
from renderers.path import SourcePath

RATE = 16000
SPEC = importlib.util.find_spec("spatialaudiometrics")
pytestmark = [pytest.mark.skipif(SPEC is None, reason="needs the AXD heads of spatialaudiometrics"), pytest.mark.slow]


def head(index: int) -> Path:
    return Path(SPEC.origin).parent / f"example_sofa_{index}.sofa"


@pytest.fixture(scope="module")
def localizer() -> Localizer:
    return Localizer(load_hrirs(head(1)), RATE)


@pytest.fixture(scope="module")
def source() -> np.ndarray:
    """Pink-ish noise bursts: a source unlike the white-noise templates."""
    rng = np.random.default_rng(7)
    spectrum = np.fft.rfft(rng.standard_normal(2 * RATE))
    pink = np.fft.irfft(spectrum / np.sqrt(np.maximum(np.fft.rfftfreq(2 * RATE, 1 / RATE), 50.0)), 2 * RATE)
    envelope = (np.sin(np.linspace(0, 12 * np.pi, 2 * RATE)) > 0).astype(float)
    return (pink * envelope * 0.1 / pink.std()).astype(np.float32)


@pytest.mark.parametrize("azimuth", [0.0, 33.0, 90.0, 148.0, 180.0, -62.0, -90.0, -121.0])
def test_localizes_other_head_renders_at_known_directions(localizer, source, azimuth):
    binaural = HrtfRenderer(head(2)).render(source, RATE, SourcePath.static(azimuth, 0.0, 1.5))
    found = localizer.localize(binaural, RATE, source)
    assert circular_error(found, azimuth) < 15.0
    assert sector(found) == sector(azimuth)


@pytest.mark.parametrize("azimuth", [60.0, -60.0])
def test_interaural_cues_alone_find_the_side(localizer, source, azimuth):
    binaural = HrtfRenderer(head(2)).render(source, RATE, SourcePath.static(azimuth, 0.0, 1.5))
    assert np.sign(localizer.localize(binaural, RATE)) == np.sign(azimuth)


def test_sectors_follow_clock_hours():
    assert list(sector([0.0, 14.0, 16.0, 90.0, -90.0, 180.0, -166.0])) == [0, 0, 1, 3, 9, 6, 6]
