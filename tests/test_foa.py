"""First-order ambisonics: encoding against the SN3D definition, DoA recovery, FuMa, rotation, decoding."""

import numpy as np
import pytest

from cascade.metrics import circular_error, foa_doa, ild, itd
from renderers.foa import FoaBinauralRenderer, decode_binaural, encode, from_fuma, rotate, to_fuma
from renderers.path import SourcePath

RATE = 44100
NOISE = np.random.default_rng(3).standard_normal(RATE // 4).astype(np.float32)


@pytest.fixture(scope="module")
def renderer() -> FoaBinauralRenderer:
    return FoaBinauralRenderer()


def test_channels_follow_the_ambix_sn3d_definition():
    foa = encode(NOISE, RATE, SourcePath.static(30.0, 45.0, 1.0))
    w, y, z, x = foa
    assert np.allclose(y, w * np.sin(np.radians(30)) * np.cos(np.radians(45)), atol=1e-6)
    assert np.allclose(z, w * np.sin(np.radians(45)), atol=1e-6)
    assert np.allclose(x, w * np.cos(np.radians(30)) * np.cos(np.radians(45)), atol=1e-6)


def test_intensity_doa_recovers_random_directions():
    rng = np.random.default_rng(4)
    azimuth = rng.uniform(-180, 180, 20)
    elevation = np.degrees(np.arcsin(rng.uniform(-0.95, 0.95, 20)))
    for az, el in zip(azimuth, elevation):
        found_az, found_el = foa_doa(encode(NOISE, RATE, SourcePath.static(az, el, 2.0)))
        assert circular_error(found_az, az) < 1.0 and abs(found_el - el) < 1.0


def test_fuma_round_trip_and_w_scaling():
    foa = encode(NOISE, RATE, SourcePath.static(-60.0, 10.0, 1.0))
    fuma = to_fuma(foa)
    assert np.allclose(fuma[0], foa[0] / np.sqrt(2), atol=1e-7)
    assert np.array_equal(fuma[1:], foa[[3, 1, 2]])
    assert np.allclose(from_fuma(fuma), foa, atol=1e-6)


@pytest.mark.parametrize("yaw", [30.0, -75.0, 170.0])
def test_yaw_moves_the_source_counter_clockwise(yaw):
    start = 40.0
    az, el = foa_doa(rotate(encode(NOISE, RATE, SourcePath.static(start, 20.0)), yaw))
    assert circular_error(az, start + yaw) < 1e-3 and el == pytest.approx(20.0, abs=1e-3)


def test_pitch_raises_the_front_and_roll_raises_the_left():
    front, left = (encode(NOISE, RATE, SourcePath.static(az)) for az in (0.0, 90.0))
    assert foa_doa(rotate(front, 0.0, pitch=25.0)) == pytest.approx((0.0, 25.0), abs=1e-3)
    assert foa_doa(rotate(left, 0.0, roll=25.0)) == pytest.approx((90.0, 25.0), abs=1e-3)


def test_moving_source_is_encoded_left_then_right():
    noise = np.random.default_rng(5).standard_normal(3 * RATE).astype(np.float32)
    path = SourcePath.from_keys([0.0, 0.5, 1.5, 2.5, 3.0], [90.0, 90.0, 0.0, -90.0, -90.0], [0.0] * 5, [1.0] * 5)
    foa = encode(noise, RATE, path)
    assert circular_error(foa_doa(foa[:, : RATE // 2])[0], 90.0) < 1.0
    assert circular_error(foa_doa(foa[:, -RATE // 2 :])[0], -90.0) < 1.0
    assert circular_error(foa_doa(foa[:, int(1.5 * RATE) - 200 : int(1.5 * RATE) + 200])[0], 0.0) < 2.0


def test_binaural_decoding_keeps_lateral_cues(renderer):
    left = renderer.render(NOISE, RATE, SourcePath.static(90.0))
    right = renderer.render(NOISE, RATE, SourcePath.static(-90.0))
    assert itd(left, RATE) > 2e-4 and itd(right, RATE) < -2e-4
    assert ild(left) > 3.0 and ild(right) < -3.0
    assert abs(itd(renderer.render(NOISE, RATE, SourcePath.static(0.0)), RATE)) < 50e-6


def test_decoded_moving_source_crosses_from_left_to_right(renderer):
    noise = np.random.default_rng(6).standard_normal(3 * RATE).astype(np.float32)
    path = SourcePath.from_keys([0.0, 0.5, 2.5, 3.0], [90.0, 90.0, -90.0, -90.0], [0.0] * 4, [1.4] * 4)
    out = renderer.render(noise, RATE, path)
    assert itd(out[:, : RATE // 2], RATE) > 2e-4
    assert itd(out[:, -RATE // 2 :], RATE) < -2e-4


def test_omnidirectional_field_decodes_to_equal_ears(renderer):
    w_only = np.zeros((4, NOISE.size), np.float32)
    w_only[0] = NOISE
    out = decode_binaural(w_only, RATE, renderer.hrirs)
    assert abs(ild(out)) < 1.0 and abs(itd(out, RATE)) < 50e-6


@pytest.mark.slow
def test_diffuse_field_decodes_with_the_power_of_direct_hrir_rendering(renderer):
    # 200 directions spread evenly over the sphere (Fibonacci lattice), impulses through both renderers
    from renderers.hrtf import HrtfRenderer

    direct = HrtfRenderer()
    count, size = 200, 4096
    index = np.arange(count) + 0.5
    elevation = np.degrees(np.arcsin(1 - 2 * index / count))
    azimuth = (np.degrees(np.pi * (1 + 5**0.5) * index) + 180) % 360 - 180
    impulse = np.zeros(64, np.float32)
    impulse[0] = 1.0
    power = np.zeros((2, size // 2 + 1))
    for az, el in zip(azimuth, elevation):
        path = SourcePath.static(az, el, direct.reference_distance)
        for row, chosen in enumerate((renderer, direct)):
            power[row] += np.mean(np.abs(np.fft.rfft(chosen.render(impulse, RATE, path), size)) ** 2, axis=0)
    frequencies = np.fft.rfftfreq(size, 1 / RATE)
    for centre in (125, 250, 500, 1000, 2000, 4000, 8000, 16000):
        band = (frequencies >= centre / np.sqrt(2)) & (frequencies < centre * np.sqrt(2))
        assert 10 * np.log10(power[0, band].sum() / power[1, band].sum()) == pytest.approx(0.0, abs=1.0)
