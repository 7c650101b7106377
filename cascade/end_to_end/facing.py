"""Turning a sound field to face its listener: per-frame intensity directions and the exact FOA rotations they define.

The active intensity W·(X, Y, Z) of an AmbiX signal points towards its dominant source. `frame_directions`
measures it per latent frame (smoothed over neighbouring frames, energy-weighted, the clip's mean where a
frame is too quiet to say); `face_front` rotates the field, sample by sample along directions interpolated
between frame centres, so that direction lies ahead (x); `face_back` is its exact inverse (rotations are
orthogonal). Tensors (batch, 4, n) in AmbiX order W, Y, Z, X; directions (batch, 3, frames) as x, y, z.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

QUIET = 1e-3  # a frame whose smoothed intensity is below this share of the clip's largest takes the clip's direction


def frame_directions(audio: torch.Tensor, hop: int, smooth: int = 4) -> torch.Tensor:
    """(batch, 3, ceil(n / hop)) unit vectors (x front, y left, z up) of the intensity per frame of `hop` samples,
    summed over ±`smooth` frames with Hann weights; straight ahead for a silent clip."""
    b, _, n = audio.shape
    audio = F.pad(audio, (0, -n % hop))
    w, y, z, x = audio.unbind(dim=1)
    intensity = torch.stack([w * x, w * y, w * z], dim=1).reshape(b, 3, -1, hop).sum(-1)
    window = torch.hann_window(2 * smooth + 3, periodic=False, dtype=audio.dtype, device=audio.device)[1:-1]
    smoothed = F.conv1d(intensity.reshape(b * 3, 1, -1), window.view(1, 1, -1), padding=smooth).reshape(b, 3, -1)
    clip = intensity.sum(-1, keepdim=True)
    front = torch.tensor([1.0, 0.0, 0.0], dtype=audio.dtype, device=audio.device).view(1, 3, 1)
    clip = torch.where(clip.norm(dim=1, keepdim=True) > 0, clip, front)
    norm = smoothed.norm(dim=1, keepdim=True)
    quiet = norm <= QUIET * norm.amax(dim=-1, keepdim=True)
    chosen = torch.where(quiet, clip.expand_as(smoothed), smoothed)
    return chosen / chosen.norm(dim=1, keepdim=True)


def _per_sample(directions: torch.Tensor, hop: int, n: int) -> tuple[torch.Tensor, ...]:
    """cos and sin of azimuth and elevation per sample, from directions interpolated linearly between frame centres."""
    d = F.interpolate(directions, scale_factor=hop, mode="linear", align_corners=False)[..., :n]
    d = d / d.norm(dim=1, keepdim=True).clamp_min(1e-8)
    dx, dy, dz = d.unbind(dim=1)
    horizontal = torch.hypot(dx, dy)
    level = horizontal > 1e-6
    cos_az = torch.where(level, dx / horizontal.clamp_min(1e-6), torch.ones_like(dx))
    sin_az = torch.where(level, dy / horizontal.clamp_min(1e-6), torch.zeros_like(dy))
    return cos_az, sin_az, horizontal, dz


def face_front(audio: torch.Tensor, directions: torch.Tensor, hop: int) -> torch.Tensor:
    """The field turned by yaw -azimuth, then pitch -elevation, so each frame's direction points ahead."""
    ca, sa, ce, se = _per_sample(directions, hop, audio.shape[-1])
    w, y, z, x = audio.unbind(dim=1)
    ux, uy = ca * x + sa * y, -sa * x + ca * y
    return torch.stack([w, uy, -se * ux + ce * z, ce * ux + se * z], dim=1)


def face_back(audio: torch.Tensor, directions: torch.Tensor, hop: int) -> torch.Tensor:
    """The inverse of `face_front`: pitch +elevation, then yaw +azimuth."""
    ca, sa, ce, se = _per_sample(directions, hop, audio.shape[-1])
    w, y, z, x = audio.unbind(dim=1)
    ux, uz = ce * x - se * z, se * x + ce * z
    return torch.stack([w, sa * ux + ca * y, uz, ca * ux - sa * y], dim=1)
