"""Directions and positions, one convention everywhere.

Azimuth in degrees, (-180, 180], 0 = ahead, +90 = left (counter-clockwise seen from above);
elevation in degrees, [-90, 90], +90 = up; distance in metres. Cartesian axes: x front, y left, z up.
"""

from __future__ import annotations

from typing import overload

import numpy as np

SPEED_OF_SOUND = 343.0  # m/s in air at 20 °C


@overload
def wrap_azimuth(azimuth: float) -> float: ...


@overload
def wrap_azimuth(azimuth: np.ndarray) -> np.ndarray: ...


def wrap_azimuth(azimuth: np.ndarray | float) -> np.ndarray | float:
    """Degrees wrapped into (-180, 180]; a float stays a float."""
    wrapped = 180.0 - (180.0 - np.asarray(azimuth, dtype=np.float64)) % 360.0
    return float(wrapped) + 0.0 if np.ndim(wrapped) == 0 else wrapped


def unit_vectors(azimuth: np.ndarray | float, elevation: np.ndarray | float) -> np.ndarray:
    """(..., 3) unit vectors (x front, y left, z up) for directions in degrees."""
    az, el = np.radians(azimuth), np.radians(elevation)
    return np.stack([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)], axis=-1)


def to_cartesian(azimuth: np.ndarray | float, elevation: np.ndarray | float, distance: np.ndarray | float) -> np.ndarray:
    """(..., 3) positions in metres from directions in degrees and distances in metres."""
    return unit_vectors(azimuth, elevation) * np.asarray(distance, dtype=np.float64)[..., None]


def to_spherical(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth, elevation (degrees) and distance (m) of (..., 3) positions; the origin maps to (0, 0, 0)."""
    points = np.asarray(points, dtype=np.float64)
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    horizontal = np.hypot(x, y)
    return np.degrees(np.arctan2(y, x)), np.degrees(np.arctan2(z, horizontal)), np.hypot(horizontal, z)
