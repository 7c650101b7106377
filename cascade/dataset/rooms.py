"""Rooms as real rooms are: a reverberation time that follows the room's volume, and the direct-to-reverberant
ratio (DRR) a source at a given distance has there.

Measured furnished rooms of one volume span a limited RT60 range, longer the larger the room. The median
used here is DIN 18041's target for rooms used for speech (group A2): T = 0.37 lg(V / 1 m³) - 0.14 s
(0.41 s at 30 m³, 0.65 s at 150 m³, 0.82 s at 400 m³), which living rooms, offices, meeting and lecture
rooms sit near; a room's RT60 is drawn log-normally around it. DRR is Sabine's estimate for an
omnidirectional source: 20 lg(r_c / r) with the critical distance r_c = 0.057 sqrt(V / T) m.
"""

from __future__ import annotations

import math

import numpy as np

SLOPE, OFFSET = 0.37, -0.14  # s per decade of volume, s: DIN 18041 group A2
CRITICAL = 0.057  # m·sqrt(s/m³): Sabine's critical distance r_c = CRITICAL·sqrt(V / T)


def median_rt60(volume: float) -> float:
    """Seconds of RT60 that rooms of `volume` m³ typically have (DIN 18041 A2; at least 0.1 s)."""
    return max(0.1, SLOPE * math.log10(volume) + OFFSET)


def draw_rt60(rng: np.random.Generator, volume: float, spread: float, low: float, high: float) -> float:
    """An RT60 (s) for a room of `volume` m³: log-normal around `median_rt60` (σ of ln T = `spread`), kept in [low, high]."""
    return float(np.clip(median_rt60(volume) * math.exp(spread * float(rng.standard_normal())), low, high))


def critical_distance(volume: float, rt60: float) -> float:
    """Metres from an omnidirectional source where direct and reverberant energy are equal (Sabine)."""
    return CRITICAL * math.sqrt(volume / rt60)


def drr_db(volume: float, rt60: float, distance: float) -> float:
    """Sabine's direct-to-reverberant ratio (dB) of an omnidirectional source `distance` metres away."""
    return 20.0 * math.log10(critical_distance(volume, rt60) / distance)
