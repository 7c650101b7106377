"""A diffuse ambience bed: a sound arriving from all around at once (rain, wind, a crowd), not from a point.

The mono clip is decorrelated into BED_DIRECTIONS mutually incoherent copies (a flat-magnitude, random-phase
FIR per copy) and each copy is rendered from one direction of a spherical design, with 1/√N gain. Incoherent
sources from every direction are what a diffuse field is, so the AmbiX channels come out uncorrelated with
the diffuse-field energies (Y, Z, X a third of W in SN3D) and the two ears get the interaural coherence of a
diffuse field at the renderer's own head; the total energy equals the clip's.
"""

from __future__ import annotations

import numpy as np

from cascade.dsp import convolve
from cascade.seeds import stream
from renderers import Renderer, add_padded, foa
from renderers.path import SourcePath

BED_DIRECTIONS = 20  # the dodecahedron's vertices: a spherical 5-design
DECORRELATION_SECONDS = 0.02  # length of each decorrelating filter; smears onsets by at most this much


def dodecahedron() -> tuple[np.ndarray, np.ndarray]:
    """Azimuths and elevations (degrees) of the 20 vertices of a regular dodecahedron."""
    phi = (1 + np.sqrt(5)) / 2
    points: list[tuple[float, float, float]] = [(x, y, z) for x in (-1.0, 1.0) for y in (-1.0, 1.0) for z in (-1.0, 1.0)]
    for a in (-1 / phi, 1 / phi):
        for b in (-phi, phi):
            points += [(0.0, a, b), (a, b, 0.0), (b, 0.0, a)]
    x, y, z = np.array(points, dtype=np.float64).T
    return np.degrees(np.arctan2(y, x)), np.degrees(np.arctan2(z, np.hypot(x, y)))


def decorrelators(count: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """(count, length) unit-energy FIRs of flat magnitude and independent random phase."""
    bins = length // 2 + 1
    phase = rng.uniform(-np.pi, np.pi, (count, bins))
    phase[:, 0] = 0.0
    if length % 2 == 0:
        phase[:, -1] = 0.0
    filters = np.fft.irfft(np.exp(1j * phase), length)
    return (filters / np.linalg.norm(filters, axis=1, keepdims=True)).astype(np.float32)


def diffuse_bed(mono: np.ndarray, sample_rate: int, renderer: Renderer, distance: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(binaural (2, n), AmbiX (4, n)) float32 of `mono` as a diffuse field at `distance` metres (which sets its
    level and delay like a point source's); the decorrelation comes from `seed`'s own random stream."""
    azimuth, elevation = dodecahedron()
    filters = decorrelators(azimuth.size, max(16, int(DECORRELATION_SECONDS * sample_rate)), stream(seed, "diffuse-bed"))
    copies = convolve(np.asarray(mono, dtype=np.float32)[None, :], filters) / np.float32(np.sqrt(azimuth.size))
    paths = [SourcePath.static(a, e, distance) for a, e in zip(azimuth, elevation)]
    binaural = add_padded([renderer.render(copy, sample_rate, path) for copy, path in zip(copies, paths)])
    ambix = add_padded([foa.encode(copy, sample_rate, path, renderer.reference_distance) for copy, path in zip(copies, paths)])
    return binaural, ambix
