"""Binaural rendering by HRIR convolution: one convolution per ear for a static source (travel delay,
distance gain and HRIR folded into one filter), windowed overlap-add with per-frame interpolated HRIRs
for a moving one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cascade.dsp import convolve
from renderers import Renderer
from renderers.hrir import HrirSet, load_hrirs
from renderers.path import SourcePath
from renderers.propagation import emission_times, place, propagate, propagated_length, static_delay

FRAME_SECONDS = 0.023  # moving sources: Hann frames of about this length, hop half of it


def render_moving(mono: np.ndarray, sample_rate: int, path: SourcePath, hrirs: HrirSet) -> np.ndarray:
    """(2, n) float32: `mono` (already propagated) convolved with the HRIRs along the moving `path`.

    n = len(mono) + taps - 1 with taps at `sample_rate`.
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
    azimuth, elevation, _ = path.at(np.clip(centres, 0.0, None))
    pairs = hrirs.interpolate(azimuth, elevation)
    size = 1 << int(np.ceil(np.log2(frame + hrirs.taps - 1)))
    spectra = np.fft.rfft(frames, size)[:, None, :] * np.fft.rfft(pairs, size)
    blocks = np.fft.irfft(spectra, size).astype(np.float32)[..., : frame + hrirs.taps - 1]
    out = np.zeros((2, padded.size + size), dtype=np.float32)
    for index, start in enumerate(starts):
        out[:, start : start + blocks.shape[-1]] += blocks[index]
    return out[:, hop : hop + mono.size + hrirs.taps - 1]


class HrtfRenderer(Renderer):
    """Direct binaural rendering with a measured HRIR set (MIT KEMAR when `sofa` is None)."""

    name = "hrtf"

    def __init__(self, sofa: str | Path | None = None, equalisation: str = "diffuse") -> None:
        self.hrirs = load_hrirs(sofa, equalisation)
        self.reference_distance = self.hrirs.distance

    def render(self, mono: np.ndarray, sample_rate: int, path: SourcePath) -> np.ndarray:
        """(2, n) float32 binaural, n = len(mono) + max propagation delay + taps - 1 (samples)."""
        if path.moves:
            return render_moving(propagate(mono, sample_rate, path, self.reference_distance), sample_rate, path, self.hrirs)
        mono = np.asarray(mono, dtype=np.float32).reshape(-1)
        hrirs = self.hrirs.at_rate(sample_rate)
        start, taps = static_delay(path, sample_rate, self.reference_distance)
        pair = hrirs.interpolate(path.azimuth[0], path.elevation[0])[0]
        filters = np.stack([np.convolve(taps, ear) for ear in pair])
        length = propagated_length(mono.size, path, sample_rate) + hrirs.taps - 1
        return place(convolve(mono[None, :], filters), start, length)
