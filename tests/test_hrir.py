"""HRIR sets: loading in the project convention, interpolation, SOFA errors."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import oaconvolve

from cascade.metrics import itd
from renderers import RendererError
from renderers import hrir as hrir_module
from renderers.hrir import kemar, load_sofa
from renderers.path import SourcePath

RATE = 44100
NOISE = np.random.default_rng(0).standard_normal(RATE // 4)


def pair_itd(pair: np.ndarray, sample_rate: int = RATE) -> float:
    return itd(oaconvolve(NOISE[None], pair, axes=-1), sample_rate)


def test_kemar_is_the_mit_set_in_project_convention():
    h = kemar()
    assert h.hrirs.shape == (710, 2, 512) and h.hrirs.dtype == np.float32
    assert h.sample_rate == 44100 and h.distance == pytest.approx(1.4)
    assert np.all((h.azimuth > -180) & (h.azimuth <= 180))
    left = np.argmin(np.abs(h.azimuth - 90) + np.abs(h.elevation))
    energy = np.sum(h.hrirs[left].astype(np.float64) ** 2, axis=-1)
    assert energy[0] > 4 * energy[1]  # a source at +90 (left) is louder in ear 0 (left)


def test_interpolation_at_every_measured_direction_returns_the_measurement():
    h = kemar()  # many directions sit on a plane shared by two facets (a quad of measurements split in two)
    assert np.allclose(h.interpolate(h.azimuth, h.elevation), h.hrirs, atol=1e-5)


def test_interpolation_does_not_jump_between_facets_of_one_plane():
    h = kemar()
    rng = np.random.default_rng(0)
    azimuth, elevation = rng.uniform(-180, 180, 2000), rng.uniform(-40, 90, 2000)
    here, nudged = h.interpolate(azimuth, elevation), h.interpolate(azimuth + 1e-9, elevation + 1e-9)
    assert np.abs(here - nudged).max() <= 1e-5 * np.abs(here).max()  # 1e-9 degrees moves an HRIR by float rounding only


@pytest.mark.parametrize("a, b", [(20.0, 25.0), (60.0, 65.0)])
def test_interpolated_itd_lies_between_the_neighbours(a, b):
    h = kemar()
    low, middle, high = (pair_itd(h.interpolate(az, 0.0)[0]) for az in (a, (a + b) / 2, b))
    assert low < middle < high


def test_below_the_lowest_ring_interpolation_keeps_left_right_symmetry():
    h = kemar()  # mirror-symmetric head, lowest measured ring at -40 degrees, nothing below
    for elevation in (-50.0, -70.0, -85.0):
        left = h.interpolate(30.0, elevation)[0]
        mirrored = h.interpolate(-30.0, elevation)[0][::-1]
        assert np.abs(left - mirrored).max() < 0.03 * np.abs(left).max()


@pytest.mark.slow
def test_resampled_set_keeps_duration_and_is_cached():
    h = kemar()
    h48 = h.at_rate(48000)
    assert h48.sample_rate == 48000 and h48.taps == round(512 * 48000 / 44100)
    assert h.at_rate(48000) is h48
    original = pair_itd(h.interpolate(90.0, 0.0)[0])
    assert pair_itd(h48.interpolate(90.0, 0.0)[0], 48000) == pytest.approx(original, rel=0.05)


def test_a_file_that_is_not_sofa_names_itself(tmp_path: Path):
    bogus = tmp_path / "not_an_hrtf.sofa"
    bogus.write_text("hello")
    with pytest.raises(RendererError, match=r"not_an_hrtf\.sofa"):
        load_sofa(bogus)


def test_a_sofa_file_of_another_convention_is_refused(tmp_path: Path):
    import sofar

    other = tmp_path / "room_impulse.sofa"
    sofar.write_sofa(str(other), sofar.Sofa("GeneralFIR"))
    with pytest.raises(RendererError, match=r"room_impulse\.sofa.*SimpleFreeFieldHRIR"):
        load_sofa(other)


def test_missing_portaudio_says_how_to_fix(monkeypatch):
    class NoPortAudio:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name == "slab":
                raise OSError("PortAudio library not found")

    monkeypatch.delitem(sys.modules, "slab", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])
    hrir_module.kemar.cache_clear()
    try:
        with pytest.raises(RendererError, match="libportaudio2"):
            hrir_module.kemar()
    finally:
        hrir_module.kemar.cache_clear()


AXD = importlib.util.find_spec("spatialaudiometrics")


@pytest.mark.skipif(AXD is None, reason="spatialaudiometrics (AXD SOFA examples) not installed")
@pytest.mark.parametrize("name", ["example_sofa_1.sofa", "example_sofa_2.sofa"])
def test_axd_sofa_loads_with_left_source_leading_left(name):
    h = load_sofa(Path(AXD.origin).parent / name)
    assert h.hrirs.shape == (793, 2, 256) and h.sample_rate == 48000
    assert h.distance == pytest.approx(1.5)
    assert pair_itd(h.interpolate(90.0, 0.0)[0], 48000) > 3e-4
    assert pair_itd(h.interpolate(-90.0, 0.0)[0], 48000) < -3e-4


def _fibonacci_sphere(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Directions (azimuth, elevation in degrees) spread evenly over the sphere."""
    k = np.arange(count) + 0.5
    elevation = np.degrees(np.arcsin(1 - 2 * k / count))
    azimuth = (np.degrees(np.pi * (1 + 5**0.5) * k) + 180) % 360 - 180
    return azimuth, elevation


def _band_db(signal: np.ndarray, rate: int, centre: float) -> float:
    spectrum = np.abs(np.fft.rfft(signal, axis=-1)) ** 2
    frequency = np.fft.rfftfreq(signal.shape[-1], 1 / rate)
    band = (frequency > centre / 2**(1 / 6)) & (frequency < centre * 2**(1 / 6))
    return 10 * np.log10(spectrum[..., band].mean())


@pytest.mark.slow
@pytest.mark.parametrize("sofa", [None, "axd"])
def test_diffuse_field_equalised_renders_are_flat_over_all_directions(sofa):
    """Noise rendered from 200 even directions (not the measured grid), averaged over directions and ears, has the
    spectrum of the noise itself (the AmbiX W channel) within 3 dB from 100 Hz to 12 kHz."""
    from renderers.hrtf import HrtfRenderer

    if sofa == "axd":
        if AXD is None:
            pytest.skip("spatialaudiometrics (AXD SOFA examples) not installed")
        sofa = Path(AXD.origin).parent / "example_sofa_1.sofa"
    renderer = HrtfRenderer(sofa)
    noise = np.random.default_rng(1).standard_normal(RATE).astype(np.float32)
    azimuth, elevation = _fibonacci_sphere(200)
    renders = np.stack([renderer.render(noise, RATE, SourcePath.static(a, e, renderer.reference_distance))
                        for a, e in zip(azimuth, elevation)])
    for centre in (100, 250, 500, 1000, 2000, 3000, 4000, 8000, 12000):
        assert _band_db(renders, RATE, centre) - _band_db(noise, RATE, centre) == pytest.approx(0.0, abs=3.0), centre


@pytest.mark.slow
def test_level_does_not_depend_on_the_sample_rate():
    """Averaged over 40 directions (nearly all between measurements), band by band from 500 Hz to 4 kHz, the
    binaural level over the source's is the same at 16, 44.1 and 48 kHz within 0.5 dB."""
    from renderers.hrtf import HrtfRenderer

    renderer, levels = HrtfRenderer(), []
    azimuth, elevation = _fibonacci_sphere(40)
    for rate in (16000, 44100, 48000):
        noise = np.random.default_rng(2).standard_normal(rate // 2).astype(np.float32)
        renders = np.stack([renderer.render(noise, rate, SourcePath.static(a, e, 1.4)) for a, e in zip(azimuth, elevation)])
        levels.append([_band_db(renders, rate, centre) - _band_db(noise, rate, centre) for centre in (500, 1000, 2000, 4000)])
    spread = np.ptp(np.array(levels), axis=0)
    assert spread.max() < 0.5, spread


@pytest.mark.slow
def test_sofa_data_delay_shifts_the_ears(tmp_path: Path):
    """A SOFA file whose Data.Delay holds [0, 24] samples renders an ITD 24 samples (0.5 ms at 48 kHz) more left-leading."""
    import sofar

    if AXD is None:
        pytest.skip("spatialaudiometrics (AXD SOFA examples) not installed")
    source = sofar.read_sofa(str(Path(AXD.origin).parent / "example_sofa_1.sofa"), verbose=False)
    base = load_sofa(Path(AXD.origin).parent / "example_sofa_1.sofa")
    source.Data_Delay = np.array([[0.0, 24.0]])
    delayed_path = tmp_path / "delayed.sofa"
    sofar.write_sofa(str(delayed_path), source)
    delayed = load_sofa(delayed_path)
    before = pair_itd(base.interpolate(0.0, 0.0)[0], 48000)
    after = pair_itd(delayed.interpolate(0.0, 0.0)[0], 48000)
    assert after - before == pytest.approx(24 / 48000, abs=1e-5)
