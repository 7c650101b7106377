"""Scene sampler: item i from (seed, i, config) alone, drawn from the declared distribution, sources inside their room."""

import math

import numpy as np
import pytest

from cascade.dataset.config import WALL_CLEARANCE, DatasetConfig, parse_config
from cascade.dataset.sampler import sample_scene
from cascade.geometry import to_cartesian
from cascade.pipeline import event_path
from cascade.taxonomy import BY_NAME

ITEMS = 1500


@pytest.fixture(scope="module")
def draws():
    config = DatasetConfig()
    return config, [sample_scene(config, i) for i in range(ITEMS)]


def test_an_item_depends_only_on_seed_index_and_config():
    config = DatasetConfig(seed=3)
    alone = sample_scene(config, 41)
    for i in range(5):
        sample_scene(config, i)
    assert sample_scene(config, 41) == alone
    assert sample_scene(DatasetConfig(seed=4), 41).scene != alone.scene
    assert sample_scene(config, 42).scene != alone.scene


def test_directions_are_uniform_on_the_sphere_within_the_band(draws):
    config, items = draws
    events = [e for draw in items for e in draw.scene.events]
    elevation = np.array([e.position.elevation for e in events])
    azimuth = np.array([e.position.azimuth for e in events])
    low, high = math.radians(config.direction.elevation.min), math.radians(config.direction.elevation.max)
    above_30 = (1 - math.sin(math.radians(30))) / (math.sin(high) - math.sin(low))  # area fraction of the zone above 30°
    tolerance = 4 * math.sqrt(above_30 * (1 - above_30) / len(events))
    assert abs(np.mean(elevation > 30) - above_30) < tolerance
    assert elevation.min() >= -40 and elevation.max() <= 90
    assert abs(np.mean(azimuth > 0) - 0.5) < 4 * math.sqrt(0.25 / len(events))
    counts = [len(draw.scene.events) for draw in items]
    assert set(counts) == {1, 2, 3}


def test_rooms_hold_their_sources_along_the_whole_path(draws):
    config, items = draws
    rooms = [draw.scene.room for draw in items]
    anechoic = np.mean([room is None for room in rooms])
    assert abs(anechoic - config.rooms.anechoic) < 4 * math.sqrt(0.25 / ITEMS)
    checked = 0
    for draw in items:
        room = draw.scene.room
        if room is None:
            continue
        assert config.rooms.x.min <= room.dimensions[0] <= config.rooms.x.max
        assert config.rooms.rt60.min <= room.rt60 <= config.rooms.rt60.max
        half = np.array(room.dimensions) / 2 - WALL_CLEARANCE
        for event in draw.scene.events:
            times = np.linspace(0.0, event.duration, 50)
            points = to_cartesian(*event_path(event).at(times))
            assert np.all(np.abs(points) <= half + 1e-3), (room, event)
            checked += 1
    assert checked > 500


def test_events_sit_on_the_label_grid_and_moving_ones_keep_their_speed(draws):
    config, items = draws
    moving = 0
    for draw in items:
        for event in draw.scene.events:
            assert event.start * 10 == pytest.approx(round(event.start * 10), abs=1e-6)
            assert event.duration * 10 == pytest.approx(round(event.duration * 10), abs=1e-6)
            assert event.end <= config.length + 1e-9 and event.duration >= 0.2 - 1e-9
            assert config.distance.min <= event.position.distance <= config.distance.max
            if event.moves:
                moving += 1
                times, positions = event.path()
                steps = np.diff([p.azimuth for p in positions])
                turned = abs(np.sum((steps + 180) % 360 - 180))
                assert config.motion.speed.min - 0.1 <= turned / event.duration <= config.motion.speed.max + 0.1
                assert {p.distance for p in positions} == {event.position.distance}
                assert times[-1] == pytest.approx(event.duration)
    total = sum(len(d.scene.events) for d in items)
    assert abs(moving / total - config.motion.fraction) < 4 * math.sqrt(0.25 * 0.75 / total)


def test_backends_and_prompts_follow_the_class(draws):
    _, items = draws
    for draw in items:
        for event, name in zip(draw.scene.events, draw.classes):
            assert event.generation is not None
            if name == "speech":
                assert event.generation.backend == "speech"
                assert event.description in ("a woman speaks", "a man speaks", "a child speaks")
            else:
                assert event.generation.backend == "procedural"
                assert event.description == BY_NAME[name].prompt


def test_class_priors_set_the_elevation():
    config = parse_config({"direction": {"distribution": "priors", "prior_spread": 0.0}, "sounds": {"classes": ["dog", "bird"]}})
    for i in range(30):
        draw = sample_scene(config, i)
        for event, name in zip(draw.scene.events, draw.classes):
            assert event.position.elevation == pytest.approx(BY_NAME[name].elevation)
