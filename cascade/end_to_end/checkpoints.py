"""Checkpoint files of the end-to-end models: one torch file per model, written atomically.

A training checkpoint holds the weights (float32), the optimiser, the step and the run's history, so a
run resumes exactly; `export` keeps only the weights in half precision, the config and the history (the
shipped files). `load` reads either and raises `CheckpointError` (one line) when the file is missing or
not what was expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cascade.errors import CascadeError
from cascade.files import atomic_path, write_text

SHIPPED = Path(__file__).parent / "checkpoints"
KINDS = ("dit",)


class CheckpointError(CascadeError, ValueError):
    """A checkpoint that is missing, unreadable or of the wrong kind; the message says how to get one."""


def save(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write `payload` (kind, config, state, ...) to `path` through a temporary file and a rename."""
    import torch

    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, str(tmp))
    return path


def load(path: str | Path, kind: str) -> dict[str, Any]:
    """The payload of a `kind` checkpoint (weights as float32); CheckpointError when missing or foreign."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"end-to-end {kind} checkpoint {path} not found; train one with `cascade train-e2e {kind}` "
                              "or pass its folder with --e2e-checkpoints")
    try:
        payload = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a truncated or foreign file
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(f"end-to-end checkpoint {path} is unreadable ({reason})") from None
    if not isinstance(payload, dict) or payload.get("kind") != kind or "state" not in payload:
        raise CheckpointError(f"{path} is not an end-to-end {kind} checkpoint")
    payload["state"] = {k: v.float() if v.is_floating_point() else v for k, v in payload["state"].items()}
    return payload


def export(source: str | Path, target: str | Path, guidance: float | None = None) -> Path:
    """Ship a training checkpoint: half-precision weights, config and history at `target` (.pt), the config and
    history also as JSON beside it; `guidance` replaces the default guidance scale its config records."""
    kind = _kind(source)
    payload = load(source, kind)
    slim: dict[str, Any] = {key: payload[key] for key in ("kind", "config", "meta", "history") if key in payload}
    if guidance is not None:
        slim["config"] = {**slim["config"], "guidance": float(guidance)}
    slim["state"] = {k: v.half() if v.is_floating_point() else v for k, v in payload["state"].items()}
    slim["step"] = payload.get("step", 0)
    target = save(target, slim)
    write_text(Path(target).with_suffix(".json"), json.dumps({k: v for k, v in slim.items() if k != "state"}, indent=1) + "\n")
    return target


def _kind(path: str | Path) -> str:
    import torch

    try:
        payload = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception:
        payload = None
    kind = payload.get("kind") if isinstance(payload, dict) else None
    if kind not in KINDS:
        raise CheckpointError(f"{path} is not an end-to-end DiT checkpoint")
    return str(kind)
