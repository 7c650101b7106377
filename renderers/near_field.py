"""Near-field cues for sources closer than an HRIR set's measurement distance, from a rigid-sphere head.

A point source at distance r from the centre of a rigid sphere of radius a, at angle θ from an ear, gives
at that ear (relative to the free-field pressure at the centre; Duda & Martens 1998, eq. 8, written for
the e^{jωt} convention of our spectra)

    H(r, θ, f) = conj( −(ρ/μ) e^{−iμρ} Σ_m (2m + 1) P_m(cos θ) h_m(μρ) / h_m'(μ) ),  ρ = r / a,  μ = 2π f a / c,

h_m the outgoing spherical Hankel function. A measured HRIR at distance R already holds the head's
response at R; a source at r < R gets, per ear, the distance variation H(r, θ) / H(R, θ) on top: the
near ear louder (most at low frequencies), the far ear more shadowed, so ILD grows as the source comes
closer while the ITD changes little. The filters are tabulated over distance and ear angle and
interpolated between (linear in log-distance and angle).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from cascade.geometry import SPEED_OF_SOUND, unit_vectors
from renderers.propagation import MIN_DISTANCE

HEAD_RADIUS = 0.0875  # m
TAPS = 128  # distance-variation filter length at any rate
LEAD = 16  # samples of modelling delay in each filter (subtracted again by the renderer)
TERMS = 40  # series terms beyond μ
DISTANCES = 48  # table points between MIN_DISTANCE and the reference distance (log-spaced)
ANGLES = 37  # table points over the ear angle 0-180°


def _hankel(x: np.ndarray, count: int) -> np.ndarray:
    """(count, *x.shape) outgoing spherical Hankel functions h_0..h_{count-1} of x > 0, by upward recurrence."""
    out = np.empty((count, *x.shape), dtype=np.complex128)
    out[0] = -1j * np.exp(1j * x) / x
    out[1] = -np.exp(1j * x) * (x + 1j) / x**2
    for m in range(1, count - 1):
        out[m + 1] = (2 * m + 1) / x * out[m] - out[m - 1]
    return out


def _legendre(x: np.ndarray, count: int) -> np.ndarray:
    """(count, *x.shape) Legendre polynomials P_0..P_{count-1} at x."""
    out = np.empty((count, *x.shape))
    out[0], out[1] = 1.0, x
    for m in range(1, count - 1):
        out[m + 1] = ((2 * m + 1) * x * out[m] - m * out[m - 1]) / (m + 1)
    return out


def sphere_response(distance: np.ndarray, cos_angle: np.ndarray, frequencies: np.ndarray) -> np.ndarray:
    """(len(distance), len(cos_angle), len(frequencies)) complex pressure on a rigid sphere (HEAD_RADIUS) from a point
    source at `distance` m, at the points whose angle from the source has cosine `cos_angle`, relative to the free field
    at the centre; 1 at 0 Hz."""
    rho = np.asarray(distance, dtype=np.float64)[:, None] / HEAD_RADIUS
    mu = 2 * np.pi * np.maximum(np.asarray(frequencies, dtype=np.float64), 1.0) * HEAD_RADIUS / SPEED_OF_SOUND
    count = int(np.ceil(mu.max())) + TERMS
    with np.errstate(over="ignore", invalid="ignore"):  # very high orders at 0 Hz overflow; that bin is set below
        at_source = _hankel(mu[None, :] * rho, count)
        at_head = _hankel(mu, count)
        derivative = np.empty_like(at_head)
        derivative[0] = -at_head[1]
        derivative[1:] = at_head[:-1] - (np.arange(2, count + 1)[:, None] / mu) * at_head[1:]
        ratio = (2 * np.arange(count) + 1.0)[:, None, None] * at_source / derivative[:, None, :]
        series = np.einsum("ma,mdf->daf", _legendre(np.asarray(cos_angle, dtype=np.float64), count), ratio)
        response = np.conj(-(rho / mu)[:, None, :] * np.exp(-1j * mu * rho)[:, None, :] * series)
    response[..., np.asarray(frequencies) == 0] = 1.0
    return response


@lru_cache(maxsize=8)
def _table(reference_distance: float, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(log-distances (DISTANCES,), filters (DISTANCES, ANGLES, TAPS) float32): distance variation H(r, θ) / H(reference, θ)
    as FIRs with LEAD samples of delay."""
    distances = np.geomspace(MIN_DISTANCE, reference_distance, DISTANCES)
    cosines = np.cos(np.radians(np.linspace(0.0, 180.0, ANGLES)))
    frequencies = np.fft.rfftfreq(TAPS, 1.0 / sample_rate)
    near = sphere_response(distances, cosines, frequencies)
    far = sphere_response(np.array([reference_distance]), cosines, frequencies)
    spectra = near / far * np.exp(-2j * np.pi * frequencies * LEAD / sample_rate)
    filters = np.fft.irfft(spectra, TAPS, axis=-1)
    fade = TAPS // 4
    filters[..., -fade:] *= 0.5 * (1 + np.cos(np.pi * np.arange(1, fade + 1) / fade))
    return np.log(distances), filters.astype(np.float32)


def filters(distance: np.ndarray, azimuth: np.ndarray, elevation: np.ndarray, reference_distance: float,
            sample_rate: int) -> np.ndarray:
    """(k, 2, TAPS) float32 distance-variation FIRs (left, right ear; LEAD samples of delay) for k source positions
    (m, degrees); the unit impulse (delayed by LEAD) at and beyond `reference_distance`."""
    log_distances, table = _table(float(reference_distance), int(sample_rate))
    position = np.interp(np.log(np.clip(np.asarray(distance, dtype=np.float64), MIN_DISTANCE, reference_distance)),
                         log_distances, np.arange(log_distances.size))
    lateral = unit_vectors(azimuth, elevation)[..., 1]
    ears = np.stack([np.degrees(np.arccos(np.clip(lateral, -1, 1))), np.degrees(np.arccos(np.clip(-lateral, -1, 1)))], axis=-1)
    angle = ears / 180.0 * (ANGLES - 1)
    d0 = np.minimum(np.floor(position).astype(int), DISTANCES - 2)
    a0 = np.minimum(np.floor(angle).astype(int), ANGLES - 2)
    dw = (position - d0)[:, None, None]
    aw = (angle - a0)[..., None]
    d0 = d0[:, None]
    return ((1 - dw) * ((1 - aw) * table[d0, a0] + aw * table[d0, a0 + 1])
            + dw * ((1 - aw) * table[d0 + 1, a0] + aw * table[d0 + 1, a0 + 1])).astype(np.float32)
