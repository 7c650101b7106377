"""The training loop shared by the codec and the DiT: one process or `torchrun` (DistributedDataParallel).

Each rank draws its own batches (seeded by rank and step); gradients are averaged by DDP; rank 0
validates, keeps the history and writes the checkpoint atomically (weights, optimiser, EMA, step,
history), with the curves as JSON and PNG beside it, so a stopped run loses at most one validation
interval and `--resume` continues it exactly where it was.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from cascade.end_to_end import checkpoints
from cascade.files import write_text


class Task(Protocol):
    """What the loop trains: a model, its batches, its loss terms (summed) and its validation figures."""

    kind: str
    model: nn.Module
    ema_decay: float | None

    def config(self) -> dict[str, Any]: ...

    def meta(self) -> dict[str, Any]: ...

    def batch(self, rng: np.random.Generator, size: int, device: torch.device) -> Any: ...

    def loss(self, model: nn.Module, batch: Any) -> dict[str, torch.Tensor]: ...

    def validate(self, model: nn.Module) -> dict[str, float]: ...


@dataclass(frozen=True)
class Schedule:
    """Stop after `minutes` of training or `steps` optimiser steps (whichever first; None = no limit);
    learning rate `lr` after a linear warm-up of `warmup` steps, halved every `half_life` steps."""

    minutes: float | None = None
    steps: int | None = None
    lr: float = 5e-4
    warmup: int = 200
    half_life: int = 4000
    batch: int = 8
    validate_every: int = 100
    seed: int = 0

    def rate(self, step: int) -> float:
        return self.lr * min(1.0, (step + 1) / self.warmup) * 0.5 ** (step / self.half_life)


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def start_distributed(device: torch.device) -> Distributed:
    """Join the process group `torchrun` describes in the environment (gloo on CPU, NCCL on CUDA), else one process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Distributed(dist.get_rank(), dist.get_world_size())


def _stop_together(stop: bool, dist_info: Distributed, device: torch.device) -> bool:
    """Rank 0's decision, shared with every rank."""
    if dist_info.world == 1:
        return stop
    import torch.distributed as dist

    flag = torch.tensor([1.0 if stop else 0.0], device=device)
    dist.broadcast(flag, 0)
    return bool(flag.item())


class _Ema:
    """Exponential moving average of a model's floating-point weights; the decay warms up as min(decay, (1 + n) / (10 + n))
    after n updates, so a short run's average is not dominated by its initial weights."""

    def __init__(self, model: nn.Module, decay: float, updates: int = 0) -> None:
        self.decay, self.updates = decay, updates
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        self.updates += 1
        for key, value in model.state_dict().items():
            if value.is_floating_point():
                self.state[key].mul_(decay).add_(value.detach(), alpha=1 - decay)
            else:
                self.state[key].copy_(value)


def fit(task: Task, out: Path, schedule: Schedule, device: torch.device, resume: Path | None = None) -> list[dict[str, Any]]:
    """Train `task.model` by `schedule` on `device`, from `resume` when given; returns the history (one record per
    validation). The checkpoint `out` (.pt) and `out`.json / `out`.png are rewritten at every validation."""
    ranks = start_distributed(device)
    model = task.model.to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=schedule.lr, betas=(0.9, 0.99), weight_decay=1e-4)
    step, history, trained_s = 0, [], 0.0
    ema = _Ema(model, task.ema_decay) if task.ema_decay else None
    if resume is not None:
        payload = checkpoints.load(resume, task.kind)
        model.load_state_dict(payload.get("raw_state", payload["state"]))
        if "optimiser" in payload:
            optimiser.load_state_dict(payload["optimiser"])
        step, history, trained_s = int(payload.get("step", 0)), list(payload.get("history", [])), float(payload.get("trained_s", 0.0))
        if ema is not None:
            ema.state, ema.updates = {k: v.to(device) for k, v in payload["state"].items()}, step
    wrapped: nn.Module = model
    if ranks.world > 1:
        wrapped = torch.nn.parallel.DistributedDataParallel(model)  # batches are already on this rank's device
    first_step = step
    began = time.monotonic()
    total = schedule.steps - step if schedule.steps is not None else None
    bar = tqdm(total=total, desc=f"train {task.kind}", unit="step", disable=not ranks.main, dynamic_ncols=True)
    running: dict[str, float] = {}
    counted = 0
    while True:
        rng = np.random.default_rng([schedule.seed, ranks.rank, step])
        batch = task.batch(rng, schedule.batch, device)
        for group in optimiser.param_groups:
            group["lr"] = schedule.rate(step)
        terms = task.loss(wrapped, batch)
        loss = torch.stack(list(terms.values())).sum()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        if ema is not None:
            ema.update(model)
        step += 1
        counted += 1
        for key, value in terms.items():
            running[key] = running.get(key, 0.0) + float(value.detach())
        bar.update()
        bar.set_postfix(loss=f"{float(loss.detach()):.3f}")
        elapsed = time.monotonic() - began
        out_of_time = schedule.minutes is not None and elapsed >= schedule.minutes * 60
        out_of_steps = schedule.steps is not None and step >= schedule.steps
        stop = _stop_together(out_of_time or out_of_steps, ranks, device)
        if ranks.main and (stop or step % schedule.validate_every == 0):
            evaluated = ema.state if ema is not None else None
            record = {"step": step, "minutes": round((trained_s + elapsed) / 60, 2), "lr": schedule.rate(step),
                      "train": {k: v / counted for k, v in running.items()},
                      "val": _validate(task, model, evaluated)}
            history.append(record)
            running, counted = {}, 0
            bar.write(json.dumps(record))
            _write(task, out, model, optimiser, ema, step, history, trained_s + elapsed, schedule, ranks, first_step)
        if stop:
            break
    bar.close()
    if ranks.world > 1:
        import torch.distributed as dist

        dist.barrier()
    return history


def _validate(task: Task, model: nn.Module, ema_state: dict[str, torch.Tensor] | None) -> dict[str, float]:
    """The task's validation figures with the EMA weights when kept (the raw weights are restored after)."""
    model.eval()
    try:
        if ema_state is None:
            with torch.no_grad():
                return task.validate(model)
        raw = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(ema_state)
        try:
            with torch.no_grad():
                return task.validate(model)
        finally:
            model.load_state_dict(raw)
    finally:
        model.train()


def _write(task: Task, out: Path, model: nn.Module, optimiser: torch.optim.Optimizer, ema: _Ema | None, step: int,
           history: list[dict[str, Any]], trained_s: float, schedule: Schedule, ranks: Distributed, first_step: int) -> None:
    """Checkpoint, then the curves as JSON and PNG beside it."""
    raw = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"kind": task.kind, "config": task.config(), "state": {k: v.cpu() for k, v in ema.state.items()} if ema else raw,
               "optimiser": optimiser.state_dict(), "step": step, "trained_s": trained_s, "history": history,
               "meta": {**task.meta(), "processes": ranks.world, "batch_per_process": schedule.batch, "lr": schedule.lr,
                        "warmup": schedule.warmup, "half_life": schedule.half_life, "ema_decay": task.ema_decay,
                        "parameters": sum(p.numel() for p in model.parameters())}}
    if ema is not None:
        payload["raw_state"] = raw
    checkpoints.save(out, payload)
    write_text(out.with_suffix(".json"), json.dumps({k: v for k, v in payload.items() if k not in ("state", "raw_state", "optimiser")},
                                                    indent=1) + "\n")
    plot_history(history, out.with_suffix(".png"), f"{task.kind}: {out.stem}")


def plot_history(history: list[dict[str, Any]], path: Path, title: str) -> None:
    """Training and validation loss terms against step, one panel per term (log scale), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from cascade.files import atomic_path

    if not history:
        return
    keys = sorted({k for r in history for k in r["val"]})
    columns = min(3, len(keys))
    rows = math.ceil(len(keys) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.8 * rows), squeeze=False)
    steps = [r["step"] for r in history]
    for ax, key in zip(axes.flat, keys):
        ax.plot(steps, [r["val"].get(key, float("nan")) for r in history], label="validation")
        if any(key in r["train"] for r in history):
            ax.plot(steps, [r["train"].get(key, float("nan")) for r in history], label="training", alpha=0.7)
            ax.legend(fontsize=7)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        if all(r["val"].get(key, 0) > 0 for r in history):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=90)
    plt.close(figure)
