"""Image sources of a point in a shoebox room (Allen & Berkley 1979), with their reflection gains per octave band.

The image with indices (m, q) per axis sits at (1 − 2q)·s + 2mL and has met the wall at 0 |m − q| times
and the wall at L |m| times. The direct path (all m = q = 0) is not an image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renderers.room import AIR, Shoebox


@dataclass(frozen=True)
class Images:
    """Image sources sorted by path length: `offsets` (k, 3) m from the listener, `paths` (k,) total path length (m),
    `gains` (k, bands) wall reflection and air absorption amplitude factors (without the 1/r of the path), `orders` (k,)."""

    offsets: np.ndarray
    paths: np.ndarray
    gains: np.ndarray
    orders: np.ndarray

    def __len__(self) -> int:
        return int(self.paths.size)

    def take(self, mask: np.ndarray | slice) -> Images:
        return Images(self.offsets[mask], self.paths[mask], self.gains[mask], self.orders[mask])


def _axis(source: float, listener: float, size: float, reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per image index along one axis: offset from the listener (m), hits on the wall at 0, hits on the wall at `size`."""
    count = int(np.ceil(reach / (2 * size))) + 1
    m = np.repeat(np.arange(-count, count + 1), 2)
    q = np.tile([0, 1], m.size // 2)
    return (1 - 2 * q) * source + 2 * m * size - listener, np.abs(m - q), np.abs(m)


def image_sources(room: Shoebox, source: np.ndarray, max_path: float, extra: float = 0.0) -> Images:
    """Every image of `source` (room coordinates, m) whose path length (`extra` + distance to the listener) is at most `max_path` m.

    `extra` (m) is the path a source beyond the walls travels to its excitation point (see `Shoebox.excitation`).
    """
    reach = max(max_path - extra, 0.0)
    axes = [_axis(source[k], room.listener[k], room.dimensions[k], reach) for k in range(3)]
    dx, dy, dz = np.meshgrid(axes[0][0], axes[1][0], axes[2][0], indexing="ij", sparse=True)
    distance = np.sqrt(dx**2 + dy**2 + dz**2)
    keep = np.argwhere(distance <= reach)
    i, j, k = keep.T
    hits = np.stack([axes[0][1][i], axes[0][2][i], axes[1][1][j], axes[1][2][j], axes[2][1][k], axes[2][2][k]], axis=1)
    orders = hits.sum(axis=1)
    real = orders > 0
    i, j, k, hits, orders = i[real], j[real], k[real], hits[real], orders[real]
    offsets = np.stack([axes[0][0][i], axes[1][0][j], axes[2][0][k]], axis=1)
    paths = extra + np.linalg.norm(offsets, axis=1)
    log_gains = hits @ np.log(room.reflection()) - 0.5 * paths[:, None] * AIR[None, :]
    order = np.argsort(paths, kind="stable")
    return Images(offsets[order], paths[order], np.exp(log_gains[order]), orders[order])
