"""Binaural rendering by HRIR convolution: one convolution per ear for a static source (travel delay,
distance gain and HRIR folded into one filter), windowed overlap-add with per-frame interpolated HRIRs
for a moving one. Sources closer than the HRIRs' measurement distance get the rigid-sphere near-field
filters of `renderers.near_field` on top."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cascade.dsp import convolve
from renderers import Renderer, near_field
from renderers.hrir import HrirSet, load_hrirs
from renderers.path import SourcePath
from renderers.propagation import emission_times, place, propagate, propagated_length, static_delay

FRAME_SECONDS = 0.023  # moving sources: Hann frames of about this length, hop half of it


def near_pairs(pairs: np.ndarray, distance: np.ndarray, azimuth: np.ndarray, elevation: np.ndarray, hrirs: HrirSet,
               sample_rate: int) -> np.ndarray:
    """HRIR pairs (k, 2, taps) of k positions, those nearer than the set's measurement distance through their near-field
    filters (advanced by near_field.LEAD samples): float32 (k, 2, taps + near_field.TAPS - 1), or `pairs` when none is near."""
    near = distance < hrirs.distance
    if not np.any(near):
        return pairs
    filtered = np.zeros((pairs.shape[0], 2, pairs.shape[-1] + near_field.TAPS - 1), dtype=np.float32)
    combined = convolve(pairs[near], near_field.filters(distance[near], azimuth[near], elevation[near], hrirs.distance, sample_rate))
    filtered[near, :, : combined.shape[-1] - near_field.LEAD] = combined[..., near_field.LEAD :]
    filtered[~near, :, : pairs.shape[-1]] = pairs[~near]
    return filtered


def render_moving(mono: np.ndarray, sample_rate: int, path: SourcePath, hrirs: HrirSet) -> np.ndarray:
    """(2, n) float32: `mono` (already propagated) convolved with the HRIRs along the moving `path`.

    n = len(mono) + taps - 1 with taps at `sample_rate` (plus near_field.TAPS - 1 when the path comes nearer than
    the HRIRs' measurement distance).
    """
    hrirs = hrirs.at_rate(sample_rate)
    mono = np.asarray(mono, dtype=np.float32)
    hop = max(int(round(FRAME_SECONDS * sample_rate / 2)), 16)
    frame = 2 * hop
    window = np.hanning(frame + 1)[:-1].astype(np.float32)  # periodic Hann: 50 % overlaps sum to 1
    count = -(-(mono.size + hop) // hop)
    padded = np.zeros((count + 1) * hop, dtype=np.float32)
    padded[hop : hop + mono.size] = mono
    starts = np.arange(count) * hop
    frames = padded[starts[:, None] + np.arange(frame)] * window
    centres = emission_times(path, starts / sample_rate)
    azimuth, elevation, distance = path.at(np.clip(centres, 0.0, None))
    pairs = near_pairs(hrirs.interpolate(azimuth, elevation), distance, azimuth, elevation, hrirs, sample_rate)
    taps = pairs.shape[-1]
    size = 1 << int(np.ceil(np.log2(frame + taps - 1)))
    spectra = np.fft.rfft(frames, size)[:, None, :] * np.fft.rfft(pairs, size)
    blocks = np.fft.irfft(spectra, size).astype(np.float32)[..., : frame + taps - 1]
    out = np.zeros((2, padded.size + size), dtype=np.float32)
    for index, start in enumerate(starts):
        out[:, start : start + blocks.shape[-1]] += blocks[index]
    return out[:, hop : hop + mono.size + taps - 1]


class HrtfRenderer(Renderer):
    """Direct binaural rendering with a measured HRIR set (MIT KEMAR when `sofa` is None)."""

    name = "hrtf"

    def __init__(self, sofa: str | Path | None = None, equalisation: str = "diffuse") -> None:
        self.hrirs: HrirSet = load_hrirs(sofa, equalisation)
        self.reference_distance = self.hrirs.distance

    def render(self, mono: np.ndarray, sample_rate: int, path: SourcePath) -> np.ndarray:
        """(2, n) float32 binaural, n = len(mono) + max propagation delay + taps - 1 (samples)."""
        if path.moves:
            return render_moving(propagate(mono, sample_rate, path, self.reference_distance), sample_rate, path, self.hrirs)
        mono = np.asarray(mono, dtype=np.float32).reshape(-1)
        hrirs = self.hrirs.at_rate(sample_rate)
        start, taps = static_delay(path, sample_rate, self.reference_distance)
        pair = near_pairs(hrirs.interpolate(path.azimuth, path.elevation), path.distance, path.azimuth, path.elevation, hrirs, sample_rate)[0]
        filters = np.stack([np.convolve(taps, ear) for ear in pair])
        length = propagated_length(mono.size, path, sample_rate) + pair.shape[-1] - 1
        return place(convolve(mono[None, :], filters), start, length)
