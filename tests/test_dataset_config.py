"""Dataset config: defaults that need nothing installed, JSON and YAML files, and one-line errors naming the field and range."""

import json

import pytest

from cascade.dataset.config import DatasetConfig, default_classes, load_config, parse_config, parse_folder_config
from cascade.errors import DatasetError
from cascade.taxonomy import BY_NAME


def test_default_config_is_the_issue_default():
    config = DatasetConfig()
    assert (config.length, config.events.count.min, config.events.count.max) == (4.0, 1, 3)
    assert config.rooms.anechoic == 0.5 and config.renderer == "hrtf" and config.sounds.generator == "procedural"
    assert "speech" in config.sounds.classes and config.sounds.backend_of("speech") == "speech"
    assert config.sounds.backend_of("dog") == "procedural"
    assert all(BY_NAME[name].synth != "texture" for name in default_classes())


def test_json_and_yaml_files_give_the_same_config(tmp_path):
    data = {"seed": 7, "length": 2.0, "rooms": {"anechoic": 0.2, "rt60": {"min": 0.3, "max": 0.9}},
            "sounds": {"classes": ["dog", "bird", "speech"]}}
    (tmp_path / "c.json").write_text(json.dumps(data))
    (tmp_path / "c.yaml").write_text("seed: 7\nlength: 2.0\nrooms:\n  anechoic: 0.2\n  rt60: {min: 0.3, max: 0.9}\n"
                                     "sounds:\n  classes: [dog, bird, speech]\n")
    from_json, from_yaml = load_config(tmp_path / "c.json"), load_config(tmp_path / "c.yaml")
    assert from_json == from_yaml
    assert from_json.rooms.rt60.max == 0.9 and from_json.sounds.classes == ["dog", "bird", "speech"]
    assert parse_config(json.loads(from_json.to_json())) == from_json


@pytest.mark.parametrize(("data", "words"), [
    ({"rooms": {"anechoic": 1.5}}, ["rooms.anechoic", "[0, 1]"]),
    ({"length": 120}, ["length", "[0.5, 60]"]),
    ({"events": {"count": {"min": 0, "max": 3}}}, ["events.count", "[1, 16]"]),
    ({"distance": {"min": 4, "max": 2}}, ["distance", "min (4) must not exceed max (2)"]),
    ({"rooms": {"z": {"min": 1.5, "max": 3}}, "distance": {"min": 1.0, "max": 3.0}}, ["rooms", "2.5 m"]),
    ({"sounds": {"classes": ["dgo"]}}, ["sounds", "dgo"]),
    ({"sounds": {"generator": "nope"}}, ["generator", "procedural"]),
    ({"sounds": {"generator": "library", "library": "/no/such/folder"}}, ["library", "/no/such/folder"]),
    ({"sample_rate": 12345}, ["sample_rate", "24000"]),
    ({"rooms": {"wals": 3}}, ["rooms.wals"]),
])
def test_invalid_config_names_the_field_and_its_range(data, words):
    with pytest.raises(DatasetError) as caught:
        parse_config(data)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_unreadable_config_files_are_one_line_errors(tmp_path):
    (tmp_path / "bad.json").write_text("{oops")
    (tmp_path / "c.txt").write_text("{}")
    for path, words in ((tmp_path / "bad.json", "not valid JSON"), (tmp_path / "c.txt", ".json, .yaml or .yml"),
                        (tmp_path / "missing.json", "cannot read")):
        with pytest.raises(DatasetError, match=words):
            load_config(path)


def test_own_classes_need_prompts():
    config = parse_config({"sounds": {"classes": ["violin", "dog"], "prompts": {"violin": ["a violin plays a melody"]}}})
    assert config.sounds.prompts_of("violin") == ["a violin plays a melody"]
    assert config.sounds.prompts_of("dog") == [BY_NAME["dog"].prompt]
    with pytest.raises(DatasetError, match="violin"):
        parse_config({"sounds": {"classes": ["violin"]}})


def test_the_starss23_preset_and_its_limits():
    config = parse_config({"preset": "starss23"})
    assert (config.sample_rate, config.bit_depth, config.labels.class_map) == (24000, "16", "starss23") and config.length >= 4.0
    assert parse_config({"preset": "starss23", "length": 8.0, "seed": 3}).length == 8.0  # other fields replace the preset's
    for data, words in (({"bit_depth": "24"}, "bit_depth '24'"), ({"length": 3.0}, "4 s or more"), ({"sample_rate": 48000}, "sample_rate 48000")):
        with pytest.raises(DatasetError, match=words):
            parse_config({"preset": "starss23", **data})
    with pytest.raises(DatasetError, match="preset must be one of starss23"):
        parse_config({"preset": "tau"})


def test_the_starss23_class_map_refuses_classes_it_has_no_class_for():
    with pytest.raises(DatasetError, match="class 'dog'"):
        parse_config({"labels": {"class_map": "starss23"}, "sounds": {"classes": ["knock", "dog"]}})
    with pytest.raises(DatasetError, match="a child speaks"):  # the default speech prompts include a child's voice
        parse_config({"labels": {"class_map": "starss23"}, "sounds": {"classes": ["speech"]}})


def test_ambience_classes_are_beds_not_point_events_unless_asked():
    assert not {"rain", "wind", "crowd", "ocean"} & set(default_classes())
    assert {"rain", "wind", "crowd"} <= set(DatasetConfig().ambience.classes) and DatasetConfig().ambience.fraction == 0.0
    assert "rain" in parse_config({"sounds": {"classes": ["rain", "dog"]}}).sounds.classes  # a config may still ask for them
    with pytest.raises(DatasetError, match=r"ambience\.classes"):
        parse_config({"ambience": {"classes": ["drizzle"]}})
    with pytest.raises(DatasetError, match=r"ambience\.level_db must lie in \[-60, 20\]"):
        parse_config({"ambience": {"level_db": {"min": -80, "max": 0}}})


def test_label_policy_is_recorded_in_the_config():
    assert DatasetConfig().labels.policy == "activity"
    config = parse_config({"labels": {"policy": "scheduled"}})
    assert json.loads(config.to_json())["labels"]["policy"] == "scheduled"
    with pytest.raises(DatasetError, match=r"labels\.bridge"):
        parse_config({"labels": {"bridge": -1}})


def test_a_folder_config_from_before_label_policies_continues_as_it_was_built():
    old = json.loads(DatasetConfig().to_json())
    del old["labels"], old["rooms"]["rt60_model"], old["rooms"]["rt60_spread"], old["ambience"], old["license"], old["preset"]
    continued = parse_folder_config(old)
    assert continued.labels.policy == "scheduled" and continued.rooms.rt60_model == "uniform"
    assert parse_folder_config(json.loads(DatasetConfig().to_json())) == DatasetConfig()  # today's config.json reads as written
