"""Limits and defaults every stage agrees on (seconds, metres, Hz, LUFS, dBFS), and sizes a user may set."""

from __future__ import annotations

import os

from cascade.errors import CascadeError

MAX_TEXT = 4000  # characters in a scene description
MAX_EVENTS = 64  # events in a scene
MIN_DURATION = 0.01  # s, the shortest event or scene
MAX_EVENT_DURATION = 60.0  # s
MAX_SCENE_DURATION = 600.0  # s
MAX_DISTANCE = 100.0  # m from the head centre
SAMPLE_RATES = (16000, 22050, 24000, 32000, 44100, 48000)  # Hz a scene may use
DEFAULT_SAMPLE_RATE = 44100  # Hz
DEFAULT_LOUDNESS = -20.0  # LUFS, integrated loudness target of the binaural mix
LOUDNESS_RANGE = (-60.0, -5.0)  # LUFS a user may ask for
PEAK_CEILING = -1.0  # dBFS, sample peak of either output file


def gigabytes(value: float | None, variable: str, default: float, what: str, error: type[CascadeError], positive: bool = False) -> int:
    """Bytes from a size in GB: `value`, else the environment `variable`, else `default`; `error` naming `what` when it
    is not a number >= 0 (> 0 when `positive`)."""
    if value is None:
        raw = os.environ.get(variable)
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise error(f"{variable} must be a number of gigabytes, got {raw!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e6 or (positive and value == 0):
        raise error(f"{what} must be a {'positive' if positive else 'non-negative'} number of gigabytes, got {value!r}")
    return round(value * 2**30)
