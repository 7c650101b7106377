"""`cascade bench compare` end to end on 6 held-out scenes (seen and held-out wordings) with tiny random learned models,
a tiny tagger and coarse localizers; and its command line's one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from backends import write_tiny_dits

from benchmarks import compare
from benchmarks.compare_report import write
from benchmarks.localizer import Localizer
from benchmarks.renderer_fidelity import axd_sofa
from benchmarks.tagger import clean_clips, fit
from cascade.wordings import held_out_wording
from renderers.hrir import load_hrirs

pytestmark = pytest.mark.slow  # the module fixture renders every path of a held-out set (seconds)
PATHS = ["truth", "cascade-procedural-hrtf", "cascade-flow-hrtf", "e2e-ceiling", "e2e-parametric", "e2e-descriptive"]
ITEMS = [0, 1, 2, 2, 2, 3, 4, 5, 5]  # a single anechoic source, one in a room, a multi-event scene; then the same with held-out wordings


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    write_tiny_dits(folder)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        labels = ["bird", "explosion", "gunshot"]  # some of the first held-out events' labels
        clips, _ = clean_clips(labels * 3, "test")
        tagger = fit(clips, labels * 3, 16000, labels)
        coarse = {sofa: Localizer(load_hrirs(sofa), 16000, step_deg=30.0) for sofa in (None, str(axd_sofa(2)))}
        return compare.run(6, renderers=["hrtf"], checkpoint_dir=folder, tagger=tagger, localizers=coarse, progress=False)
    finally:
        torch.set_num_threads(threads)


def test_every_path_scores_every_event(result):
    assert list(result["paths"]) == PATHS
    for data in result["paths"].values():
        rows = data["rows"]
        assert [r["item"] for r in rows] == ITEMS
        assert all(np.isfinite(r["event_spatial_angle"]) and np.isfinite(r["binaural_error_deg"]) for r in rows)
        assert data["summary"]["events"] == len(ITEMS) and set(data["strata"]) == {"single-anechoic", "single-room", "multi"}
        assert data["wordings"]["seen"]["events"] == 5 and data["wordings"]["held-out"]["events"] == 4
        assert data["cost"]["total_s_per_scene"] > 0 and data["cost"]["peak_rss_mb"] > 0


def test_the_truth_of_a_single_anechoic_source_is_exact_in_its_own_signal_and_in_the_mix(result):
    for row in [r for r in result["paths"]["truth"]["rows"] if r["stratum"] == "single-anechoic"]:
        assert row["event_spatial_angle"] < 1e-3 and row["scene_spatial_angle"] < 1e-3 and row["event_l1_azimuth"] < 1e-3
        if row["judged"]:
            assert row["detected"] and not row["stationary"] and abs(row["onset_error_s"]) < 0.5


def test_the_procedural_cascade_is_the_truth_by_construction(result):
    truth = result["paths"]["truth"]["rows"]
    # each renderer's 1/r gain is 1 at its head's measurement distance (KEMAR 1.4 m, AXD 1.5 m): a common level offset
    offset = 20 * np.log10(load_hrirs().distance / load_hrirs(axd_sofa(2)).distance)
    for mine, exact in zip(result["paths"]["cascade-procedural-hrtf"]["rows"], truth):
        for key in ("event_spatial_angle", "scene_spatial_angle"):
            assert mine[key] == pytest.approx(exact[key], abs=1e-3)
        assert mine["level_db"] - exact["level_db"] == pytest.approx(offset, abs=0.01)
        assert mine["tag"] == exact["tag"] and mine["detected"] == exact["detected"]
    assert result["paths"]["cascade-procedural-hrtf"]["frechet"] == pytest.approx(0.0, abs=1e-3), "the same clips embed the same"


def test_the_codec_ceiling_keeps_a_single_anechoic_source_where_it_is(result):
    rows = [r for r in result["paths"]["e2e-ceiling"]["rows"] if r["stratum"] == "single-anechoic"]
    assert all(r["event_spatial_angle"] < 0.1 for r in rows), "the codec carries a plane wave's direction"


def test_rows_name_the_wording_each_learned_path_read(result):
    for row in result["paths"]["e2e-parametric"]["rows"]:
        assert (row["prompt"] == held_out_wording(row["class"])) == (row["wording"] == "held-out")


def test_costs_count_learned_parameters(result):
    paths = result["paths"]
    assert paths["cascade-procedural-hrtf"]["cost"]["parameters"] == 0 and paths["e2e-ceiling"]["cost"]["parameters"] == 0
    assert paths["cascade-flow-hrtf"]["cost"]["parameters"] > 20_000_000, "the MiniLM text encoder counts"
    assert paths["e2e-parametric"]["cost"]["parameters"] > 20_000_000
    assert set(paths["e2e-parametric"]["cost"]["seconds_per_scene"]) == {"generate", "binaural", "mix"}


def test_results_are_written_as_markdown_json_and_figures(result, tmp_path):
    written = write(result, tmp_path / "compare-6")
    assert [p.name for p in written] == ["compare-6.md", "compare-6.json", "compare-6_polar.png", "compare-6_events.png"]
    table = written[0].read_text()
    assert "| truth: exact FOA" in table and "| end-to-end, parametric |" in table and "| held-out |" in table
    assert "equal to the truth by construction | = truth |" in table
    assert "DualSpec" in table and " met" not in table, "published figures stand apart, never as a target met"
    data = json.loads(written[1].read_text())
    assert data["setup"]["seeds"]["multi"] == 1_400_003 and len(data["paths"]["truth"]["rows"]) == len(ITEMS)
    assert all(p.stat().st_size > 10_000 for p in written[2:])


def test_cascade_bench_compare_refuses_an_unknown_mode_in_one_line():
    done = subprocess.run([sys.executable, "-m", "cascade.cli", "bench", "compare", "--modes", "spatial"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "--modes" in done.stderr


@pytest.mark.parametrize(("args", "says"), [(["--items", "0"], "--items"), (["--renderers", "hrtf,binaural"], "--renderers"),
                                            (["--generators", "tangoflux"], "--generators"),
                                            (["--checkpoints", "{empty}", "--items", "3"], "dit_parametric.pt not found"),
                                            (["--checkpoints", "{empty}", "--modes", "none"], "dit_mono.pt not found")])
def test_bad_arguments_and_missing_checkpoints_are_one_line_errors(args, says, tmp_path, capsys):
    args = [a.format(empty=tmp_path) for a in args]
    try:
        status = compare.main(args)
    except SystemExit as done:
        status = done.code
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and says in err
