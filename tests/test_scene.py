"""Scene schema: conventions, validation at the boundary, lossless JSON round trip."""

import json

import pytest

from cascade.geometry import wrap_azimuth
from cascade.scene import Keyframe, Position, Room, Scene, SceneError, SoundEvent, json_schema


def _event(**fields):
    base = {"id": "dog", "description": "a dog barks", "start": 0.0, "duration": 2.0}
    base.update(fields)
    return base


@pytest.mark.parametrize("given, wrapped", [(180, 180), (-180, 180), (270, -90), (-270, 90), (540, 180), (-190, 170), (360, 0), (90, 90)])
def test_azimuth_wraps_into_half_open_range(given, wrapped):
    assert wrap_azimuth(given) == pytest.approx(wrapped)
    assert Position(azimuth=given).azimuth == pytest.approx(wrapped)


@pytest.mark.parametrize("field, value, words", [
    ("elevation", 91, "elevation"), ("elevation", -90.5, "elevation"), ("distance", 0, "distance"),
    ("distance", 100.1, "distance"), ("azimuth", float("nan"), "azimuth"),
])
def test_position_out_of_range_is_named(field, value, words):
    with pytest.raises(SceneError, match=words):
        Scene.from_dict({"events": [_event(position={field: value})]})


@pytest.mark.parametrize("fields, words", [
    ({"duration": 0}, "duration"), ({"duration": 60.01}, "duration"), ({"start": -0.1}, "start"),
    ({"id": "../evil"}, "id"), ({"description": ""}, "description"), ({"gain_db": 30}, "gain_db"),
])
def test_event_out_of_range_is_named(fields, words):
    with pytest.raises(SceneError, match=words):
        Scene.from_dict({"events": [_event(**fields)]})


def test_ids_must_be_unique():
    with pytest.raises(SceneError, match=r"unique.*dog"):
        Scene.from_dict({"events": [_event(), _event(start=3)]})


def test_at_most_64_events():
    events = [_event(id=f"e{i}") for i in range(65)]
    with pytest.raises(SceneError, match="events"):
        Scene.from_dict({"events": events})
    assert len(Scene.from_dict({"events": events[:64]}).events) == 64


def test_keyframes_must_be_in_time_order_and_within_the_event():
    def moving(times: list[float]) -> dict:
        return _event(trajectory=[{"time": t, "position": {"azimuth": -90}} for t in times])

    assert Scene.from_dict({"events": [moving([1.0, 2.0])]}).events[0].moves
    with pytest.raises(SceneError, match="increase"):
        Scene.from_dict({"events": [moving([1.5, 1.0])]})
    with pytest.raises(SceneError, match="beyond"):
        Scene.from_dict({"events": [moving([2.5])]})
    with pytest.raises(SceneError, match="time"):
        Scene.from_dict({"events": [moving([0.0])]})


def test_room_and_rate_ranges():
    with pytest.raises(SceneError, match="room"):
        Scene.from_dict({"events": [_event()], "room": {"dimensions": [0.5, 4, 3], "rt60": 0.4}})
    with pytest.raises(SceneError, match="sample_rate"):
        Scene.from_dict({"events": [_event()], "sample_rate": 44000})


def test_an_old_room_has_its_listener_at_the_centre_and_no_materials():
    room = Scene.from_dict({"events": [_event()], "room": {"dimensions": [6, 4, 3], "rt60": 0.4}}).room
    assert room.listener_position() == (3.0, 2.0, 1.5) and room.surface_materials() is None
    assert "listener" not in Scene.from_dict({"events": [_event()], "room": {"dimensions": [6, 4, 3], "rt60": 0.4}}).to_json()


def test_room_materials_by_name_or_per_surface():
    one = Room(dimensions=(6, 4, 3), rt60=0.5, materials="tiles")
    assert set(one.surface_materials().values()) == {"tiles"}
    mixed = Room(dimensions=(6, 4, 3), rt60=0.5, materials={"walls": "brick", "floor": "carpet", "front": "glass"})
    assert mixed.surface_materials() == {"back": "brick", "front": "glass", "right": "brick", "left": "brick", "floor": "carpet",
                                         "ceiling": "plaster"}
    with pytest.raises(SceneError, match=r"room.materials.walls: unknown material 'velvet'"):
        Scene.from_dict({"events": [_event()], "room": {"dimensions": [6, 4, 3], "rt60": 0.5, "materials": {"walls": "velvet"}}})


@pytest.mark.parametrize("listener", [[0.05, 2, 1.5], [3, 3.95, 1.5], [3, 2, 3.2]])
def test_listener_must_stand_inside_the_room_clear_of_its_surfaces(listener):
    with pytest.raises(SceneError, match=r"room: .*listener"):
        Scene.from_dict({"events": [_event()], "room": {"dimensions": [6, 4, 3], "rt60": 0.5, "listener": listener}})


def test_unknown_field_is_refused():
    with pytest.raises(SceneError, match="colour"):
        Scene.from_dict({"events": [_event(colour="red")]})


def test_invalid_json_is_one_line():
    with pytest.raises(SceneError) as err:
        Scene.from_json("{not json")
    assert "invalid JSON" in str(err.value) and "\n" not in str(err.value)


def test_json_round_trip_is_lossless():
    scene = Scene(
        text="a dog passes from left to right in a hall",
        events=[SoundEvent(id="dog", description="a dog barks", start=0.25, duration=3.0,
                           position=Position(azimuth=90, elevation=-20, distance=2.5), gain_db=-3.5,
                           trajectory=[Keyframe(time=1.5, position=Position(azimuth=0)), Keyframe(time=3.0, position=Position(azimuth=-90))])],
        room=Room(dimensions=(20, 15, 8), rt60=1.8), sample_rate=48000, duration=4.0, seed=7)
    again = Scene.from_json(scene.to_json())
    assert again == scene
    assert again.events[0].path()[0] == [0.0, 1.5, 3.0]


def test_scene_end_and_start_after_duration():
    scene = Scene.from_dict({"events": [_event(start=1.0, duration=2.0), _event(id="b", start=0.5, duration=1.0)]})
    assert scene.end == pytest.approx(3.0)
    with pytest.raises(SceneError, match="after the scene's end"):
        Scene.from_dict({"events": [_event(start=5.0)], "duration": 4.0})


def test_json_schema_is_valid_json_with_event_fields():
    schema = json.loads(json_schema())
    assert "SoundEvent" in schema["$defs"] and "azimuth" in schema["$defs"]["Position"]["properties"]


def test_missing_file_is_named(tmp_path):
    with pytest.raises(SceneError, match=r"nope\.json"):
        Scene.load(tmp_path / "nope.json")


def _two_events() -> Scene:
    return Scene(events=[SoundEvent(id="dog", description="a dog barks", duration=1.0, position=Position(azimuth=180, elevation=-20, distance=2)),
                         SoundEvent(id="bird", description="a bird chirps", start=1.0, duration=2.0, position=Position(azimuth=-90, elevation=30))])


def test_editing_an_event_gives_a_validated_copy():
    scene = _two_events()
    with pytest.raises(Exception, match="frozen"):
        scene.events[1].start = 3.0
    edited = scene.with_event("bird", start=3.0, position={"azimuth": 45})
    assert edited.event("bird").start == 3.0 and edited.end == 5.0
    assert edited.event("bird").position == Position(azimuth=45, elevation=30, distance=1.5)  # the fields not named stay
    assert edited.event("dog") == scene.event("dog") and scene.event("bird").start == 1.0  # the original is unchanged
    moving = edited.with_event("dog", trajectory=[Keyframe(time=1.0, position=Position(azimuth=90))])
    assert moving.event("dog").moves and moving.event("dog").path()[1][-1].azimuth == 90


@pytest.mark.parametrize("changes, words", [
    ({"duration": 0.0}, "events.0.duration: Input should be greater than or equal to 0.01"),
    ({"position": {"elevation": 95}}, "events.0.position.elevation: Input should be less than or equal to 90"),
    ({"diffuse": True, "trajectory": [{"time": 0.5, "position": {"azimuth": 10}}]}, "a diffuse event comes from all around and cannot move"),
    ({"loudness": 3}, "events.0.loudness: Extra inputs are not permitted"),
])
def test_an_edit_out_of_range_names_the_field(changes, words):
    with pytest.raises(SceneError, match=words):
        _two_events().with_event("dog", **changes)


def test_editing_an_unknown_event_names_the_ones_there():
    with pytest.raises(SceneError, match="no event 'cat' in this scene; its events: dog, bird"):
        _two_events().with_event("cat", start=1.0)


def test_replacing_scene_fields_validates_the_whole_scene():
    scene = _two_events()
    cat = SoundEvent(id="cat", description="a cat meows", start=2.0, duration=1.0)
    assert [e.id for e in scene.replace(events=[*scene.events, cat]).events] == ["dog", "bird", "cat"]
    assert scene.replace(room=Room(dimensions=(5, 4, 3), rt60=0.5)).room.dimensions == (5, 4, 3)
    with pytest.raises(SceneError, match=r"event 'bird' starts at 1\.0 s, at or after the scene's end"):
        scene.replace(duration=0.5)
