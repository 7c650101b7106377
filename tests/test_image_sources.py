"""Image sources: mirrored positions, the count per order, reflection and air gains, and pyroomacoustics' image set."""

import numpy as np
import pytest

from renderers.image_sources import image_sources
from renderers.room import AIR, Shoebox

ROOM = (6.0, 4.0, 3.0)
SOURCE = np.array([4.0, 2.0, 1.5])  # 1 m ahead of the listener at the centre (3, 2, 1.5)


def test_first_order_images_sit_at_the_mirrored_positions():
    room = Shoebox.build(ROOM, 0.5)
    found = image_sources(room, SOURCE, 8.0)
    first = found.take(found.orders == 1)
    # walls at x = 0, 6; y = 0, 4; z = 0, 3: images at x = -4, 8; y = -2, 6; z = -1.5, 4.5
    expected = np.array([[-4.0, 2, 1.5], [8, 2, 1.5], [4, -2, 1.5], [4, 6, 1.5], [4, 2, -1.5], [4, 2, 4.5]]) - room.listener
    assert sorted(map(tuple, np.round(first.offsets, 9))) == sorted(map(tuple, expected))
    assert first.paths == pytest.approx(np.linalg.norm(first.offsets, axis=1))


@pytest.mark.parametrize("order", [1, 2, 3])
def test_a_shoebox_has_4n2_plus_2_images_of_order_n(order):
    found = image_sources(Shoebox.build(ROOM, 0.5), SOURCE, 100.0)
    assert np.sum(found.orders == order) == 4 * order**2 + 2


def test_gains_are_the_reflection_coefficient_per_hit_times_air_absorption():
    room = Shoebox.build(ROOM, 0.5)
    found = image_sources(room, SOURCE, 30.0, extra=2.0)
    beta = np.sqrt(1 - room.absorption[0])
    assert found.paths == pytest.approx(2.0 + np.linalg.norm(found.offsets, axis=1))
    assert found.gains == pytest.approx(beta[None, :] ** found.orders[:, None] * np.exp(-0.5 * AIR[None, :] * found.paths[:, None]))
    assert np.all(np.diff(found.paths) >= 0) and found.paths.max() <= 30.0


def test_the_image_set_is_pyroomacoustics_own():
    pra = pytest.importorskip("pyroomacoustics")
    room = Shoebox.build(ROOM, 0.5, listener=(1.2, 2.9, 1.1))
    source = np.array([4.4, 0.7, 2.2])
    reference = pra.ShoeBox(list(ROOM), fs=16000, max_order=12)
    reference.add_source(list(source))
    reference.add_microphone(list(room.listener))
    reference.image_source_model()
    theirs = reference.sources[0].images.T - room.listener
    theirs = theirs[(np.linalg.norm(theirs, axis=1) <= 20.0) & (reference.sources[0].orders > 0)]
    ours = image_sources(room, source, 20.0).offsets
    assert len(ours) == len(theirs) > 400
    assert np.linalg.norm(ours[:, None, :] - theirs[None, :, :], axis=-1).min(axis=1).max() < 1e-4  # pyroomacoustics keeps float32
