"""When a sound begins: an energy onset detector for one event's mono signal.

The signal's short-time energy is taken in 10 ms Hann frames every 2.5 ms (dB). The onset is the centre of the
first frame whose energy comes within RELATIVE_DB of the loudest frame's, moved back to the frame where the
energy last rose through RELATIVE_DB + RISE_DB below that peak (the foot of the attack) when that lies
within BACKTRACK_S. A signal whose loudest frame is below SILENT_DBFS has no onset.
"""

from __future__ import annotations

import numpy as np

FRAME_S = 0.010
HOP_S = 0.0025
RELATIVE_DB = 20.0
RISE_DB = 15.0
BACKTRACK_S = 0.05
SILENT_DBFS = -80.0


def frame_energy(mono: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(frame centre times in s, energy in dB re full scale) of Hann frames of FRAME_S every HOP_S."""
    mono = np.asarray(mono, dtype=np.float64).reshape(-1)
    size, hop = max(2, int(round(FRAME_S * sample_rate))), max(1, int(round(HOP_S * sample_rate)))
    padded = np.pad(mono, (size // 2, size // 2 + hop))
    count = 1 + (padded.size - size) // hop
    window = np.hanning(size)
    frames = padded[np.arange(count)[:, None] * hop + np.arange(size)] * window
    power = np.sum(frames**2, axis=-1) / np.sum(window**2)
    return np.arange(count) * hop / sample_rate, 10.0 * np.log10(power + 1e-20)


def onset(mono: np.ndarray, sample_rate: int) -> float:
    """Seconds from the start of `mono` to where its sound begins (see the module docstring); NaN when it is silent."""
    times, energy = frame_energy(mono, sample_rate)
    peak = float(energy.max(initial=-np.inf))
    if peak < SILENT_DBFS:
        return float("nan")
    first = int(np.argmax(energy >= peak - RELATIVE_DB))
    lowest = max(0, first - int(round(BACKTRACK_S / HOP_S)))
    below = np.nonzero(energy[lowest:first] < peak - RELATIVE_DB - RISE_DB)[0]
    return float(times[lowest + below[-1] + 1] if below.size else times[first])
