"""Where a source is over time: key times with positions, interpolated to any instant."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cascade.geometry import to_cartesian, to_spherical


@dataclass(frozen=True)
class SourcePath:
    """Key times (s from the clip's start, increasing, first 0) with azimuth, elevation (deg) and distance (m).

    Between keys the source moves along the straight line joining them in space (x front, y left, z up), at
    constant speed, so its distance and direction follow from that line: a line that passes the head comes
    closest at the foot of the perpendicular; after the last key the source rests.
    """

    times: np.ndarray
    azimuth: np.ndarray
    elevation: np.ndarray
    distance: np.ndarray

    @classmethod
    def static(cls, azimuth: float, elevation: float = 0.0, distance: float = 1.5) -> SourcePath:
        return cls(np.zeros(1), np.array([float(azimuth)]), np.array([float(elevation)]), np.array([float(distance)]))

    @classmethod
    def from_keys(cls, times, azimuth, elevation, distance) -> SourcePath:
        arrays = [np.asarray(a, dtype=np.float64).reshape(-1) for a in (times, azimuth, elevation, distance)]
        if len({a.size for a in arrays}) != 1 or arrays[0].size == 0:
            raise ValueError("a source path needs equally many key times, azimuths, elevations and distances")
        if arrays[0][0] != 0.0 or np.any(np.diff(arrays[0]) <= 0):
            raise ValueError("a source path's key times must start at 0 and increase strictly")
        return cls(*arrays)

    @property
    def moves(self) -> bool:
        return self.times.size > 1

    def positions(self, t: np.ndarray | float) -> np.ndarray:
        """(..., 3) positions (m, x front, y left, z up) at times `t` (s)."""
        t = np.asarray(t, dtype=np.float64)
        keys = to_cartesian(self.azimuth, self.elevation, self.distance)
        if not self.moves:
            return np.broadcast_to(keys[0], t.shape + (3,)).copy()
        return np.stack([np.interp(t, self.times, keys[:, axis]) for axis in range(3)], axis=-1)

    def at(self, t: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Azimuth in (-180, 180], elevation (deg) and distance (m) at times `t` (s)."""
        t = np.asarray(t, dtype=np.float64)
        if not self.moves:
            shape = t.shape
            return (np.full(shape, self.azimuth[0]), np.full(shape, self.elevation[0]), np.full(shape, self.distance[0]))
        azimuth, elevation, distance = to_spherical(self.positions(t))
        return 180.0 - (180.0 - azimuth) % 360.0, elevation, distance
