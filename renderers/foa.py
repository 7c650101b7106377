"""First-order ambisonics: exact AmbiX encoding (ACN W, Y, Z, X; SN3D), FuMa conversion, rotation,
and energy-preserving binaural decoding through virtual loudspeakers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from cascade.dsp import convolve
from cascade.geometry import to_spherical, unit_vectors
from renderers import Renderer
from renderers.diffuse_field import MAX_BOOST_DB, head_statistics, minimum_phase, smooth_octaves
from renderers.hrir import HrirSet, load_hrirs
from renderers.path import SourcePath
from renderers.propagation import emission_times, propagate

MAX_RE_GAIN = 1 / np.sqrt(3)  # first-order max-rE weight: largest root of the Legendre polynomial P2


def encode(mono: np.ndarray, sample_rate: int, path: SourcePath, reference_distance: float = 1.0) -> np.ndarray:
    """(4, n) float32 AmbiX of `mono` along `path`: W = s, Y = s·sin az·cos el, Z = s·sin el, X = s·cos az·cos el.

    s is `mono` after `propagate` (delay r / c, gain reference_distance / r); a moving source gets
    its direction per output sample, at the sample's emission time.
    """
    signal = propagate(mono, sample_rate, path, reference_distance)
    if path.moves:
        times = emission_times(path, np.arange(signal.size) / sample_rate)
        azimuth, elevation, _ = path.at(np.clip(times, 0.0, None))
    else:
        azimuth, elevation = path.azimuth[:1], path.elevation[:1]
    x, y, z = unit_vectors(azimuth, elevation).T.astype(np.float32)
    return np.stack([signal, signal * y, signal * z, signal * x]).astype(np.float32)


def to_fuma(foa: np.ndarray) -> np.ndarray:
    """AmbiX (W, Y, Z, X; SN3D) to FuMa (W/√2, X, Y, Z)."""
    w, y, z, x = foa
    return np.stack([w / np.sqrt(2), x, y, z]).astype(foa.dtype)


def from_fuma(fuma: np.ndarray) -> np.ndarray:
    """FuMa (W/√2, X, Y, Z) to AmbiX (W, Y, Z, X; SN3D)."""
    w, x, y, z = fuma
    return np.stack([w * np.sqrt(2), y, z, x]).astype(fuma.dtype)


def rotation_matrix(yaw: float, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """3×3 rotation (x front, y left, z up), degrees: roll about x (left side up), then pitch about y
    (front up), then yaw about z (counter-clockwise seen from above)."""
    a, b, c = np.radians([yaw, pitch, roll])
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    ry = np.array([[np.cos(b), 0, -np.sin(b)], [0, 1, 0], [np.sin(b), 0, np.cos(b)]])
    rx = np.array([[1, 0, 0], [0, np.cos(c), -np.sin(c)], [0, np.sin(c), np.cos(c)]])
    return rz @ ry @ rx


def rotate(foa: np.ndarray, yaw: float, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """Rotate the sound field (degrees, see `rotation_matrix`): a source at azimuth a ends at a + yaw."""
    w, y, z, x = foa
    x, y, z = np.einsum("ij,jn->in", rotation_matrix(yaw, pitch, roll).astype(foa.dtype), np.stack([x, y, z]))
    return np.stack([w, y, z, x])


def icosahedron() -> tuple[np.ndarray, np.ndarray]:
    """Azimuths and elevations (degrees) of the 12 icosahedron vertices, a spherical 5-design."""
    phi = (1 + np.sqrt(5)) / 2
    points = []
    for a in (-1.0, 1.0):
        for b in (-phi, phi):
            points += [(0.0, a, b), (a, b, 0.0), (b, 0.0, a)]
    azimuth, elevation, _ = to_spherical(np.array(points))
    return azimuth, elevation


@lru_cache(maxsize=8)
def decoder_filters(hrirs: HrirSet) -> np.ndarray:
    """(4, 2, taps) filters mapping each AmbiX channel to each ear: the max-rE projection decoder to the
    icosahedron's virtual loudspeakers folded into their HRIRs (the sum of feeds equals W), then equalised
    so that a diffuse field decodes with the diffuse-field power of `hrirs` itself (energy-preserving).

    A plane wave from a random direction carries W, Y, Z, X with mean squares 1, 1/3, 1/3, 1/3 (SN3D),
    so the decoded diffuse-field power is |F_W|² + (|F_Y|² + |F_Z|² + |F_X|²) / 3 per ear; first-order
    decoding loses some of it above about 1 kHz, where the virtual loudspeakers add up incoherently.
    """
    azimuth, elevation = icosahedron()
    directions = unit_vectors(azimuth, elevation)
    x, y, z = directions.T
    gains = np.stack([np.ones_like(x), 3 * MAX_RE_GAIN * y, 3 * MAX_RE_GAIN * z, 3 * MAX_RE_GAIN * x]) / x.size
    filters = np.einsum("cl,let->cet", gains, hrirs.interpolate(azimuth, elevation))
    size = 1 << int(np.ceil(np.log2(4 * hrirs.taps)))
    spectra = np.abs(np.fft.rfft(filters, size, axis=-1)) ** 2
    decoded = np.mean(spectra[0] + spectra[1:].sum(axis=0) / 3, axis=0)
    target = head_statistics(hrirs, size)[0]
    gain = np.sqrt(smooth_octaves(target) / np.maximum(smooth_octaves(decoded), 1e-20))
    gain = np.minimum(gain, 10 ** (MAX_BOOST_DB / 20))
    return convolve(filters, minimum_phase(gain, hrirs.taps)[None, None, :]).astype(np.float32)


def decode_binaural(foa: np.ndarray, sample_rate: int, hrirs: HrirSet) -> np.ndarray:
    """(2, n + taps - 1) float32 binaural from AmbiX `foa` (4, n) through 12 virtual loudspeakers (taps of `decoder_filters`)."""
    filters = decoder_filters(hrirs.at_rate(sample_rate))
    foa = np.asarray(foa, dtype=np.float32)
    return convolve(foa[:, None, :], filters).sum(axis=0).astype(np.float32)


class FoaBinauralRenderer(Renderer):
    """Binaural through first-order ambisonics: exact AmbiX encoding, then `decode_binaural`."""

    name = "foa"

    def __init__(self, sofa: str | Path | None = None, equalisation: str = "diffuse") -> None:
        self.hrirs: HrirSet = load_hrirs(sofa, equalisation)
        self.reference_distance = self.hrirs.distance

    def render(self, mono: np.ndarray, sample_rate: int, path: SourcePath) -> np.ndarray:
        """(2, n) float32 binaural, n = len(mono) + max propagation delay + taps - 1 (samples)."""
        return decode_binaural(encode(mono, sample_rate, path, self.reference_distance), sample_rate, self.hrirs)
