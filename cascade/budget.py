"""What a render will cost before it starts: memory (bytes) and time (s), estimated from the scene's size.

The estimate counts every event's spatial stem (binaural + AmbiX, float32, the event, its travel time and
its room's reverberation), the scene-length mix buffers and the copies written to disk; the time uses
throughputs measured on a 2-core CPU (benchmarks/cascade_speed.py), so treat it as an order of magnitude.
A render above the memory budget is refused before any work, naming the budget and how to raise it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cascade import limits
from cascade.errors import BudgetError
from cascade.geometry import SPEED_OF_SOUND
from cascade.scene import Scene

DEFAULT_MEMORY_GB = 4.0
MEMORY_VARIABLE = "CASCADE_MAX_MEMORY_GB"
CHANNELS = 6  # binaural 2 + AmbiX 4
BYTES = 4  # float32
WORKING_COPIES = 3  # a stem's buffers while it is convolved and placed
MIX_COPIES = 1.0  # the mix buffers, scaled in place and written to disk a block at a time (no whole-file copies)
SECONDS_PER_AUDIO_SECOND = {"generate": 0.01, "static": 0.004, "moving": 0.03, "room": 0.02, "mix": 0.02}  # CPU s per s of audio


@dataclass(frozen=True)
class Cost:
    """Estimated peak memory (bytes) and wall time (s) of rendering a scene."""

    memory: float
    seconds: float

    def describe(self) -> str:
        memory = f"{self.memory / 2**30:.1f} GB" if self.memory >= 2**30 else f"{self.memory / 2**20:.0f} MB"
        return f"about {memory} of memory and {self.seconds:.0f} s"


def memory_budget(gigabytes: float | None = None) -> float:
    """Bytes a render may use: `gigabytes`, else $CASCADE_MAX_MEMORY_GB, else 4 GB."""
    return limits.gigabytes(gigabytes, MEMORY_VARIABLE, DEFAULT_MEMORY_GB, "the memory budget", BudgetError, positive=True)


def estimate(scene: Scene, tail: float) -> Cost:
    """Cost of rendering `scene` at its rate; `tail` (s) is what the mix keeps after the last event."""
    rate = scene.sample_rate
    reverb = scene.room.rt60 if scene.room is not None else 0.0
    stems = 0.0
    seconds = 0.0
    for event in scene.events:
        travel = max(p.distance for p in event.path()[1]) / SPEED_OF_SOUND
        length = event.duration + travel + reverb
        stems += length * rate * CHANNELS * BYTES
        kind = "moving" if event.moves else "static"
        seconds += event.duration * (SECONDS_PER_AUDIO_SECOND["generate"] + SECONDS_PER_AUDIO_SECOND[kind])
        seconds += length * SECONDS_PER_AUDIO_SECOND["room"] * (reverb > 0)
    largest = max(e.duration for e in scene.events) + reverb
    mix = (scene.end + tail) * rate * CHANNELS * BYTES
    seconds += (scene.end + tail) * SECONDS_PER_AUDIO_SECOND["mix"]
    seconds *= rate / 44100
    return Cost(stems + WORKING_COPIES * largest * rate * CHANNELS * BYTES + MIX_COPIES * mix, seconds)


def check(scene: Scene, tail: float, budget: float) -> Cost:
    """The estimate; BudgetError when its memory exceeds `budget` bytes."""
    cost = estimate(scene, tail)
    if cost.memory > budget:
        raise BudgetError(f"this scene ({len(scene.events)} events, {scene.end:.0f} s at {scene.sample_rate} Hz"
                          f"{f', a room with RT60 {scene.room.rt60:g} s' if scene.room else ''}) needs {cost.describe()}; "
                          f"the memory budget is {budget / 2**30:g} GB: raise it with --max-memory GB or {MEMORY_VARIABLE}, "
                          "or shorten the scene")
    return cost
