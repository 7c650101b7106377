"""DCASE / STARSS23 metadata rows of known events, written out by hand from the format's definition."""

import math

import numpy as np

from cascade.dataset.labels import dcase_csv, dcase_rows, half_up, label_azimuth, room_labels, sounding_frames, source_indices
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


def _bursts(rate, spans, length):
    """A 1 kHz tone over each (start s, end s, level dB) span of a silent clip `length` seconds long."""
    clip = np.zeros(int(round(length * rate)), dtype=np.float32)
    t = np.arange(clip.size) / rate
    for start, end, level in spans:
        inside = (t >= start) & (t < end)
        clip[inside] = 10 ** (level / 20) * np.sin(2 * np.pi * 1000 * t[inside])
    return clip


def test_activity_labels_the_frames_where_the_clip_sounds_and_bridges_short_gaps():
    rate = 16000
    # tone 0-0.2 s, silent 0.2-0.3 s (one frame), tone 0.3-0.4 s, silent 0.4-0.9 s (five frames), tone 0.9-1.0 s; placed at 0.5 s
    clip = _bursts(rate, [(0.0, 0.2, 0.0), (0.3, 0.4, 0.0), (0.9, 1.0, 0.0)], 1.0)
    assert sounding_frames(clip, rate, 0.5, 20, 25.0, 0.0).tolist() == [5, 6, 8, 14]
    assert sounding_frames(clip, rate, 0.5, 20, 25.0, 0.25).tolist() == [5, 6, 7, 8, 14]  # a 0.1 s gap is shorter than 0.25 s
    assert sounding_frames(clip, rate, 0.5, 20, 25.0, 0.6).tolist() == [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert sounding_frames(clip, rate, 0.5, 20, 25.0, 0.5).tolist() == [5, 6, 7, 8, 14]  # a 0.5 s gap is not shorter than 0.5 s
    assert sounding_frames(clip, rate, 1.5, 20, 25.0, 0.0).tolist() == [15, 16, 18]  # what passes the item's end is not labelled


def test_activity_threshold_is_relative_to_the_clips_loudest_frame():
    rate = 16000
    clip = _bursts(rate, [(0.0, 0.1, -6.0), (0.1, 0.2, -26.0), (0.2, 0.3, -36.0), (0.3, 0.4, -50.0)], 0.4)
    assert sounding_frames(clip, rate, 0.0, 4, 25.0, 0.0).tolist() == [0, 1]  # -20 dB re the loudest frame is in, -30 dB out
    assert sounding_frames(clip, rate, 0.0, 4, 35.0, 0.0).tolist() == [0, 1, 2]
    assert sounding_frames(np.zeros(1600, np.float32), rate, 0.0, 4, 25.0, 0.0).size == 0
    # a frame three quarters filled by a tone has 3/4 of the power of a full one (-1.2 dB)
    half = _bursts(rate, [(0.025, 0.2, 0.0)], 0.2)
    assert sounding_frames(half, rate, 0.0, 2, 1.0, 0.0).tolist() == [1]
    assert sounding_frames(half, rate, 0.0, 2, 1.5, 0.0).tolist() == [0, 1]


def test_given_frames_replace_the_scheduled_ones():
    scene = Scene(events=[_event("e0", 0.5, 1.0, 90.0, 10.0, 1.5)], duration=2.0)
    assert dcase_rows(scene, [3], [0], [np.array([6, 9])]) == [(6, 3, 0, 90, 10, 150), (9, 3, 0, 90, 10, 150)]


def test_values_round_half_up_and_azimuth_wraps():
    assert [half_up(v) for v in (70.5, 71.5, -70.5, -0.5, 0.49, 2.5)] == [71, 72, -70, 0, 0, 3]
    assert [label_azimuth(a) for a in (179.5, -179.5, -179.6, 70.5)] == [180, -179, 180, 71]
