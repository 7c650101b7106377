"""Place spatial stems by start time, then bring the mix to a loudness target without clipping."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cascade.audio import integrated_loudness
from cascade.errors import SceneError
from cascade.limits import DEFAULT_LOUDNESS, PEAK_CEILING


@dataclass(frozen=True)
class Stem:
    """One event's spatial audio: binaural (2, n) and AmbiX (4, n), starting `start` seconds into the scene."""

    event_id: str
    start: float
    binaural: np.ndarray
    foa: np.ndarray
    gain_db: float = 0.0


@dataclass(frozen=True)
class MixReport:
    """What the mixer did to the level: loudness before/after (LUFS), gain (dB), peak (dBFS)."""

    target_lufs: float
    loudness_before: float
    loudness_after: float
    gain_db: float
    peak_dbfs: float
    peak_limited: bool

    def describe(self) -> str:
        if not np.isfinite(self.loudness_before):
            return "the mix is silent; no gain applied"
        text = f"loudness {self.loudness_before:.1f} -> {self.loudness_after:.1f} LUFS (gain {self.gain_db:+.1f} dB), peak {self.peak_dbfs:.1f} dBFS"
        if self.peak_limited:
            text += f"; held {self.target_lufs - self.loudness_after:.1f} dB under the {self.target_lufs:.1f} LUFS target to stay below {PEAK_CEILING:.0f} dBFS peak"
        return text


def place(stems: list[Stem], sample_rate: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum stems into (2, length) binaural and (4, length) AmbiX buffers, each at round(start · rate)."""
    binaural = np.zeros((2, length), dtype=np.float32)
    foa = np.zeros((4, length), dtype=np.float32)
    for stem in stems:
        offset = int(round(stem.start * sample_rate))
        if offset >= length:
            continue
        gain = 10.0 ** (stem.gain_db / 20.0)
        for bus, audio in ((binaural, stem.binaural), (foa, stem.foa)):
            take = min(audio.shape[-1], length - offset)
            bus[:, offset:offset + take] += gain * audio[:, :take]
    return binaural, foa


def normalise(binaural: np.ndarray, foa: np.ndarray, sample_rate: int, target_lufs: float = DEFAULT_LOUDNESS,
              ceiling_dbfs: float = PEAK_CEILING) -> tuple[np.ndarray, np.ndarray, MixReport]:
    """One gain for both outputs: the binaural mix to `target_lufs`, lowered if a peak would pass the ceiling.
    float32 inputs are scaled in place."""
    before = integrated_loudness(binaural, sample_rate)
    peak = max(float(np.max(np.abs(binaural), initial=0.0)), float(np.max(np.abs(foa), initial=0.0)))
    binaural, foa = binaural.astype(np.float32, copy=False), foa.astype(np.float32, copy=False)
    if not np.isfinite(before) or peak == 0.0:
        report = MixReport(target_lufs, before, before, 0.0, -np.inf if peak == 0 else 20 * np.log10(peak), False)
        return binaural, foa, report
    gain_db = target_lufs - before
    headroom_db = ceiling_dbfs - 20.0 * np.log10(peak)
    limited = gain_db > headroom_db
    gain_db = min(gain_db, headroom_db)
    gain = 10.0 ** (gain_db / 20.0)
    report = MixReport(target_lufs, before, before + gain_db, gain_db, 20.0 * np.log10(peak * gain), limited)
    binaural *= np.float32(gain)  # in place: a 10-minute scene at 48 kHz keeps one copy of its buffers
    foa *= np.float32(gain)
    return binaural, foa, report


def mix(stems: list[Stem], sample_rate: int, length: int, target_lufs: float = DEFAULT_LOUDNESS) -> tuple[np.ndarray, np.ndarray, MixReport]:
    """Place the stems and normalise: (binaural (2, length), AmbiX (4, length), report)."""
    for stem in stems:
        if not (np.isfinite(stem.binaural).all() and np.isfinite(stem.foa).all()):
            raise SceneError(f"event '{stem.event_id}' produced audio that is not finite; its clip or backend is broken")
    binaural, foa = place(stems, sample_rate, length)
    return normalise(binaural, foa, sample_rate, target_lufs)
