"""`cascade bench compare` end to end on 3 held-out scenes with tiny random end-to-end models, a tiny tagger and a coarse
localizer; and its command line's one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from benchmarks import compare
from benchmarks.compare_report import write
from benchmarks.localizer import Localizer
from benchmarks.renderer_fidelity import axd_sofa
from benchmarks.tagger import clean_clips, fit
from cascade.end_to_end import checkpoints
from cascade.end_to_end.codec import CodecConfig, FoaCodec
from cascade.end_to_end.conditioning import MODES
from cascade.end_to_end.dit import DitConfig
from cascade.end_to_end.model import SpatialDiffusion
from renderers.hrir import load_hrirs

pytestmark = pytest.mark.slow  # the module fixture renders every path of a held-out set (seconds)
PATHS = ["truth", "cascade-hrtf", "cascade-foa", "cascade-nfs", "e2e-parametric", "e2e-descriptive"]


def _write_tiny_models(folder) -> None:
    """codec.pt and dit_<mode>.pt of small random networks over 4 s windows; the DiT's output layer is random too, so what
    it generates depends on its conditions."""
    torch.manual_seed(0)
    codec = CodecConfig(width=4, strides=(8, 16), latent=4, units=1)
    checkpoints.save(folder / "codec.pt", {"kind": "codec", "config": codec.to_dict(), "state": FoaCodec(codec).state_dict()})
    frames = round(4.0 * codec.frame_rate)
    for mode in MODES:
        dit = DitConfig(latent=codec.latent_channels, width=32, depth=1, heads=2, frame_rate=codec.frame_rate)
        model = SpatialDiffusion(dit, mode)
        torch.nn.init.normal_(model.dit.project_out.weight, 0.0, 0.1)
        record = {"dit": dit.to_dict(), "mode": mode, "frames": frames, "steps": 2, "guidance": 2.0}
        checkpoints.save(folder / f"dit_{mode}.pt", {"kind": "dit", "state": model.state_dict(), "config": record})


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    _write_tiny_models(folder)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        labels = ["bird", "explosion", "gunshot"]  # some of the first held-out events' labels
        clips, _ = clean_clips(labels * 3, "test")
        tagger = fit(clips, labels * 3, 16000, labels)
        localizer = Localizer(load_hrirs(axd_sofa(1)), 16000, step_deg=30.0)
        return compare.run(3, checkpoint_dir=folder, tagger=tagger, localizer=localizer, progress=False)
    finally:
        torch.set_num_threads(threads)


def test_every_path_scores_every_event(result):
    assert list(result["paths"]) == PATHS
    for data in result["paths"].values():
        rows = data["rows"]
        assert [r["item"] for r in rows] == [0, 1, 2, 2, 2], "one single anechoic source, one in a room, three events"
        assert all(np.isfinite(r["spatial_angle"]) and np.isfinite(r["binaural_error_deg"]) for r in rows)
        assert data["summary"]["events"] == 5 and set(data["strata"]) == {"single-anechoic", "single-room", "multi"}
        assert data["cost"]["total_s_per_scene"] > 0 and data["cost"]["peak_rss_mb"] > 0


def test_the_truth_of_a_single_anechoic_source_is_exact(result):
    [row] = [r for r in result["paths"]["truth"]["rows"] if r["stratum"] == "single-anechoic"]
    assert row["spatial_angle"] < 1e-3 and row["l1_azimuth"] < 1e-3 and row["l1_elevation"] < 1e-3
    assert 0.0 <= row["onset_error_s"] < 0.5


def test_the_cascade_foa_is_the_exact_encoding_whatever_the_renderer(result):
    truth = result["paths"]["truth"]["rows"]
    for name in ("cascade-hrtf", "cascade-foa", "cascade-nfs"):
        for mine, exact in zip(result["paths"][name]["rows"], truth):
            assert mine["spatial_angle"] == pytest.approx(exact["spatial_angle"], abs=1e-4)
            assert mine["tag"] == exact["tag"] and mine["onset_error_s"] == pytest.approx(exact["onset_error_s"], abs=1e-3)
        assert result["paths"][name]["frechet"] == pytest.approx(0.0, abs=1e-3), "the same clips embed the same"


def test_costs_count_learned_parameters(result):
    paths = result["paths"]
    assert paths["cascade-hrtf"]["cost"]["parameters"] == 0 and paths["cascade-nfs"]["cost"]["parameters"] > 100_000
    assert paths["e2e-parametric"]["cost"]["parameters"] > 20_000_000, "the MiniLM text encoder counts"
    assert set(paths["e2e-parametric"]["cost"]["seconds_per_scene"]) == {"generate", "binaural", "mix"}


def test_results_are_written_as_markdown_json_and_figures(result, tmp_path):
    written = write(result, tmp_path / "compare-3")
    assert [p.name for p in written] == ["compare-3.md", "compare-3.json", "compare-3_polar.png", "compare-3_events.png"]
    table = written[0].read_text()
    assert all(f"| {name} |" in table for name in PATHS)
    data = json.loads(written[1].read_text())
    assert data["setup"]["seeds"]["multi"] == 1_400_003 and len(data["paths"]["truth"]["rows"]) == 5
    assert all(p.stat().st_size > 10_000 for p in written[2:])


def test_cascade_bench_compare_refuses_an_unknown_mode_in_one_line():
    done = subprocess.run([sys.executable, "-m", "cascade.cli", "bench", "compare", "--modes", "spatial"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "--modes" in done.stderr


@pytest.mark.parametrize(("args", "says"), [(["--items", "0"], "--items"), (["--renderers", "hrtf,binaural"], "--renderers"),
                                            (["--checkpoints", "{empty}", "--items", "3"], "codec.pt not found")])
def test_bad_arguments_and_missing_checkpoints_are_one_line_errors(args, says, tmp_path, capsys):
    args = [a.format(empty=tmp_path) for a in args]
    try:
        status = compare.main(args)
    except SystemExit as done:
        status = done.code
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and says in err
