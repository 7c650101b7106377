"""The planner benchmark: its scoring against known answers, and the rule planner's bar on the shipped set."""

import json

import pytest

import planners
from benchmarks.planner_eval import ACCURACY_KEYS, angle_error, distance_class, evaluate, load_items
from cascade.cli import main


class Everything:
    """A planner that puts every description, whole, ahead at 2 m: the floor a real planner must beat."""

    name = "floor"

    def plan(self, text):
        from cascade.scene import Scene

        return Scene.from_dict({"events": [{"id": "a", "description": text, "duration": 2.0}]})


def test_scoring_primitives():
    assert angle_error(170.0, -170.0) == pytest.approx(20.0) and angle_error(-90.0, 90.0) == pytest.approx(180.0)
    assert [distance_class(d) for d in (0.5, 2.0, 20.0)] == ["near", "mid", "far"]


@pytest.mark.slow
def test_rule_planner_clears_0_98_on_every_accuracy_column():
    result = evaluate(planners.get("rules"), load_items())
    assert result["items"] >= 120
    assert {k: result[k] for k in ACCURACY_KEYS if result[k] is not None and result[k] < 0.98} == {}


def test_a_planner_that_ignores_space_and_time_scores_low():
    result = evaluate(Everything(), load_items())
    assert result["event_count_accuracy"] < 0.9 and result["azimuth_within_20"] < 0.6 and result["motion_accuracy"] == 0.0


@pytest.mark.slow
def test_cascade_bench_planner_writes_its_json(tmp_path, capsys):
    out = tmp_path / "planner.json"
    assert main(["bench", "planner", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["planner"] == "rules" and "label_recall" in capsys.readouterr().out
