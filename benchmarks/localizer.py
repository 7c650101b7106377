"""A template-matching binaural localizer for sources in the horizontal plane.

Features of a binaural signal (2, n) and, when given, its dry mono source:
- ITD (GCC-PHAT below 1.5 kHz, `cascade.metrics.itd`), in units of 50 µs;
- ILD in 16 log-spaced bands from 250 Hz to 7.5 kHz (Welch spectra), in units of 3 dB (bands up to
  16 kHz made a worse listener for another head: pinna cues above 8 kHz differ too much between heads);
- monaural spectral cues (needs the source): each ear's band gain over the source, minus the mean
  over bands and ears (so level and distance drop out), in units of 3 dB, in the bands where the
  source is within 50 dB of its strongest band (elsewhere the gain is noise over noise). These
  resolve front from back.

Templates are the same features of white noise rendered through a measured HRIR set every 2° of
azimuth at 0° elevation; `localize` returns the azimuth of the nearest template (weighted Euclidean
distance). Interaural cues alone cannot tell front from back, so pass the source when you can.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import oaconvolve, welch

from cascade.metrics import itd
from renderers.hrir import HrirSet

BAND_EDGES_HZ = np.geomspace(250.0, 7500.0, 17)
SOURCE_RANGE_DB = 50.0  # spectral cues only where the source is within this of its strongest band
ITD_UNIT = 50e-6  # s
LEVEL_UNIT = 3.0  # dB
WEIGHTS = {"itd": 1.0, "ild": 1.0, "spectral": 1.0}  # per feature group, on mean squared unit differences
SECTOR_DEG = 30.0


def _band_levels(signals: np.ndarray, sample_rate: int) -> np.ndarray:
    """(channels, bands) mean power in dB per band (Welch, 512-sample Hann segments at 16 kHz equivalent)."""
    segment = int(2 ** np.round(np.log2(sample_rate / 32)))
    frequency, power = welch(np.atleast_2d(signals), sample_rate, nperseg=min(segment, signals.shape[-1]), axis=-1)
    edges = np.minimum(BAND_EDGES_HZ, 0.45 * sample_rate)
    bands = [(frequency >= lo) & (frequency < hi) for lo, hi in zip(edges[:-1], edges[1:])]
    return 10 * np.log10(np.stack([power[:, b].mean(axis=-1) if b.any() else np.full(power.shape[0], 1e-20)
                                   for b in bands], axis=-1) + 1e-20)


def features(binaural: np.ndarray, sample_rate: int, source: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Feature groups 'itd' (1,), 'ild' (16,) and, with `source`, 'spectral' (32,; NaN in the bands where
    the source is too weak), in their units."""
    binaural = np.asarray(binaural, dtype=np.float64)[:2]
    levels = _band_levels(binaural, sample_rate)
    out = {"itd": np.array([itd(binaural, sample_rate) / ITD_UNIT]), "ild": (levels[0] - levels[1]) / LEVEL_UNIT}
    if source is not None:
        source_levels = _band_levels(np.asarray(source, dtype=np.float64)[None], sample_rate)
        gains = levels - source_levels
        gains[:, source_levels[0] < source_levels.max() - SOURCE_RANGE_DB] = np.nan
        out["spectral"] = ((gains - np.nanmean(gains)) / LEVEL_UNIT).ravel()
    return out


def sector(azimuth: np.ndarray | float) -> np.ndarray:
    """12-class sector index of an azimuth (deg): 30° sectors centred on 0°, 30°, ... (0 = ahead, 3 = left)."""
    return np.round(np.asarray(azimuth, dtype=np.float64) / SECTOR_DEG).astype(int) % 12


class Localizer:
    """Nearest-template azimuth estimation calibrated on one measured head (`hrirs`) at `sample_rate` Hz."""

    def __init__(self, hrirs: HrirSet, sample_rate: int = 16000, step_deg: float = 2.0, seed: int = 0) -> None:
        self.sample_rate = sample_rate
        self.azimuths = np.arange(-180.0 + step_deg, 180.0 + 1e-9, step_deg)
        pairs = hrirs.at_rate(sample_rate).interpolate(self.azimuths, np.zeros_like(self.azimuths))
        noise = np.random.default_rng(seed).standard_normal(sample_rate).astype(np.float32)
        rendered = [oaconvolve(noise[None], pair, axes=-1) for pair in pairs]
        groups = [features(r, sample_rate, noise) for r in rendered]
        self.templates = {key: np.stack([g[key] for g in groups]) for key in groups[0]}

    def distances(self, binaural: np.ndarray, sample_rate: int, source: np.ndarray | None = None) -> np.ndarray:
        """Weighted squared feature distance to every template azimuth."""
        if sample_rate != self.sample_rate:
            raise ValueError(f"this localizer was calibrated at {self.sample_rate} Hz, got {sample_rate} Hz")
        found = features(binaural, sample_rate, source)
        return sum(WEIGHTS[key] * np.nanmean((self.templates[key] - value) ** 2, axis=1) for key, value in found.items())

    def localize(self, binaural: np.ndarray, sample_rate: int, source: np.ndarray | None = None) -> float:
        """Azimuth (deg, +90 = left) of the best-matching template."""
        return float(self.azimuths[int(np.argmin(self.distances(binaural, sample_rate, source)))])
