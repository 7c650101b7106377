"""Torch devices named by users ('cuda', 'cuda:1', 'mps', 'cpu'), checked before any model is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cascade.errors import CascadeError

if TYPE_CHECKING:
    import torch


def torch_device(name: str | None, error: type[CascadeError]) -> torch.device:
    """The device `name`, or the best available (cuda, then mps, then cpu) when None; `error` when it cannot run here."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    has_mps = mps is not None and mps.is_available()
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise error(f"unknown torch device {name!r}; use cuda, cuda:N, mps or cpu") from None
    if device.type == "cuda" and (not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()):
        raise error(f"device {name!r}: torch sees no such CUDA GPU on this machine; use --device cpu")
    if device.type == "mps" and not has_mps:
        raise error(f"device {name!r}: torch has no MPS backend on this machine; use --device cpu")
    if device.type not in ("cpu", "cuda", "mps"):
        raise error(f"device {name!r} is not supported; use cuda, cuda:N, mps or cpu")
    return device
