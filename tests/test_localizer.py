import importlib.util
from pathlib import Path

import numpy as np
import pytest

from benchmarks.localizer import Localizer, sector
from cascade.metrics import circular_error
from renderers.hrir import load_hrirs
from renderers.hrtf import HrtfRenderer
from renderers.path import SourcePath

SPEC = importlib.util.find_spec("spatialaudiometrics")
pytestmark = [pytest.mark.skipif(SPEC is None, reason="needs the AXD heads of spatialaudiometrics"), pytest.mark.slow]


def head(index: int) -> Path:
    return Path(SPEC.origin).parent / f"example_sofa_{index}.sofa"


@pytest.fixture(scope="module", params=[16000, 44100])
def rate(request) -> int:
    return request.param


@pytest.fixture(scope="module")
def localizer(rate) -> Localizer:
    return Localizer(load_hrirs(head(1)), rate)


def pink_bursts(rate: int, top_hz: float | None = None) -> np.ndarray:
    """Pink-ish noise bursts (a source unlike the white-noise templates), optionally with nothing above `top_hz`."""
    rng = np.random.default_rng(7)
    spectrum = np.fft.rfft(rng.standard_normal(2 * rate))
    frequency = np.fft.rfftfreq(2 * rate, 1 / rate)
    spectrum /= np.sqrt(np.maximum(frequency, 50.0))
    if top_hz is not None:
        spectrum[frequency > top_hz] = 0.0
    pink = np.fft.irfft(spectrum, 2 * rate)
    envelope = (np.sin(np.linspace(0, 12 * np.pi, 2 * rate)) > 0).astype(float)
    return (pink * envelope * 0.1 / pink.std()).astype(np.float32)


@pytest.mark.parametrize("azimuth", [0.0, 33.0, 90.0, 148.0, 180.0, -62.0, -90.0, -121.0])
def test_localizes_other_head_renders_at_known_directions(localizer, rate, azimuth):
    source = pink_bursts(rate)
    binaural = HrtfRenderer(head(2)).render(source, rate, SourcePath.static(azimuth, 0.0, 1.5))
    found = localizer.localize(binaural, rate, source)
    assert circular_error(found, azimuth) < 15.0
    assert sector(found) == sector(azimuth)


@pytest.mark.parametrize("azimuth", [30.0, 150.0, -120.0])
def test_a_source_without_high_octaves_is_judged_on_the_bands_it_has(localizer, rate, azimuth):
    """Bands where the source is silent carry no spectral cue (speech from espeak-ng stops at 11 kHz)."""
    source = pink_bursts(rate, top_hz=5000.0)
    binaural = HrtfRenderer(head(2)).render(source, rate, SourcePath.static(azimuth, 0.0, 1.5))
    assert sector(localizer.localize(binaural, rate, source)) == sector(azimuth)


@pytest.mark.parametrize("azimuth", [60.0, -60.0])
def test_interaural_cues_alone_find_the_side(localizer, rate, azimuth):
    binaural = HrtfRenderer(head(2)).render(pink_bursts(rate), rate, SourcePath.static(azimuth, 0.0, 1.5))
    assert np.sign(localizer.localize(binaural, rate)) == np.sign(azimuth)


def test_sectors_follow_clock_hours():
    assert list(sector([0.0, 14.0, 16.0, 90.0, -90.0, 180.0, -166.0])) == [0, 0, 1, 3, 9, 6, 6]
