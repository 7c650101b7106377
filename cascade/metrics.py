"""Spatial measurements on rendered audio (pure numpy): ITD, ILD, FOA direction of arrival, angle errors.

Conventions as everywhere: azimuth degrees, +90 = left; binaural arrays (2, n) with row 0 = left;
FOA arrays AmbiX (W, Y, Z, X), SN3D.
"""

from __future__ import annotations

import numpy as np

from cascade.geometry import SPEED_OF_SOUND, unit_vectors

UPSAMPLE = 16  # cross-correlation interpolation factor before the parabolic peak fit


def woodworth_itd(azimuth_deg: np.ndarray | float, head_radius: float = 0.0875,
                  c: float = SPEED_OF_SOUND) -> np.ndarray | float:
    """Woodworth's spherical-head ITD in seconds: a / c · (θ + sin θ), θ the lateral angle; positive for a left source."""
    lateral = np.arcsin(np.sin(np.radians(azimuth_deg)))
    return head_radius / c * (lateral + np.sin(lateral))


def itd(binaural: np.ndarray, sample_rate: int, max_itd: float = 1e-3, max_frequency: float = 1500.0) -> float:
    """Interaural time difference in seconds, positive when the LEFT ear leads.

    Generalised cross-correlation with phase transform (GCC-PHAT) over 0..max_frequency Hz (where
    the ITD is the dominant cue), band-limited interpolation by 16 and a parabolic fit around the
    peak within ±max_itd seconds.
    """
    left, right = np.asarray(binaural, dtype=np.float64)[:2]
    size = 1 << int(np.ceil(np.log2(2 * left.size)))
    cross = np.conj(np.fft.rfft(left, size)) * np.fft.rfft(right, size)
    cross /= np.maximum(np.abs(cross), 1e-12 * np.abs(cross).max(initial=0.0) + 1e-30)
    cross[np.fft.rfftfreq(size, 1.0 / sample_rate) > max_frequency] = 0.0
    fine = np.fft.irfft(cross, size * UPSAMPLE)
    lags = int(np.ceil(max_itd * sample_rate * UPSAMPLE))
    window = np.concatenate([fine[-lags:], fine[: lags + 1]])
    peak = int(np.argmax(window))
    offset = 0.0
    if 0 < peak < window.size - 1:
        before, at, after = window[peak - 1 : peak + 2]
        curvature = before - 2 * at + after
        offset = 0.5 * (before - after) / curvature if curvature < 0 else 0.0
    return float((peak - lags + offset) / (sample_rate * UPSAMPLE))


def ild(binaural: np.ndarray) -> float:
    """Interaural level difference in dB: left energy over right energy."""
    left, right = np.asarray(binaural, dtype=np.float64)[:2]
    return float(10 * np.log10(np.sum(left**2) / np.sum(right**2)))


def foa_doa(foa: np.ndarray) -> tuple[float, float]:
    """Direction of arrival (azimuth, elevation) in degrees from the mean active intensity W·(X, Y, Z)."""
    w, y, z, x = np.asarray(foa, dtype=np.float64)[:4]
    ix, iy, iz = np.mean(w * x), np.mean(w * y), np.mean(w * z)
    return float(np.degrees(np.arctan2(iy, ix))), float(np.degrees(np.arctan2(iz, np.hypot(ix, iy))))


def circular_error(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | float:
    """Absolute angular difference of two azimuths in degrees, in [0, 180]."""
    return np.abs((np.asarray(a, dtype=np.float64) - b + 180.0) % 360.0 - 180.0)


def spatial_angle(azimuth_a: np.ndarray | float, elevation_a: np.ndarray | float,
                  azimuth_b: np.ndarray | float, elevation_b: np.ndarray | float) -> np.ndarray | float:
    """Great-circle angle in degrees, [0, 180], between two directions given in degrees."""
    a, b = unit_vectors(azimuth_a, elevation_a), unit_vectors(azimuth_b, elevation_b)
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)))


def doa_errors(foa: np.ndarray, azimuth: float, elevation: float) -> dict[str, float]:
    """How far the intensity-vector direction of `foa` lies from (azimuth, elevation) degrees: absolute azimuth
    (wrapped) and elevation errors and the spatial angle, in radians; 'hemisphere' 1.0 when left/right (the sign of
    the azimuth's sine) agrees, else 0.0; and the measured direction itself ('doa_azimuth', 'doa_elevation', degrees)."""
    az, el = foa_doa(foa)
    same_side = np.sign(np.sin(np.radians(az))) == np.sign(np.sin(np.radians(azimuth)))
    return {"azimuth": float(np.radians(circular_error(az, azimuth))), "elevation": float(np.radians(abs(el - elevation))),
            "angle": float(np.radians(spatial_angle(az, el, azimuth, elevation))), "hemisphere": float(same_side),
            "doa_azimuth": az, "doa_elevation": el}
