"""Seeds: one rule for an event's seed, and independent random streams per purpose.

An event's clip seed is `event_seed(scene seed, event id)` unless the scene gives one; every other use
of randomness for that event (a room's late-reverberation noise, a diffuse bed's decorrelation) draws
from `stream(event seed, purpose)`, so it never correlates with the clip itself.
"""

from __future__ import annotations

import hashlib

import numpy as np

MAX_SEED = 2**63  # seeds are integers in [0, 2**63)


def event_seed(scene_seed: int, event_id: str) -> int:
    """A stable per-event seed from the scene seed and the event id (independent of event order)."""
    digest = hashlib.sha256(f"{scene_seed}:{event_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def stream(seed: int, purpose: str) -> np.random.Generator:
    """A random generator for one purpose ('room-tail', ...), independent of every other purpose's stream."""
    tag = int.from_bytes(hashlib.sha256(purpose.encode()).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence([int(seed), tag]))
