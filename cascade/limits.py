"""Limits and defaults every stage agrees on (seconds, metres, Hz, LUFS, dBFS)."""

from __future__ import annotations

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
