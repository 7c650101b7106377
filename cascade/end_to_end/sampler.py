"""Rectified flow: the training pair, the guided velocity and the Euler sampler from noise (t = 1) to data (t = 0).

x_t = (1 - t) x_0 + t ε and the network predicts v = ε - x_0, the constant velocity of the straight path,
so x_0 = x_t - t v; a perfect v makes every Euler step exact, and few steps suffice when v is nearly
constant along the path. Time steps are spaced by the shift of SD3 / TangoFlux (more steps near t = 1).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Velocity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def flow_pair(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The noisy input x_t and the velocity target ε - x_0 for clean `x0` (b, ...), times `t` (b,) and `noise`."""
    tt = t.view(-1, *[1] * (x0.dim() - 1))
    return (1 - tt) * x0 + tt * noise, noise - x0


def logit_normal_times(size: int, generator: torch.Generator | None = None, device: torch.device | None = None) -> torch.Tensor:
    """Training times t = sigmoid(n), n ~ N(0, 1) (SD3's logit-normal: most weight at mid noise)."""
    return torch.sigmoid(torch.randn(size, generator=generator, device=device))


def time_grid(steps: int, shift: float = 3.0) -> torch.Tensor:
    """steps + 1 times from 1 to 0, uniform then warped by t' = shift t / (1 + (shift - 1) t)."""
    t = torch.linspace(1.0, 0.0, steps + 1)
    return shift * t / (1 + (shift - 1) * t)


def guided(velocity: Velocity, scale: float) -> Velocity:
    """Classifier-free guidance: v_u + scale (v_c - v_u), both from one batch of twice the size: `velocity` is given
    x and t repeated twice and returns the conditional velocities followed by the unconditional ones."""
    def v(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        conditional, unconditional = velocity(torch.cat([x, x]), torch.cat([t, t])).chunk(2)
        return unconditional + scale * (conditional - unconditional)

    return v


@torch.no_grad()
def sample(velocity: Velocity, noise: torch.Tensor, steps: int, shift: float = 3.0,
           progress: Callable[[int], None] | None = None) -> torch.Tensor:
    """Integrate dx/dt = v from `noise` at t = 1 to t = 0 with `steps` Euler steps; returns x_0."""
    x = noise
    grid = time_grid(steps, shift).to(noise.device)
    for k in range(steps):
        t = grid[k].expand(x.shape[0])
        x = x + (grid[k + 1] - grid[k]) * velocity(x, t)
        if progress is not None:
            progress(k + 1)
    return x
