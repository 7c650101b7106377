"""Direction of arrival of AmbiX audio from its active intensity vector, per time window (after ImmerseDiffusion, eq. 4-8).

With the STFT (Hann window of N = 512 samples, hop N / 2) of each channel, W(t, f), Y(t, f), Z(t, f), X(t, f):

    I(t, f)    = Re{ conj(W(t, f)) · [X(t, f), Y(t, f), Z(t, f)] }        active intensity of one bin
    I(window)  = sum of I(t, f) over frames t centred inside the window and bins f >= 50 Hz
    azimuth    = atan2(I_y, I_x),  elevation = atan2(I_z, sqrt(I_x² + I_y²))

The sum weights every bin by its energy (for a plane wave from u, I(t, f) = |W(t, f)|² · u), so quiet bins count
little. Errors against a target direction (az*, el*), all in radians:

    L1 azimuth     |wrap(az − az*)|, wrapped to [0, π]
    L1 elevation   |el − el*|
    spatial angle  arccos(u · u*), u = (cos el cos az, cos el sin az, sin el)
"""

from __future__ import annotations

import numpy as np

from cascade.metrics import circular_error, spatial_angle

N_FFT = 512
HOP = N_FFT // 2
LOWEST_HZ = 50.0


def intensity_frames(foa: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(frame centre times in s (frames,), intensity summed over the bins >= 50 Hz of each frame (frames, 3) as x, y, z)."""
    foa = np.asarray(foa, dtype=np.float64)[:4]
    padded = np.pad(foa, ((0, 0), (N_FFT // 2, N_FFT // 2 + HOP)))
    count = 1 + (padded.shape[-1] - N_FFT) // HOP
    frames = padded[:, np.arange(count)[:, None] * HOP + np.arange(N_FFT)] * np.hanning(N_FFT + 1)[:-1]
    spectra = np.fft.rfft(frames, axis=-1)
    spectra = spectra[..., np.fft.rfftfreq(N_FFT, 1.0 / sample_rate) >= LOWEST_HZ]
    w, y, z, x = spectra
    vectors = np.stack([np.real(np.conj(w) * c).sum(axis=-1) for c in (x, y, z)], axis=-1)
    return np.arange(count) * HOP / sample_rate, vectors


def window_direction(times: np.ndarray, vectors: np.ndarray, start: float, end: float) -> tuple[float, float]:
    """(azimuth, elevation) in degrees of the intensity summed over the frames centred in [start, end] s; NaN when
    the window holds no frame or no intensity."""
    inside = (times >= start) & (times <= end)
    ix, iy, iz = vectors[inside].sum(axis=0) if inside.any() else (0.0, 0.0, 0.0)
    if ix == iy == iz == 0.0:
        return float("nan"), float("nan")
    return float(np.degrees(np.arctan2(iy, ix))), float(np.degrees(np.arctan2(iz, np.hypot(ix, iy))))


def direction_errors(azimuth: float, elevation: float, target_azimuth: float, target_elevation: float) -> dict[str, float]:
    """L1 azimuth, L1 elevation and spatial angle in radians (see the module docstring); NaN for an unmeasured direction."""
    return {"l1_azimuth": float(np.radians(circular_error(azimuth, target_azimuth))),
            "l1_elevation": float(np.radians(abs(elevation - target_elevation))),
            "spatial_angle": float(np.radians(spatial_angle(azimuth, elevation, target_azimuth, target_elevation)))}
