"""What an HRIR set does to sound arriving from all directions at once: its diffuse-field response, the
interaural coherence of a diffuse field at that head, and the diffuse-field equalisation that removes the response.

The diffuse-field power response is the mean over directions (weighted by the solid angle each
measurement stands for) and over both ears of |H(f)|². Equalising by its inverse, as a minimum-phase
filter, leaves every direction-dependent cue (ITD, ILD, pinna notches) and removes what all directions
share (the ear-canal resonance, the loudspeaker and microphone of the measurement), so binaural audio
sounds as flat as the AmbiX W channel does.

The diffuse-field interaural coherence is the real part of the weighted mean cross-spectrum of the two
ears over their diffuse-field powers: near 1 at low frequencies, where both ears hear the same pressure,
near 0 above a few kHz. A late reverberation tail with this coherence sounds as a diffuse field does at
that head.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from cascade.cache import cache_root
from cascade.errors import OutputError
from cascade.files import atomic_path
from cascade.geometry import unit_vectors

if TYPE_CHECKING:
    from renderers.hrir import HrirSet

FFT_SIZE = 8192  # bins of the equaliser design at the set's rate
SMOOTHING_OCTAVES = 1 / 3  # the diffuse-field response is smoothed over this bandwidth before inversion
MAX_BOOST_DB = 20.0  # the equaliser never lifts any frequency by more than this relative to 1 kHz
EQ_TAPS = 512  # length of the minimum-phase equaliser at 44.1 kHz (scaled with the rate)
AREA_CAP = 3.0  # a direction at the edge of a partial grid counts for at most this many median cells


def solid_angle_weights(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    """Weight per direction (degrees) proportional to the solid angle of its spherical Voronoi cell, summing to 1.

    Cells at the edge of a grid that does not cover the sphere (no measurements below -40°, say) would
    otherwise stand for the whole uncovered cap; their area is capped at AREA_CAP median cells.
    """
    from scipy.spatial import SphericalVoronoi

    points = unit_vectors(azimuth, elevation)
    _, unique = np.unique(np.round(points, 9), axis=0, return_index=True)
    areas = np.zeros(points.shape[0])
    cells = SphericalVoronoi(points[unique], radius=1.0, threshold=1e-6)
    areas[unique] = cells.calculate_areas()
    areas = np.minimum(areas, AREA_CAP * np.median(areas[unique]))
    return areas / areas.sum()


def diffuse_power(hrirs: np.ndarray, azimuth: np.ndarray, elevation: np.ndarray, fft_size: int = FFT_SIZE) -> np.ndarray:
    """Diffuse-field power response (fft_size // 2 + 1 bins) of HRIRs (n_dirs, 2, taps): mean over ears and weighted directions."""
    return diffuse_spectra(hrirs, azimuth, elevation, fft_size)[0]


def diffuse_spectra(hrirs: np.ndarray, azimuth: np.ndarray, elevation: np.ndarray, fft_size: int = FFT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """(diffuse-field power, interaural coherence), each fft_size // 2 + 1 bins, of HRIRs (n_dirs, 2, taps).

    Responses longer than `fft_size` are analysed at the next power-of-two multiple and the bins of
    `fft_size` picked from it.
    """
    hrirs = np.asarray(hrirs, dtype=np.float64)
    size = fft_size * 2 ** max(0, int(np.ceil(np.log2(hrirs.shape[-1] / fft_size))))
    spectra = np.fft.rfft(hrirs, size, axis=-1)[..., :: size // fft_size]
    weights = solid_angle_weights(azimuth, elevation)
    left, right = weights @ np.abs(spectra[:, 0]) ** 2, weights @ np.abs(spectra[:, 1]) ** 2
    cross = weights @ (spectra[:, 0] * np.conj(spectra[:, 1])).real
    return (left + right) / 2, cross / np.sqrt(np.maximum(left * right, 1e-30))


@lru_cache(maxsize=16)
def head_statistics(hrirs: HrirSet, fft_size: int) -> tuple[np.ndarray, np.ndarray]:
    """`diffuse_spectra` of an HRIR set on the rfft grid of `fft_size` at the set's rate, coherence clipped to [-1, 1].

    Kept in memory and in $CASCADE_CACHE_DIR/hrirs, keyed by the responses and directions, so a later
    process needs neither the computation nor scipy.spatial.
    """
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in (hrirs.hrirs, hrirs.azimuth, hrirs.elevation)))
    path = cache_root() / "hrirs" / f"{digest.hexdigest()[:32]}-diffuse-{fft_size}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            power, coherence = data["power"], data["coherence"]
        if power.shape == coherence.shape == (fft_size // 2 + 1,) and np.isfinite(power).all() and np.isfinite(coherence).all():
            return power, coherence
    except (OSError, KeyError, ValueError, EOFError):
        pass
    power, coherence = diffuse_spectra(hrirs.hrirs, hrirs.azimuth, hrirs.elevation, fft_size)
    coherence = np.clip(coherence, -1.0, 1.0)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as file:
            np.savez(file, power=power, coherence=coherence)
    except (OSError, OutputError):
        pass
    return power, coherence


def smooth_octaves(power: np.ndarray, octaves: float = SMOOTHING_OCTAVES) -> np.ndarray:
    """Power spectrum (rfft bins) averaged over a band `octaves` wide around every bin (DC and the first bin kept)."""
    bins = np.arange(power.size, dtype=np.float64)
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    low = np.clip(np.floor(bins * 2 ** (-octaves / 2)), 0, power.size - 1).astype(int)
    high = np.clip(np.ceil(bins * 2 ** (octaves / 2)), 0, power.size - 1).astype(int) + 1
    smoothed = (cumulative[high] - cumulative[low]) / (high - low)
    smoothed[:2] = power[:2]
    return smoothed


def minimum_phase_spectrum(magnitude: np.ndarray) -> np.ndarray:
    """Spectra (..., bins) of the minimum-phase responses with the given magnitudes (rfft bins of an even size),
    by the folded real cepstrum."""
    size = 2 * (magnitude.shape[-1] - 1)
    cepstrum = np.fft.irfft(np.log(np.maximum(magnitude, 1e-12)), size, axis=-1)
    cepstrum[..., 1 : size // 2] *= 2
    cepstrum[..., size // 2 + 1 :] = 0
    return np.exp(np.fft.rfft(cepstrum, axis=-1))


def minimum_phase(magnitude: np.ndarray, taps: int) -> np.ndarray:
    """A real minimum-phase FIR of `taps` samples with the given magnitude (rfft bins), faded out over its last eighth."""
    size = 2 * (magnitude.size - 1)
    response = np.fft.irfft(minimum_phase_spectrum(magnitude), size)[:taps]
    fade = max(taps // 8, 1)
    response[-fade:] *= 0.5 * (1 + np.cos(np.pi * np.arange(1, fade + 1) / fade))
    return response


def equaliser(hrirs: np.ndarray, azimuth: np.ndarray, elevation: np.ndarray, sample_rate: int) -> np.ndarray:
    """Minimum-phase FIR (float64) that makes the diffuse-field power response of `hrirs` flat at 0 dB.

    The response is smoothed over a third of an octave and the inverse limited to MAX_BOOST_DB above its
    value at 1 kHz, so bands the measurement barely excited (deep bass, the top octave) are not blown up.
    """
    power = smooth_octaves(diffuse_power(hrirs, azimuth, elevation))
    gain = 1.0 / np.sqrt(np.maximum(power, 1e-20))
    reference = gain[int(round(1000.0 * FFT_SIZE / sample_rate))]
    gain = np.minimum(gain, reference * 10 ** (MAX_BOOST_DB / 20))
    return minimum_phase(gain, max(64, int(round(EQ_TAPS * sample_rate / 44100))))
