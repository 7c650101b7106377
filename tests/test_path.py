"""Source paths: interpolation of direction and distance between key times."""

import numpy as np
import pytest

from renderers.path import SourcePath


def test_static_path_is_the_same_at_every_time():
    az, el, dist = SourcePath.static(-45.0, 10.0, 3.0).at(np.array([0.0, 1.0, 100.0]))
    assert np.all(az == -45.0) and np.all(el == 10.0) and np.all(dist == 3.0)
    assert not SourcePath.static(0.0).moves


def test_linear_between_keys_and_at_rest_after_the_last():
    path = SourcePath.from_keys([0.0, 2.0], [0.0, 60.0], [0.0, 30.0], [1.0, 3.0])
    az, el, dist = path.at(np.array([1.0, 0.5, 5.0]))
    assert az == pytest.approx([30.0, 15.0, 60.0]) and el == pytest.approx([15.0, 7.5, 30.0])
    assert dist == pytest.approx([2.0, 1.5, 3.0])


def test_azimuth_takes_the_shorter_arc_through_behind():
    path = SourcePath.from_keys([0.0, 1.0], [170.0, -170.0], [0.0, 0.0], [1.0, 1.0])
    az, _, _ = path.at(np.array([0.25, 0.5, 0.75]))
    assert az == pytest.approx([175.0, 180.0, -175.0])


def test_opposite_keys_pass_through_the_front_or_the_left():
    left_right = SourcePath.from_keys([0.0, 1.0], [90.0, -90.0], [0.0, 0.0], [1.0, 1.0])
    right_left = SourcePath.from_keys([0.0, 1.0], [-90.0, 90.0], [0.0, 0.0], [1.0, 1.0])
    ahead_behind = SourcePath.from_keys([0.0, 1.0], [0.0, 180.0], [0.0, 0.0], [1.0, 1.0])
    behind_ahead = SourcePath.from_keys([0.0, 1.0], [180.0, 0.0], [0.0, 0.0], [1.0, 1.0])
    assert left_right.at(0.5)[0] == pytest.approx(0.0) and right_left.at(0.5)[0] == pytest.approx(0.0)
    assert ahead_behind.at(0.5)[0] == pytest.approx(90.0) and behind_ahead.at(0.5)[0] == pytest.approx(90.0)


def test_azimuth_stays_in_the_half_open_range():
    path = SourcePath.from_keys([0.0, 1.0, 2.0], [150.0, -150.0, 150.0], [0.0] * 3, [1.0] * 3)
    az, _, _ = path.at(np.linspace(0.0, 2.0, 401))
    assert np.all((az > -180.0) & (az <= 180.0))
    assert np.abs(np.diff(np.unwrap(np.radians(az)))).max() < np.radians(1.0)  # no jump on the way


@pytest.mark.parametrize("keys", [
    ([0.0, 1.0], [0.0], [0.0], [1.0]),
    ([0.5, 1.0], [0.0, 1.0], [0.0, 0.0], [1.0, 1.0]),
    ([0.0, 1.0, 1.0], [0.0] * 3, [0.0] * 3, [1.0] * 3),
    ([], [], [], []),
])
def test_malformed_keys_are_refused(keys):
    with pytest.raises(ValueError):
        SourcePath.from_keys(*keys)
