"""Octave bands for room acoustics: the band centres, and band values spread over any frequency grid.

Wall absorption, air absorption, reflection gains and decay times are given per octave band (125 Hz to
16 kHz); a filter made from them interpolates linearly over log-frequency between band centres and
holds the outermost values beyond them, so neighbouring bands cross over smoothly and their gains
sum to the band value wherever bands agree.
"""

from __future__ import annotations

import numpy as np

CENTRES = np.array([125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0])  # Hz


def on_grid(values: np.ndarray, frequencies: np.ndarray) -> np.ndarray:
    """Band `values` (..., len(CENTRES)) at `frequencies` (Hz): linear in log2 f between centres, held outside."""
    values = np.asarray(values, dtype=np.float64)
    position = np.interp(np.log2(np.maximum(np.asarray(frequencies, dtype=np.float64), 1e-3)),
                         np.log2(CENTRES), np.arange(CENTRES.size))
    low = np.clip(np.floor(position).astype(int), 0, CENTRES.size - 2)
    weight = position - low
    return values[..., low] * (1.0 - weight) + values[..., low + 1] * weight

