"""An ambience bed's level: set after rendering, from what the events and the bed measure, so that the bed's loudness
sits `level_db` from the events' (both BS.1770 of their binaural stems, placed as in the mix).

The bed's event in the resolved scene gets that gain, so the scene file re-renders to the same samples.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from cascade.audio import integrated_loudness
from cascade.limits import DEFAULT_LOUDNESS
from cascade.mixer import mix, place
from cascade.result import RenderResult

GAIN_RANGE = (-60.0, 24.0)  # dB a scene event's gain may take


def bed_gain(result: RenderResult, bed_id: str, level_db: float) -> float:
    """dB to give the stem `bed_id` so that its loudness is `level_db` re the other stems' together (0 when either is silent)."""
    rate, length = result.sample_rate, result.binaural.shape[-1]
    events = [s for s in result.stems if s.event_id != bed_id]
    bed = [dataclasses.replace(s, gain_db=0.0) for s in result.stems if s.event_id == bed_id]
    events_lufs = integrated_loudness(place(events, rate, length)[0], rate)
    bed_lufs = integrated_loudness(place(bed, rate, length)[0], rate)
    if not (math.isfinite(events_lufs) and math.isfinite(bed_lufs)):
        return 0.0
    return round(float(np.clip(events_lufs + level_db - bed_lufs, *GAIN_RANGE)), 2)


def with_bed_level(result: RenderResult, bed_id: str, level_db: float) -> RenderResult:
    """`result` remixed with the bed `bed_id` at `level_db` re the events; its scene records the bed's gain."""
    gain = bed_gain(result, bed_id, level_db)
    stems = [dataclasses.replace(s, gain_db=gain) if s.event_id == bed_id else s for s in result.stems]
    scene = result.scene
    target = scene.render.loudness if scene.render else DEFAULT_LOUDNESS
    binaural, foa, report = mix(stems, result.sample_rate, result.binaural.shape[-1], target)
    events = [e.model_copy(update={"gain_db": gain}) if e.id == bed_id else e for e in scene.events]
    return dataclasses.replace(result, binaural=binaural, foa=foa, scene=scene.model_copy(update={"events": events}), stems=stems,
                               mix_report=report)
