"""A scene's events as conditions: windows, crossfades, relative start times, captions; and the synthetic examples."""

import numpy as np
import pytest

from cascade.end_to_end.conditioning import NUMBERS
from cascade.end_to_end.data import LEVEL_DBFS, SyntheticSpec, synthetic_example
from cascade.end_to_end.events import event_windows
from cascade.end_to_end.inference import crossfade, window_offsets
from cascade.metrics import foa_doa, spatial_angle
from cascade.scene import Keyframe, Position, Room, Scene, SoundEvent


def test_one_window_covers_a_short_scene_and_overlapping_windows_cover_a_long_one():
    assert window_offsets(3.0, 4.0) == [0.0]
    offsets = window_offsets(10.0, 4.0, 0.5)
    assert offsets == [0.0, 3.5, 7.0] and offsets[-1] + 4.0 >= 10.0


@pytest.mark.parametrize("length", [3.0, 7.5, 11.2])
def test_crossfade_weights_sum_to_one_everywhere(length):
    offsets = window_offsets(length, 4.0, 0.5)
    weights = crossfade(offsets, 4.0, 0.5, 100, int(length * 100))
    assert np.allclose(weights.sum(axis=0), 1.0)


def test_events_get_start_relative_to_their_window_their_total_duration_and_their_place():
    scene = Scene(events=[SoundEvent(id="dog", description="a dog barks", start=1.0, duration=2.0, gain_db=-6.0,
                                     position=Position(azimuth=90, distance=5)),
                          SoundEvent(id="rain", description="rain falls", start=0.0, duration=9.0)],
                  room=Room(dimensions=(10, 8, 3), rt60=0.6))
    offsets, jobs = event_windows(scene, {"dog": 1, "rain": 2}, window=4.0)
    assert offsets == [0.0, 3.5, 7.0]
    dog = [j for j in jobs if j.event_id == "dog"]
    assert len(dog) == 1, "the dog sounds only in the first window"
    values = dict(zip(NUMBERS, dog[0].numbers))
    assert values["start"] == 1.0 and values["total"] == 2.0 and values["azimuth"] == 90.0 and values["gain"] == -6.0
    assert values["room_volume"] == 240.0 and values["rt60"] == 0.6
    rain = [dict(zip(NUMBERS, j.numbers)) for j in jobs if j.event_id == "rain"]
    assert [r["start"] for r in rain] == [0.0, -3.5, -7.0], "a window that begins inside the sound sees a negative start"
    assert dog[0].caption == "a dog barks a few metres away on the left, at ear level, in a large room"
    assert len({j.seed for j in jobs}) == len(jobs), "every window draws its own noise"


def test_a_moving_source_is_conditioned_where_it_is_in_the_middle_of_its_window():
    event = SoundEvent(id="car", description="a car passes", duration=4.0, position=Position(azimuth=90),
                       trajectory=[Keyframe(time=4.0, position=Position(azimuth=-90))])
    _, [job] = event_windows(Scene(events=[event]), {"car": 0}, window=4.0)
    assert abs(job.numbers[0]) < 1e-6, "half way from left to right along the front is straight ahead"


def test_anechoic_rooms_are_absent_numbers():
    _, [job] = event_windows(Scene(events=[SoundEvent(id="a", description="a bell", duration=1.0)]), {"a": 0}, window=4.0)
    values = dict(zip(NUMBERS, job.numbers))
    assert np.isnan(values["room_volume"]) and np.isnan(values["rt60"])


def test_descriptive_captions_are_the_dataset_builders_general_form():
    _, [job] = event_windows(Scene(events=[SoundEvent(id="a", description="a bell rings", duration=1.0,
                                                      position=Position(azimuth=-90, elevation=30, distance=10))]), {"a": 0}, window=4.0)
    assert job.caption == "a bell rings far away on the right, above, in the open air"
    assert job.prompt == "a bell rings"


def test_synthetic_anechoic_examples_point_where_their_labels_say_and_are_levelled_at_their_gain():
    for seed in range(6):
        example = synthetic_example(seed, SyntheticSpec(seconds=2.0, room_share=0.0, moving_share=0.0))
        azimuth, elevation = foa_doa(example.foa)
        assert spatial_angle(azimuth, elevation, example.azimuth, example.elevation) < 0.5
        onset = max(0, int(round(example.start * 16000)))
        span = slice(onset, onset + int(round(min(example.total + min(example.start, 0.0), 2.0 - max(example.start, 0.0)) * 16000)))
        for signal in (example.foa[0], example.mono):
            level = 20 * np.log10(np.sqrt(np.mean(signal[span].astype(np.float64) ** 2)))
            assert abs(level - (LEVEL_DBFS + example.gain)) < 0.1
        assert -20.0 <= example.gain <= 0.0
        assert example.foa.shape == (4, 32000) and example.mono.shape == (32000,) and example.room_volume is None


def test_synthetic_examples_train_on_four_wordings_of_a_class_and_hold_out_the_fifth():
    from cascade.wordings import class_of, held_out_wording, seen_wordings

    seen = [synthetic_example(seed, SyntheticSpec(seconds=1.0, room_share=0.0)).prompt for seed in range(12)]
    assert all(p in seen_wordings(class_of(p)) for p in seen)
    held = synthetic_example(3, SyntheticSpec(seconds=1.0, room_share=0.0, held_out_wording=True)).prompt
    assert held == held_out_wording(class_of(held))


@pytest.mark.slow
def test_synthetic_room_examples_keep_sounding_after_their_source_stops():
    example = next(e for e in (synthetic_example(seed, SyntheticSpec(seconds=2.0, room_share=1.0)) for seed in range(40))
                   if e.start + e.total < 1.6)
    assert example.room_volume > 0 and 0.15 <= example.rt60 <= 3.0
    end = example.start + example.total
    active = example.foa[0, max(0, int(example.start * 16000)) : int(end * 16000)].astype(np.float64)
    tail = example.foa[0, int((end + 0.02) * 16000) : int((end + 0.1) * 16000)].astype(np.float64)
    decay_db = 20 * np.log10(np.sqrt(np.mean(active**2)) / np.sqrt(np.mean(tail**2)))
    assert decay_db < 60 * 0.1 / example.rt60 + 20, "the tail falls at most 60 dB per RT60 (+20 dB for the source's own envelope)"
