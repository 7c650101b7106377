"""Shoebox acoustics: reverberation time per band, air absorption, materials, where a source excites the room."""

import numpy as np
import pytest

from cascade.materials import MATERIALS
from renderers import RendererError
from renderers.bands import CENTRES
from renderers.room import MAX_ABSORPTION, WALL_MARGIN, Shoebox, air_attenuation

ROOM = (6.0, 8.0, 3.0)


def eyring(volume: float, surface: float, mean_absorption: np.ndarray, air: np.ndarray) -> np.ndarray:
    """Eyring's RT60 with air absorption (Kuttruff, Room Acoustics, eq. 5.32): 0.161 V / (-S ln(1 - a) + 4 m V)."""
    return 0.161 * volume / (-surface * np.log(1 - mean_absorption) + 4 * air * volume)


def test_air_absorption_at_1_khz_is_the_iso_9613_value():
    # ISO 9613-1, 20 °C, 50 % relative humidity, 1 kHz: 4.66 dB/km (pressure level; energy coefficient m = α / 4.343)
    assert air_attenuation(np.array([1000.0]))[0] * 10 * np.log10(np.e) * 1000 == pytest.approx(4.66, abs=0.05)


@pytest.mark.parametrize("rt60", [0.3, 0.8, 2.0])
def test_a_room_given_by_rt60_reaches_it_in_every_band_the_air_allows(rt60):
    room = Shoebox.build(ROOM, rt60)
    volume, surface = 6 * 8 * 3, 2 * (6 * 8 + 6 * 3 + 8 * 3)
    expected = eyring(volume, surface, room.absorption[0], air_attenuation(CENTRES))
    assert np.allclose(room.absorption, room.absorption[0])  # every surface alike
    assert room.rt60() == pytest.approx(expected, rel=1e-9)
    assert room.rt60()[:6] == pytest.approx(np.full(6, rt60), rel=1e-6)  # up to 4 kHz


def test_in_a_large_hall_the_air_shortens_the_top_octaves():
    room = Shoebox.build((20.0, 30.0, 10.0), 2.0)
    assert room.rt60()[:6] == pytest.approx(np.full(6, 2.0), rel=1e-6)
    assert room.rt60()[-1] < 1.0 and np.all(room.absorption[:, -1] == pytest.approx(0.01))


def test_uneven_absorption_follows_fitzroy():
    # Fitzroy (1959): RT60 = Σ_k (S_k / S) · 0.161 V / (-S ln(1 - a_k) + 4 m V) over the three pairs of opposite surfaces
    room = Shoebox.build(ROOM, 0.5, {"back": "brick", "front": "brick", "right": "brick", "left": "brick", "floor": "carpet",
                                     "ceiling": "acoustic_ceiling"})
    volume = 6 * 8 * 3
    pairs = {"x": (8 * 3, room.absorption[0]), "y": (6 * 3, room.absorption[2]),
             "z": (6 * 8, (room.absorption[4] + room.absorption[5]) / 2)}
    surface = 2 * sum(area for area, _ in pairs.values())
    expected = sum(2 * area / surface * eyring(volume, surface, a, air_attenuation(CENTRES)) for area, a in pairs.values())
    assert room.rt60() == pytest.approx(expected, rel=1e-9)
    assert room.rt60()[2] > eyring(volume, surface, room.areas @ room.absorption[:, 2] / surface, air_attenuation(CENTRES))[2]


def test_materials_keep_their_shape_and_meet_the_mid_frequency_rt60():
    materials = {"back": "plaster", "front": "glass", "right": "plaster", "left": "curtains", "floor": "carpet", "ceiling": "plasterboard"}
    room = Shoebox.build(ROOM, 0.5, materials)
    assert room.rt60()[2:4].mean() == pytest.approx(0.5, rel=1e-3)
    carpet, plaster = np.array(MATERIALS["carpet"]), np.array(MATERIALS["plaster"])
    assert room.absorption[0, :6] / room.absorption[0, 0] == pytest.approx(plaster / plaster[0], rel=1e-6)
    below = room.absorption[4, :6] < MAX_ABSORPTION  # scaled up, the carpet's top bands stop at 0.99
    assert room.absorption[4, :6][below] / room.absorption[4, 0] == pytest.approx(carpet[below] / carpet[0], rel=1e-6)
    assert room.rt60()[0] > room.rt60()[4]  # a carpeted, curtained room rings longer in the bass


def test_a_source_inside_excites_the_room_where_it_is():
    room = Shoebox.build(ROOM, 0.5)
    point, extra = room.excitation(np.array([1.0, -2.0, 0.5]))
    assert point == pytest.approx(np.array([4.0, 2.0, 2.0])) and extra == 0.0


def test_a_source_beyond_a_wall_enters_where_the_line_of_sight_crosses_it():
    room = Shoebox.build(ROOM, 0.5, listener=(2.0, 4.0, 1.5))
    offset = np.array([16.0, 2.0, 0.0])  # through the front wall at x = 6, 4 m ahead of the listener
    point, extra = room.excitation(offset)
    inside = (4.0 - WALL_MARGIN) / 16.0
    assert point == pytest.approx(room.listener + inside * offset)
    assert extra == pytest.approx(np.linalg.norm(offset) * (1 - inside))


@pytest.mark.parametrize("dimensions, rt60, listener", [((6.0, 4.0), 0.5, None), ((6.0, -1.0, 3.0), 0.5, None), (ROOM, 0.0, None),
                                                         (ROOM, 0.5, (7.0, 1.0, 1.0))])
def test_invalid_room_is_refused(dimensions, rt60, listener):
    with pytest.raises(RendererError):
        Shoebox.build(dimensions, rt60, listener=listener)
