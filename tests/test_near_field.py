"""Near field: the rigid-sphere model against its known limits, and ILD growing as a lateral source comes close."""

import numpy as np
import pytest

from cascade.metrics import ild, itd
from renderers.hrtf import HrtfRenderer
from renderers.near_field import HEAD_RADIUS, sphere_response
from renderers.path import SourcePath

RATE = 44100
NOISE = np.random.default_rng(8).standard_normal(RATE // 2).astype(np.float32)


@pytest.fixture(scope="module")
def renderer() -> HrtfRenderer:
    return HrtfRenderer()


def test_a_far_source_doubles_the_pressure_facing_it_at_high_frequencies():
    # plane wave on a rigid sphere: +6 dB at the facing point for ka >> 1, no effect for ka << 1 (Rayleigh)
    response = sphere_response(np.array([200.0]), np.array([1.0]), np.array([20.0, 20000.0]))[0, 0]
    assert 20 * np.log10(np.abs(response)) == pytest.approx([0.0, 6.0], abs=0.3)


@pytest.mark.parametrize("distance", [0.2, 0.3, 0.6])
def test_at_low_frequencies_a_near_source_follows_potential_flow(distance):
    # incompressible limit of a point source beside a rigid sphere: p / p_free = Σ (2m + 1) / (m + 1) (a / r)^m P_m(cos θ)
    ratio = HEAD_RADIUS / distance
    orders = np.arange(60)
    for cos_angle in (1.0, -1.0):
        expected = np.sum((2 * orders + 1) / (orders + 1) * ratio**orders * cos_angle**orders)
        response = sphere_response(np.array([distance]), np.array([cos_angle]), np.array([5.0]))[0, 0, 0]
        assert abs(response) == pytest.approx(expected, rel=1e-3)


def test_a_lateral_source_gains_ild_as_it_comes_close(renderer):
    levels = [ild(renderer.render(NOISE, RATE, SourcePath.static(90.0, 0.0, d))) for d in (2.0, 1.0, 0.5, 0.25)]
    assert np.all(np.diff(levels) > 0.3) and levels[-1] - levels[0] > 4.0
    delays = [itd(renderer.render(NOISE, RATE, SourcePath.static(90.0, 0.0, d)), RATE) for d in (2.0, 0.25)]
    assert delays[1] == pytest.approx(delays[0], rel=0.1)


def test_beyond_the_measurement_distance_only_1_over_r_changes(renderer):
    at = renderer.render(NOISE, RATE, SourcePath.static(60.0, 0.0, renderer.reference_distance))
    twice = renderer.render(NOISE, RATE, SourcePath.static(60.0, 0.0, 2 * renderer.reference_distance))
    energy = [np.sum(x.astype(np.float64) ** 2, axis=1) for x in (at, twice)]
    assert energy[1] / energy[0] == pytest.approx([0.25, 0.25], rel=2e-3)


def test_a_source_moving_in_close_is_rendered_like_the_static_one_at_its_end(renderer):
    path = SourcePath.from_keys([0.0, 0.2], [90.0, 90.0], [0.0, 0.0], [1.5, 0.25])
    noise = np.random.default_rng(9).standard_normal(RATE).astype(np.float32)
    moving = renderer.render(noise, RATE, path)[:, -RATE // 2 :]
    static = renderer.render(noise, RATE, SourcePath.static(90.0, 0.0, 0.25))[:, -RATE // 2 :]
    assert ild(moving) == pytest.approx(ild(static), abs=0.3)
