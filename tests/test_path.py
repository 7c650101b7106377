"""Source paths: straight lines in space between key times."""

import numpy as np
import pytest

from renderers.path import SourcePath


def test_static_path_is_the_same_at_every_time():
    az, el, dist = SourcePath.static(-45.0, 10.0, 3.0).at(np.array([0.0, 1.0, 100.0]))
    assert np.all(az == -45.0) and np.all(el == 10.0) and np.all(dist == 3.0)
    assert not SourcePath.static(0.0).moves


def test_between_keys_the_source_moves_on_the_straight_line_and_rests_after_the_last():
    path = SourcePath.from_keys([0.0, 2.0], [90.0, 0.0], [0.0, 0.0], [1.0, 1.0])  # (0, 1, 0) m to (1, 0, 0) m
    az, el, dist = path.at(np.array([1.0, 0.5, 5.0]))
    assert az == pytest.approx([45.0, np.degrees(np.arctan2(0.75, 0.25)), 0.0])
    assert dist == pytest.approx([np.sqrt(0.5), np.hypot(0.25, 0.75), 1.0]) and el == pytest.approx([0.0, 0.0, 0.0])


def test_a_pass_by_line_comes_closest_at_the_foot_of_the_perpendicular():
    # 8 m ahead, from 30 m on the left to 30 m on the right in 4 s: distance sqrt(64 + (30 - 15 t)^2)
    start, end = np.degrees(np.arctan2(30.0, 8.0)), -np.degrees(np.arctan2(30.0, 8.0))
    path = SourcePath.from_keys([0.0, 4.0], [start, end], [0.0, 0.0], [np.hypot(8.0, 30.0)] * 2)
    t = np.linspace(0.0, 4.0, 41)
    az, _, dist = path.at(t)
    assert dist == pytest.approx(np.hypot(8.0, 30.0 - 15.0 * t))
    assert az == pytest.approx(np.degrees(np.arctan2(30.0 - 15.0 * t, 8.0)))
    assert dist.min() == pytest.approx(8.0) and t[np.argmin(dist)] == pytest.approx(2.0)


def test_a_line_over_the_head_passes_the_zenith():
    path = SourcePath.from_keys([0.0, 2.0], [0.0, 180.0], [45.0, 45.0], [np.sqrt(2) * 10.0] * 2)  # 10 m up, 10 m ahead to behind
    az, el, dist = path.at(np.array([1.0, 1.5]))
    assert el[0] == pytest.approx(90.0) and dist[0] == pytest.approx(10.0)
    assert az[1] == pytest.approx(180.0) and el[1] == pytest.approx(np.degrees(np.arctan2(10.0, 5.0)))


def test_azimuth_stays_in_the_half_open_range():
    path = SourcePath.from_keys([0.0, 1.0, 2.0], [150.0, -150.0, 150.0], [0.0] * 3, [1.0] * 3)
    az, _, _ = path.at(np.linspace(0.0, 2.0, 401))
    assert np.all((az > -180.0) & (az <= 180.0))


@pytest.mark.parametrize("keys", [
    ([0.0, 1.0], [0.0], [0.0], [1.0]),
    ([0.5, 1.0], [0.0, 1.0], [0.0, 0.0], [1.0, 1.0]),
    ([0.0, 1.0, 1.0], [0.0] * 3, [0.0] * 3, [1.0] * 3),
    ([], [], [], []),
])
def test_malformed_keys_are_refused(keys):
    with pytest.raises(ValueError):
        SourcePath.from_keys(*keys)
