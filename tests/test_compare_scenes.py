"""The comparison's held-out scenes: the strata they promise, drawn with seeds and configs no training set used, and the
wordings the learned paths read."""

import json

import pytest

from benchmarks.compare_paths import reads_wordings
from benchmarks.compare_scenes import HELD_OUT, SEEDS, SEEN, STRATA, TRAINING_CONFIG, held_out_scenes, stratum_config
from benchmarks.e2e_codec import HELD_OUT_SEED
from cascade.dataset.config import load_config
from cascade.dataset.sampler import sample_scene
from cascade.end_to_end.checkpoints import SHIPPED
from cascade.end_to_end.data import GAIN_RANGE, TRAINING_CLASSES
from cascade.taxonomy import BY_NAME
from cascade.wordings import held_out_wording, seen_wordings

TRAINING_ITEMS = 4000  # training items checked when no shipped checkpoint says how many it saw


def _seeds_in(value) -> set[int]:
    """Every integer stored under a key 'seed' anywhere in parsed JSON."""
    if isinstance(value, dict):
        found = {v for k, v in value.items() if k == "seed" and isinstance(v, int)}
        return found.union(*(_seeds_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_seeds_in(v) for v in value))
    return set()


def _shipped_records() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SHIPPED.glob("dit_*.json"))] if SHIPPED.is_dir() else []


def test_every_stratum_has_its_own_seed_and_differs_from_the_training_config():
    training = load_config(TRAINING_CONFIG)
    used = {training.seed, HELD_OUT_SEED, HELD_OUT_SEED + 1}.union(*(_seeds_in(r) for r in _shipped_records()))
    assert len(set(SEEDS.values())) == len(STRATA) and not used & set(SEEDS.values())
    for stratum in STRATA:
        config = stratum_config(stratum)
        assert config.seed == SEEDS[stratum] and config != training
        assert (config.sample_rate, config.length, config.motion.fraction) == (training.sample_rate, training.length, 0.0)


@pytest.mark.slow
def test_no_held_out_clip_seed_was_a_training_clip_seed():
    training = load_config(TRAINING_CONFIG)
    counts = [r.get("meta", {}).get("train_items", 0) + r.get("meta", {}).get("val_items", 0) for r in _shipped_records()]
    items = max(counts, default=0) or TRAINING_ITEMS
    trained = {e.generation.seed for k in range(items) for e in sample_scene(training, k).scene.events}
    held = {e.generation.seed for h in held_out_scenes(96) for e in h.scene.events}
    assert len(trained) >= items and not trained & held


def test_strata_interleave_and_hold_what_they_promise():
    scenes = held_out_scenes(60)
    assert [h.stratum for h in scenes[:6]] == list(STRATA) * 2
    for held in scenes:
        events = held.scene.events
        assert held.scene.sample_rate == 16000 and held.scene.duration == 4.0 and len(held.classes) == len(events)
        assert all(e.trajectory is None and e.end <= 4.0 for e in events)
        if held.stratum == "single-anechoic":
            assert len(events) == 1 and held.scene.room is None
        elif held.stratum == "single-room":
            assert len(events) == 1 and held.scene.room is not None
        else:
            assert 2 <= len(events) <= 4 and all(0.5 <= e.duration <= 2.0 for e in events)
    multi = [h for h in scenes if h.stratum == "multi"]
    assert 0 < sum(h.scene.room is not None for h in multi) < len(multi), "multi-event scenes come with and without rooms"


def test_the_set_is_the_same_every_time_and_a_prefix_of_a_larger_one():
    assert [h.scene for h in held_out_scenes(9)] == [h.scene for h in held_out_scenes(30)[:9]]


def test_learned_paths_read_seen_and_held_out_wordings_in_turn_and_the_truth_keeps_its_prompts():
    scenes = held_out_scenes(12)
    assert [h.wording for h in scenes] == [SEEN] * 3 + [HELD_OUT] * 3 + [SEEN] * 3 + [HELD_OUT] * 3
    for held in scenes:
        for event, worded, name in zip(held.scene.events, held.worded.events, held.classes):
            assert event.description == BY_NAME[name].prompt, "the truth reads the taxonomy prompt"
            if held.wording == HELD_OUT:
                assert worded.description == held_out_wording(name) and worded.description not in seen_wordings(name)
            else:
                assert worded.description in seen_wordings(name)
            assert worded.model_copy(update={"description": event.description}) == event, "only the wording differs"
    assert {reads_wordings(n) for n in ("truth", "cascade-procedural-hrtf", "e2e-ceiling")} == {False}
    assert {reads_wordings(n) for n in ("cascade-flow-nfs", "e2e-parametric", "e2e-descriptive")} == {True}


def test_every_event_is_made_as_the_learned_models_learned_it():
    for held in held_out_scenes(30):
        assert all(e.generation.backend == "procedural" and GAIN_RANGE[0] <= e.gain_db <= GAIN_RANGE[1] for e in held.scene.events)
        assert set(held.classes) <= set(TRAINING_CLASSES)
