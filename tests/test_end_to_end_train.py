"""Training: a tiny model overfits one batch, runs write and resume their checkpoint, and DDP runs on 2 CPU processes."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn

from cascade.end_to_end import checkpoints
from cascade.end_to_end.dit import DitConfig
from cascade.end_to_end.model import Conditions, SpatialDiffusion
from cascade.end_to_end.sampler import flow_pair
from cascade.end_to_end.train import Schedule, fit


@pytest.mark.slow
def test_a_tiny_dit_overfits_one_batch_tenfold():
    torch.manual_seed(0)
    model = SpatialDiffusion(DitConfig(latent=4, width=32, depth=2, heads=2), "parametric")
    g = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(4, 4, 16, generator=g), torch.randn(4, 4, 16, generator=g)
    t = torch.tensor([0.2, 0.4, 0.6, 0.8])
    x_t, target = flow_pair(x0, t, noise)
    conditions = Conditions(torch.randn(4, 3, 384, generator=g), torch.ones(4, 3, dtype=torch.bool), torch.randn(4, 8, generator=g))
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(150):
        loss = (model(x_t, t, conditions) - target).pow(2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0] / 10


@dataclass
class _Toy:
    """A one-parameter task: learn w = 3 from batches of (x, 3x)."""

    kind: str = "dit"
    ema_decay: float | None = None

    def __post_init__(self) -> None:
        torch.manual_seed(0)
        self.model = nn.Linear(1, 1, bias=False)

    def config(self) -> dict[str, Any]:
        return {"toy": True}

    def meta(self) -> dict[str, Any]:
        return {}

    def batch(self, rng, size, device):
        x = torch.from_numpy(rng.standard_normal((size, 1))).float()
        return x, 3 * x

    def loss(self, model, batch):
        x, y = batch
        return {"mse": (model(x) - y).pow(2).mean()}

    def validate(self, model):
        return {"error": abs(float(self.model.weight) - 3.0)}


@pytest.mark.slow
def test_fit_writes_checkpoint_curves_and_resumes_where_it_stopped(tmp_path):
    out = tmp_path / "toy.pt"
    schedule = Schedule(steps=30, lr=0.2, warmup=1, half_life=20, batch=8, validate_every=10)
    history = fit(_Toy(), out, schedule, torch.device("cpu"))
    assert [r["step"] for r in history] == [10, 20, 30]
    assert out.is_file() and out.with_suffix(".png").stat().st_size > 1000
    recorded = json.loads(out.with_suffix(".json").read_text())
    assert recorded["step"] == 30 and len(recorded["history"]) == 3 and "optimiser" not in recorded
    resumed = fit(_Toy(), out, Schedule(steps=60, lr=0.2, warmup=1, half_life=20, batch=8, validate_every=10), torch.device("cpu"), resume=out)
    assert [r["step"] for r in resumed] == [10, 20, 30, 40, 50, 60]
    assert checkpoints.load(out, "dit")["step"] == 60
    assert resumed[-1]["val"]["error"] < min(0.1, resumed[2]["val"]["error"]), "the resumed run kept learning"


@pytest.mark.slow
def test_export_halves_the_weights_and_keeps_config_and_history(tmp_path):
    out = tmp_path / "toy.pt"
    fit(_Toy(), out, Schedule(steps=4, lr=0.2, warmup=1, batch=4, validate_every=2), torch.device("cpu"))
    shipped = checkpoints.export(out, tmp_path / "ship" / "toy.pt")
    payload = torch.load(shipped, weights_only=True)
    assert payload["state"]["weight"].dtype == torch.float16 and "optimiser" not in payload
    assert payload["config"] == {"toy": True} and len(payload["history"]) == 2
    assert checkpoints.load(shipped, "dit")["state"]["weight"].dtype == torch.float32


def test_loading_a_missing_or_foreign_checkpoint_says_what_to_do(tmp_path):
    with pytest.raises(checkpoints.CheckpointError, match="train one with `cascade train-e2e dit`"):
        checkpoints.load(tmp_path / "none.pt", "dit")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(checkpoints.CheckpointError, match="unreadable"):
        checkpoints.load(tmp_path / "bad.pt", "dit")


@pytest.mark.slow
def test_torchrun_trains_a_dit_with_two_gloo_processes(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    trainer = [sys.executable, "-m", "cascade.end_to_end.commands"]
    subprocess.run([*trainer, "synth", "--out", str(tmp_path), "--count", "6", "--seconds", "1"], check=True, capture_output=True,
                   timeout=120, cwd=root, env=env)
    out = tmp_path / "dit_mono.pt"
    completed = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m",
                                "cascade.end_to_end.commands", "dit", "--mode", "mono", "--data", str(tmp_path), "--out", str(out),
                                "--steps", "4", "--batch", "2", "--validate-every", "2", "--set", "width=16", "depth=1", "heads=2", "patch=4"],
                               capture_output=True, text=True, timeout=300, cwd=root, env=env)
    assert completed.returncode == 0, completed.stderr[-2000:]
    payload = checkpoints.load(out, "dit")
    assert payload["meta"]["processes"] == 2 and payload["step"] == 4 and [r["step"] for r in payload["history"]] == [2, 4]
    assert {"flow", "probe_class", "probe_onset_s", "probe_level_db"} <= set(payload["history"][-1]["val"])


@pytest.mark.parametrize(("argv", "message"), [
    (["dit", "--data", "x", "--steps", "-5"], "--steps must be in [1,"), (["dit", "--data", "x", "--minutes", "-1"], "--minutes must be in (0,"),
    (["dit", "--data", "x", "--batch", "0"], "--batch must be in [1,"), (["dit", "--data", "x", "--threads", "0"], "--threads must be in [1,"),
    (["dit", "--data", "x", "--lr", "nan"], "--lr must be in (0,"), (["dit", "--data", "x", "--seed", "-1"], "--seed must be in [0,"),
    (["synth", "--out", "x", "--count", "0"], "--count must be in [1,"), (["synth", "--out", "x", "--seconds", "nan"], "--seconds must be in (0,"),
    (["dit", "--data", "x", "--steps", "2", "--set", "width=0"], "--set width must be in (0, 4096]"),
])
def test_train_e2e_refuses_numbers_out_of_range_in_one_line(argv, message, capsys):
    from cascade.end_to_end.commands import main

    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cascade: error: ") and message in err and len(err.splitlines()) == 1


def test_train_e2e_checks_its_output_before_any_work(tmp_path, capsys):
    from cascade.end_to_end.commands import main

    assert main(["dit", "--data", str(tmp_path / "none"), "--steps", "2", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p["config"].pop("codec"), "not a usable DiT checkpoint"),
    (lambda p: p["config"].update(frames=-5), "frames is -5"),
    (lambda p: p["config"]["codec"].update(sample_rate=0), "codec sample_rate is 0"),
    (lambda p: p["config"]["dit"].update(width=64), "not a usable DiT checkpoint"),
    (lambda p: p.update(state={"dit.x": "a string"}), "is unreadable|not a usable"),
])
def test_a_damaged_dit_checkpoint_is_one_line(tmp_path, change, message):
    from backends import write_tiny_dits

    from cascade.end_to_end.inference import FlowModel

    folder = write_tiny_dits(tmp_path / "tiny")
    payload = torch.load(folder / "dit_parametric.pt", weights_only=True)
    change(payload)
    damaged = tmp_path / "dit_parametric.pt"
    try:
        torch.save(payload, damaged)
    except Exception:
        pytest.skip("torch cannot save this payload")
    with pytest.raises(checkpoints.CheckpointError, match=message):
        FlowModel(damaged, torch.device("cpu"))
