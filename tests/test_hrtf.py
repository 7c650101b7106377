"""HRTF renderer and distance propagation, measured with interaural cues and known delays."""

import numpy as np
import pytest

from cascade.geometry import SPEED_OF_SOUND
from cascade.metrics import ild, itd, woodworth_itd
from renderers.hrtf import HrtfRenderer
from renderers.path import SourcePath
from renderers.propagation import propagate

RATE = 44100
NOISE = np.random.default_rng(1).standard_normal(RATE // 2).astype(np.float32)


@pytest.fixture(scope="module")
def renderer() -> HrtfRenderer:
    return HrtfRenderer()


@pytest.mark.parametrize("azimuth", [90.0, -90.0])
def test_lateral_itd_follows_woodworth(renderer, azimuth):
    measured = itd(renderer.render(NOISE, RATE, SourcePath.static(azimuth, 0.0, 1.4)), RATE)
    expected = woodworth_itd(azimuth)
    assert np.sign(measured) == np.sign(expected)
    assert measured == pytest.approx(expected, rel=0.15)


def test_lateral_ild_favours_the_near_ear(renderer):
    assert ild(renderer.render(NOISE, RATE, SourcePath.static(90.0))) > 6.0
    assert ild(renderer.render(NOISE, RATE, SourcePath.static(-90.0))) < -6.0


@pytest.mark.parametrize("azimuth", [0.0, 180.0])
def test_median_plane_has_no_itd(renderer, azimuth):
    assert abs(itd(renderer.render(NOISE, RATE, SourcePath.static(azimuth)), RATE)) < 50e-6


def test_travel_time_is_distance_over_c():
    impulse = np.zeros(100, np.float32)
    impulse[0] = 1.0
    out = propagate(impulse, RATE, SourcePath.static(0.0, 0.0, 3.43), reference_distance=1.0)
    assert np.argmax(np.abs(out)) == 441  # 3.43 m / 343 m/s = 10 ms
    assert out.size == 100 + 441


def test_fractional_delay_lands_between_samples():
    tone = np.sin(2 * np.pi * 500 * np.arange(RATE // 10) / RATE).astype(np.float32)
    distance = 2.5 * SPEED_OF_SOUND / RATE * 101  # 252.5 samples
    out = propagate(tone, RATE, SourcePath.static(0.0, 0.0, distance), reference_distance=distance)
    expected = np.sin(2 * np.pi * 500 * (np.arange(out.size) - 252.5) / RATE)
    middle = slice(400, 4000)
    assert np.abs(out[middle] - expected[middle]).max() < 1e-3


def test_twice_the_reference_distance_halves_the_amplitude(renderer):
    impulse = np.zeros(256, np.float32)
    impulse[0] = 1.0
    near = renderer.render(impulse, RATE, SourcePath.static(30.0, 0.0, renderer.reference_distance))
    far = renderer.render(impulse, RATE, SourcePath.static(30.0, 0.0, 2 * renderer.reference_distance))
    assert np.abs(far).max() / np.abs(near).max() == pytest.approx(0.5, rel=1e-3)


def test_approaching_source_is_doppler_shifted():
    frequency, speed = 1000.0, 17.0
    tone = np.sin(2 * np.pi * frequency * np.arange(RATE) / RATE).astype(np.float32)
    path = SourcePath.from_keys([0.0, 1.0], [0.0, 0.0], [0.0, 0.0], [20.0, 20.0 - speed])
    out = propagate(tone, RATE, path, reference_distance=1.0)
    window = out[int(0.2 * RATE) : int(0.9 * RATE)]
    rising = np.flatnonzero((window[:-1] < 0) & (window[1:] >= 0))
    measured = (rising.size - 1) / ((rising[-1] - rising[0]) / RATE)
    assert measured == pytest.approx(frequency * SPEED_OF_SOUND / (SPEED_OF_SOUND - speed), rel=2e-3)


def test_left_to_right_source_moves_across(renderer):
    noise = np.random.default_rng(2).standard_normal(3 * RATE).astype(np.float32)
    path = SourcePath.from_keys([0.0, 0.5, 2.5, 3.0], [90.0, 90.0, -90.0, -90.0], [0.0] * 4, [1.4] * 4)
    out = renderer.render(noise, RATE, path)
    assert itd(out[:, : RATE // 2], RATE) > 4e-4
    assert itd(out[:, -RATE // 2 :], RATE) < -4e-4


def test_moving_render_has_no_clicks(renderer):
    tone = (0.5 * np.sin(2 * np.pi * 200 * np.arange(2 * RATE) / RATE)).astype(np.float32)
    path = SourcePath.from_keys([0.0, 2.0], [45.0, -45.0], [0.0, 0.0], [1.4 * np.sqrt(2)] * 2)  # a line 1.4 m ahead
    moving = renderer.render(tone, RATE, path)
    static_jumps = max(
        np.abs(np.diff(renderer.render(tone, RATE, SourcePath.static(az, 0.0, 1.4))[:, 1000:-1000])).max()
        for az in (90.0, 45.0, 0.0, -45.0, -90.0)
    )
    assert np.abs(np.diff(moving[:, 1000:-1000])).max() < 1.2 * static_jumps


@pytest.mark.parametrize("rate", [44100, 48000])
def test_fractional_delay_is_flat_to_16_khz_for_every_fraction(rate):
    impulse = np.zeros(64, np.float32)
    impulse[0] = 1.0
    frequencies = np.fft.rfftfreq(4096, 1 / rate)
    band = (frequencies > 20) & (frequencies <= 16000)
    for fraction in np.linspace(0.0, 0.95, 20):
        distance = (100 + fraction) * SPEED_OF_SOUND / rate
        response = np.abs(np.fft.rfft(propagate(impulse, rate, SourcePath.static(0.0, 0.0, distance), distance), 4096))
        assert np.abs(20 * np.log10(response[band])).max() < 0.5


def test_noise_up_to_16_khz_keeps_its_level_at_every_distance():
    spectrum = np.fft.rfft(np.random.default_rng(4).standard_normal(RATE))
    spectrum[np.fft.rfftfreq(RATE, 1 / RATE) > 16000] = 0
    noise = np.fft.irfft(spectrum, RATE).astype(np.float32)
    levels = []
    for step in np.linspace(0.0, 1.0, 12, endpoint=False):
        distance = (300 + step) * SPEED_OF_SOUND / RATE
        out = propagate(noise, RATE, SourcePath.static(0.0, 0.0, distance), distance)
        levels.append(10 * np.log10(np.mean(out[400:-400].astype(np.float64) ** 2)))
    assert max(levels) - min(levels) < 0.1  # the top octave no longer comes and goes with the fraction of a sample
