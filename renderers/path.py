"""Where a source is over time: key times with positions, interpolated to any instant."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SourcePath:
    """Key times (s from the clip's start, increasing, first 0) with azimuth, elevation (deg) and distance (m).

    Between keys the azimuth moves linearly along the shorter arc (exactly opposite keys pass
    through the front, or through the left for ahead and behind), elevation and distance move linearly; after the last key the source rests.
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

    def at(self, t: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Azimuth in (-180, 180], elevation (deg) and distance (m) at times `t` (s)."""
        t = np.asarray(t, dtype=np.float64)
        if not self.moves:
            shape = t.shape
            return (np.full(shape, self.azimuth[0]), np.full(shape, self.elevation[0]), np.full(shape, self.distance[0]))
        steps = np.diff(self.azimuth)
        steps = (steps + 180.0) % 360.0 - 180.0
        steps[steps == -180.0] = np.where(self.azimuth[:-1] > 0, -180.0, 180.0)[steps == -180.0]
        unwrapped = np.concatenate([[self.azimuth[0]], self.azimuth[0] + np.cumsum(steps)])
        azimuth = np.interp(t, self.times, unwrapped)
        azimuth = 180.0 - (180.0 - azimuth) % 360.0
        return azimuth, np.interp(t, self.times, self.elevation), np.interp(t, self.times, self.distance)
