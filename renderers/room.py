"""A shoebox room around a listener at its centre: first-order image sources and a diffuse late tail.

Dimensions (m) are x front, y left, z up; `rt60` (s) is the time the reverberant energy takes to
fall by 60 dB. Numbers in, arrays out: the caller renders each image path like the direct sound.
"""

from __future__ import annotations

import numpy as np

from cascade.dsp import convolve
from cascade.geometry import SPEED_OF_SOUND, to_spherical, unit_vectors
from renderers import RendererError
from renderers.foa import decode_binaural
from renderers.hrir import HrirSet, load_hrirs
from renderers.path import SourcePath

SABINE = 0.161  # s/m: RT60 = 0.161 V / (S α)
WALL_MARGIN = 0.05  # m: a source beyond a wall reflects as if it stood this far inside


def _check(dimensions: tuple[float, float, float], rt60: float) -> np.ndarray:
    sizes = np.asarray(dimensions, dtype=np.float64).reshape(-1)
    if sizes.size != 3 or np.any(sizes <= 2 * WALL_MARGIN):
        raise RendererError(f"room dimensions {tuple(dimensions)} must be three lengths in metres above 0.1")
    if not rt60 > 0:
        raise RendererError(f"room rt60 {rt60} must be a positive number of seconds")
    return sizes


def reflection_coefficient(dimensions: tuple[float, float, float], rt60: float) -> float:
    """Wall pressure reflection coefficient √(1 − α), α from Sabine's formula (clipped to 1)."""
    x, y, z = _check(dimensions, rt60)
    absorption = SABINE * x * y * z / (2 * (x * y + x * z + y * z) * rt60)
    return float(np.sqrt(1.0 - min(absorption, 1.0)))


def critical_distance(dimensions: tuple[float, float, float], rt60: float) -> float:
    """Distance (m) where direct and reverberant energy are equal: 0.057 · √(V / RT60)."""
    return float(0.057 * np.sqrt(np.prod(_check(dimensions, rt60)) / rt60))


def image_paths(dimensions: tuple[float, float, float], rt60: float,
                path: SourcePath) -> list[tuple[SourcePath, float]]:
    """The six first-order image sources of `path` (walls -x, +x, -y, +y, -z, +z) with their reflection gain."""
    sizes = _check(dimensions, rt60)
    gain = reflection_coefficient(dimensions, rt60)
    half = sizes / 2 - WALL_MARGIN
    points = np.clip(unit_vectors(path.azimuth, path.elevation) * path.distance[:, None], -half, half)
    images = []
    for axis in range(3):
        for side in (-1.0, 1.0):
            mirrored = points.copy()
            mirrored[:, axis] = side * sizes[axis] - points[:, axis]
            azimuth, elevation, distance = to_spherical(mirrored)
            images.append((SourcePath.from_keys(path.times, azimuth, elevation, distance), gain))
    return images


def late_reverb(mono: np.ndarray, sample_rate: int, dimensions: tuple[float, float, float], rt60: float, rng: np.random.Generator,
                reference_distance: float = 1.0, hrirs: HrirSet | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Diffuse late reverberation of `mono`: (binaural (2, n), AmbiX (4, n)) float32.

    Decorrelated Gaussian noise per AmbiX channel decaying 60 dB over `rt60`, starting when the
    last first-order reflection of a centred source arrives (largest dimension / c). Energies: W
    gets (reference_distance / critical distance)² times the energy of `mono`, as the direct sound
    at 1 m would at the critical distance; Y, Z, X a third of it each (SN3D diffuse field). The
    binaural tail is the AmbiX tail decoded with `hrirs` (MIT KEMAR when None), scaled to their
    mean energy. n = len(mono) + tail length + taps - 2; the noise comes from `rng`.
    """
    sizes = _check(dimensions, rt60)
    hrirs = (load_hrirs() if hrirs is None else hrirs).at_rate(sample_rate)
    onset = int(round(sizes.max() / SPEED_OF_SOUND * sample_rate))
    length = int(round(rt60 * sample_rate))
    decay = np.exp(-3 * np.log(10) * np.arange(length) / (rt60 * sample_rate))
    noise = rng.standard_normal((4, length)) * decay
    energy = (reference_distance / critical_distance(dimensions, rt60)) ** 2
    targets = energy * np.array([1.0, 1 / 3, 1 / 3, 1 / 3])
    noise *= np.sqrt(targets / np.sum(noise**2, axis=1))[:, None]
    foa_ir = np.concatenate([np.zeros((4, onset)), noise], axis=1).astype(np.float32)
    binaural_ir = decode_binaural(foa_ir, sample_rate, hrirs).astype(np.float64)
    diffuse_energy = np.mean(np.sum(hrirs.hrirs.astype(np.float64) ** 2, axis=-1))
    binaural_ir *= np.sqrt(energy * diffuse_energy / np.mean(np.sum(binaural_ir**2, axis=1)))
    mono = np.asarray(mono, dtype=np.float32).reshape(1, -1)
    binaural = convolve(mono, binaural_ir.astype(np.float32))
    foa = convolve(mono, foa_ir)
    foa = np.pad(foa, ((0, 0), (0, binaural.shape[-1] - foa.shape[-1])))
    return binaural.astype(np.float32), foa.astype(np.float32)
