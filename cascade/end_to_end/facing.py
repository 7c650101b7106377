"""Turning a sound field to face its listener: DirAC's per-frame direction and diffuseness, and the exact FOA
rotations the directions define.

The active intensity I = W·(X, Y, Z) of an AmbiX (SN3D) signal points towards its dominant source, and
its length against the energy E = (W² + X² + Y² + Z²) / 2 says how much of the field is one plane wave:
the diffuseness 1 - |I| / E is 0 for a single plane wave and near 1 for a diffuse field (Pulkki's DirAC).
`frame_parameters` measures both per latent frame (sums over neighbouring frames with Hann weights; the
clip's own values where a frame is too quiet to say); `face_front` rotates the field, sample by sample along
directions interpolated between frame centres, so that direction lies ahead (x); `face_back` is its exact
inverse (rotations are orthogonal). Tensors (batch, 4, n) in AmbiX order W, Y, Z, X; directions
(batch, 3, frames) as x, y, z; diffuseness (batch, 1, frames).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

QUIET = 1e-3  # a frame whose smoothed energy is below this share of the clip's largest takes the clip's parameters


def frame_parameters(audio: torch.Tensor, hop: int, smooth: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit intensity directions (batch, 3, ceil(n / hop)) (x front, y left, z up) and diffuseness (batch, 1, frames)
    in [0, 1] per frame of `hop` samples, from sums over ±`smooth` frames with Hann weights; a silent clip faces
    straight ahead with diffuseness 0."""
    b, _, n = audio.shape
    audio = F.pad(audio, (0, -n % hop))
    w, y, z, x = audio.unbind(dim=1)
    frames = torch.stack([w * x, w * y, w * z, 0.5 * (w * w + x * x + y * y + z * z)], dim=1).reshape(b, 4, -1, hop).sum(-1)
    window = torch.hann_window(2 * smooth + 3, periodic=False, dtype=audio.dtype, device=audio.device)[1:-1]
    smoothed = F.conv1d(frames.reshape(b * 4, 1, -1), window.view(1, 1, -1), padding=smooth).reshape(b, 4, -1)
    clip = frames.sum(-1, keepdim=True)
    quiet = smoothed[:, 3:] <= QUIET * smoothed[:, 3:].amax(dim=-1, keepdim=True)
    chosen = torch.where(quiet, clip.expand_as(smoothed), smoothed)
    intensity, energy = chosen[:, :3], chosen[:, 3:]
    length = intensity.norm(dim=1, keepdim=True)
    front = torch.tensor([1.0, 0.0, 0.0], dtype=audio.dtype, device=audio.device).view(1, 3, 1)
    directions = torch.where(length > 0, intensity / length.clamp_min(1e-30), front)
    diffuseness = torch.where(energy > 0, 1.0 - length / energy.clamp_min(1e-30), torch.zeros_like(energy)).clamp(0.0, 1.0)
    return directions, diffuseness


def per_sample(values: torch.Tensor, hop: int, n: int) -> torch.Tensor:
    """(batch, channels, n): per-frame `values` interpolated linearly between frame centres."""
    return F.interpolate(values, scale_factor=hop, mode="linear", align_corners=False)[..., :n]


def _per_sample(directions: torch.Tensor, hop: int, n: int) -> tuple[torch.Tensor, ...]:
    """cos and sin of azimuth and elevation per sample, from directions interpolated linearly between frame centres."""
    d = per_sample(directions, hop, n)
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
