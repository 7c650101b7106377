"""A shoebox room's acoustics: geometry, wall and air absorption per octave band, reverberation and mixing times,
and where a source excites the room.

Coordinates are metres from the room's back right floor corner: x front, y left, z up; surfaces in the
order of `cascade.materials.SURFACES` (back, front, right, left, floor, ceiling). Absorption coefficients
are random-incidence energy coefficients per band of `renderers.bands.CENTRES`.

Reverberation time per band follows Fitzroy's formula with air absorption: Eyring's
RT60 = 0.161 V / (−S ln(1 − ᾱ_k) + 4 m V) for each pair k of opposite surfaces (ᾱ_k their mean
absorption), averaged with weights S_k / S. In a room whose absorption sits on a few surfaces (a carpeted
floor and an acoustic ceiling between bare walls) sound travelling between the bare walls lasts longer,
as it does in the image-source model; where every surface absorbs alike it is Eyring's formula. A room
given by its RT60 alone absorbs the same at every surface and is made to reach that RT60 in every band, the
walls absorbing less where the air absorbs more (in the top bands of large rooms the air alone may decay
faster, and then the RT60 there is what the air allows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cascade.materials import MATERIALS, SURFACES
from renderers import RendererError, bands

SABINE = 0.161  # s/m: 24 ln(10) / c
MIN_ABSORPTION = 0.01  # no surface reflects more than 99 % of the energy
MAX_ABSORPTION = 0.99
WALL_MARGIN = 0.05  # m: a source beyond a wall excites the room from this far inside it
MIDDLE_BANDS = (2, 3)  # 500 Hz and 1 kHz: the RT60 that a room with materials is scaled to


def air_attenuation(frequencies: np.ndarray, temperature: float = 20.0, humidity: float = 50.0) -> np.ndarray:
    """Energy attenuation of sound in air, m (1/m), at `frequencies` (Hz): ISO 9613-1 at 101.325 kPa.

    Pressure falls as exp(−m·d/2) over d metres.
    """
    f = np.asarray(frequencies, dtype=np.float64)
    kelvin, reference, triple = temperature + 273.15, 293.15, 273.16
    molar = humidity * 10 ** (-6.8346 * (triple / kelvin) ** 1.261 + 4.6151)
    oxygen = 24 + 4.04e4 * molar * (0.02 + molar) / (0.391 + molar)
    nitrogen = (kelvin / reference) ** -0.5 * (9 + 280 * molar * np.exp(-4.170 * ((kelvin / reference) ** (-1 / 3) - 1)))
    db_per_metre = 8.686 * f**2 * (1.84e-11 * (kelvin / reference) ** 0.5 + (kelvin / reference) ** -2.5 * (
        0.01275 * np.exp(-2239.1 / kelvin) / (oxygen + f**2 / oxygen) + 0.1068 * np.exp(-3352.0 / kelvin) / (nitrogen + f**2 / nitrogen)))
    return db_per_metre / (10 * np.log10(np.e))


AIR = air_attenuation(bands.CENTRES)  # 1/m per band


@dataclass(frozen=True, eq=False)
class Shoebox:
    """A rectangular room: `dimensions` (3,) m, `absorption` (6, bands) per surface and band, `listener` (3,) m."""

    dimensions: np.ndarray
    absorption: np.ndarray
    listener: np.ndarray

    @classmethod
    def build(cls, dimensions: tuple[float, float, float], rt60: float, materials: dict[str, str] | None = None,
              listener: tuple[float, float, float] | None = None) -> Shoebox:
        """A room of `rt60` s (every band; or the 500 Hz-1 kHz mean when `materials` name each surface's material)."""
        sizes = np.asarray(dimensions, dtype=np.float64).reshape(-1)
        if sizes.size != 3 or not np.all(sizes > 2 * WALL_MARGIN):
            raise RendererError(f"room dimensions {tuple(dimensions)} must be three lengths in metres above {2 * WALL_MARGIN:g}")
        if not rt60 > 0:
            raise RendererError(f"room rt60 {rt60} must be a positive number of seconds")
        position = sizes / 2 if listener is None else np.asarray(listener, dtype=np.float64)
        if position.shape != (3,) or np.any(position <= 0) or np.any(position >= sizes):
            raise RendererError(f"listener {tuple(position)} must lie inside the room {tuple(sizes)}")
        box = cls(sizes, np.zeros((6, bands.CENTRES.size)), position)
        if materials is None:
            uniform = 1 - np.exp(-(SABINE * box.volume / rt60 - 4 * AIR * box.volume) / box.surface)
            return cls(sizes, np.broadcast_to(np.clip(uniform, MIN_ABSORPTION, MAX_ABSORPTION), (6, bands.CENTRES.size)).copy(), position)
        try:
            shape = np.array([MATERIALS[materials[name]] for name in SURFACES], dtype=np.float64)
        except KeyError as missing:
            raise RendererError(f"unknown room material or surface {missing}; materials: {', '.join(sorted(MATERIALS))}") from None
        shape = np.concatenate([shape, np.repeat(shape[:, -1:], bands.CENTRES.size - shape.shape[1], axis=1)], axis=1)
        low, high = 1e-4, 1e4
        for _ in range(60):  # bisect the scale of the materials' absorption that gives `rt60` at 500 Hz-1 kHz
            scale = np.sqrt(low * high)
            trial = cls(sizes, np.clip(shape * scale, MIN_ABSORPTION, MAX_ABSORPTION), position)
            low, high = (scale, high) if trial.rt60()[list(MIDDLE_BANDS)].mean() > rt60 else (low, scale)
        return cls(sizes, np.clip(shape * np.sqrt(low * high), MIN_ABSORPTION, MAX_ABSORPTION), position)

    @property
    def volume(self) -> float:
        return float(np.prod(self.dimensions))

    @property
    def areas(self) -> np.ndarray:
        """(6,) m² of each surface in SURFACES order."""
        x, y, z = self.dimensions
        return np.array([y * z, y * z, x * z, x * z, x * y, x * y])

    @property
    def surface(self) -> float:
        return float(self.areas.sum())

    def rt60(self) -> np.ndarray:
        """Reverberation time (s) per band: Fitzroy's formula with air absorption (Eyring's for each pair of opposite
        surfaces, averaged with the pair's share of the surface); Eyring's where every surface absorbs alike."""
        pairs = self.areas.reshape(3, 2).sum(axis=1)
        mean = (self.areas[:, None] * self.absorption).reshape(3, 2, -1).sum(axis=1) / pairs[:, None]
        per_axis = SABINE * self.volume / (-self.surface * np.log1p(-mean) + 4 * AIR * self.volume)
        return pairs @ per_axis / self.surface

    def reflection(self) -> np.ndarray:
        """(6, bands) pressure reflection coefficient √(1 − α) of each surface."""
        return np.sqrt(1.0 - self.absorption)

    def mixing_time(self) -> float:
        """Perceptual mixing time (s) after the direct sound: 20 V/S + 12 ms (Lindau et al. 2012, tmp50)."""
        return 0.020 * self.volume / self.surface + 0.012

    def excitation(self, offset: np.ndarray) -> tuple[np.ndarray, float]:
        """Where a source at `offset` (3,) m from the listener excites the room, and the extra path (m) to it.

        A source inside the room (at least WALL_MARGIN from every surface) excites it where it is. The sound
        of a source beyond a surface enters where the line from the listener to the source meets that
        surface, WALL_MARGIN inside it; every reflection then travels the path from the source to that
        point first, so by the triangle inequality none arrives before the direct sound.
        """
        offset = np.asarray(offset, dtype=np.float64)
        distance = float(np.linalg.norm(offset))
        if distance == 0.0:
            return self.listener.copy(), 0.0
        direction = offset / distance
        bound = np.where(direction > 0, self.dimensions - WALL_MARGIN, WALL_MARGIN) - self.listener
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.where(np.abs(direction) > 1e-12, bound / direction, np.inf)
        inside = min(distance, max(float(reach.min()), 0.0))
        return self.listener + direction * inside, distance - inside
