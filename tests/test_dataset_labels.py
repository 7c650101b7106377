"""DCASE / STARSS23 metadata rows of known events, written out by hand from the format's definition."""

import math

from cascade.dataset.labels import dcase_csv, dcase_rows, room_labels, source_indices
from cascade.scene import Keyframe, Position, Room, Scene, SoundEvent


def _event(event_id, start, duration, azimuth, elevation=0.0, distance=1.5, trajectory=None):
    return SoundEvent(id=event_id, description="a sound", start=start, duration=duration,
                      position=Position(azimuth=azimuth, elevation=elevation, distance=distance), trajectory=trajectory)


def test_a_static_event_gives_one_row_per_frame_it_sounds_in():
    scene = Scene(events=[_event("e0", 0.5, 1.0, 90.0, 10.0, 1.5)], duration=2.0)
    rows = dcase_rows(scene, [3], [0])
    assert rows == [(frame, 3, 0, 90, 10, 150) for frame in range(5, 15)]  # 0.5-1.5 s: frames 5..14, left, 10° up, 150 cm
    assert dcase_csv(rows).splitlines()[0] == "5,3,0,90,10,150"
    assert len(dcase_csv(rows).splitlines()) == 10


def test_right_behind_and_below_keep_starss23_signs():
    scene = Scene(events=[_event("e0", 0.0, 0.1, -90.0, -30.0, 0.8), _event("e1", 0.0, 0.1, 180.0, 45.0, 2.0),
                          _event("e2", 0.0, 0.1, -179.7, 0.0, 3.0)], duration=1.0)
    rows = dcase_rows(scene, [0, 1, 2], [0, 0, 0])
    assert rows == [(0, 0, 0, -90, -30, 80), (0, 1, 0, 180, 45, 200), (0, 2, 0, 180, 0, 300)]


def test_a_moving_source_is_labelled_where_it_is_at_each_frame_centre():
    # 1.5 m ahead to 1.5 m left in a straight line over 1 s, starting at 1 s: at frame k the source has gone the fraction
    # f = (k + 0.5) * 0.1 - 1 of the way, to (1.5 (1 - f), 1.5 f) m, azimuth atan2(f, 1 - f)
    moving = _event("e0", 1.0, 1.0, 0.0, trajectory=[Keyframe(time=1.0, position=Position(azimuth=90.0, distance=1.5))])
    rows = dcase_rows(Scene(events=[moving], duration=3.0), [5], [0])
    assert [r[0] for r in rows] == list(range(10, 20))
    fractions = [(k + 0.5) * 0.1 - 1.0 for k in range(10, 20)]
    assert [r[3] for r in rows] == [math.floor(math.degrees(math.atan2(f, 1.0 - f)) + 0.5) for f in fractions]
    assert [r[3] for r in rows][:3] == [3, 10, 18]


def test_frames_with_nothing_are_omitted_and_overlaps_give_several_rows():
    scene = Scene(events=[_event("e0", 0.2, 0.2, 30.0), _event("e1", 0.3, 0.2, -30.0)], duration=1.0)
    rows = dcase_rows(scene, [1, 1], source_indices(["dog", "dog"]))
    assert rows == [(2, 1, 0, 30, 0, 150), (3, 1, 0, 30, 0, 150), (3, 1, 1, -30, 0, 150), (4, 1, 1, -30, 0, 150)]


def test_source_index_counts_within_each_class():
    assert source_indices(["dog", "bird", "dog", "dog", "bird"]) == [0, 0, 1, 2, 1]


def test_room_labels_are_zero_in_the_free_field():
    assert room_labels(None) == {"anechoic": True, "room_dimensions": [0.0, 0.0, 0.0], "rt60": 0.0}
    assert room_labels(Room(dimensions=(5.0, 4.0, 3.0), rt60=0.6)) == {"anechoic": False, "room_dimensions": [5.0, 4.0, 3.0], "rt60": 0.6}
