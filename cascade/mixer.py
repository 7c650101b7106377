"""Place spatial stems by start time, then bring each output (binaural, AmbiX) to a loudness target without clipping."""

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
class Level:
    """What the mixer did to one output's level: loudness before/after (LUFS), gain (dB), peak after (dBFS)."""

    loudness_before: float
    loudness_after: float
    gain_db: float
    peak_dbfs: float
    peak_limited: bool


@dataclass(frozen=True)
class MixReport:
    """The loudness target (LUFS) and what the mixer did to the binaural and the AmbiX output."""

    target_lufs: float
    binaural: Level
    ambix: Level

    @property
    def peak_limited(self) -> bool:
        """Whether either output was held under the target to keep its peak below PEAK_CEILING."""
        return self.binaural.peak_limited or self.ambix.peak_limited

    def describe(self) -> str:
        parts = []
        for name, level in (("binaural", self.binaural), ("AmbiX", self.ambix)):
            if not np.isfinite(level.loudness_before):
                parts.append(f"{name}: silent, no gain applied")
                continue
            text = (f"{name}: loudness {level.loudness_before:.1f} -> {level.loudness_after:.1f} LUFS (gain {level.gain_db:+.1f} dB), "
                    f"peak {level.peak_dbfs:.1f} dBFS")
            if level.peak_limited:
                text += (f", held {self.target_lufs - level.loudness_after:.1f} dB under the {self.target_lufs:.1f} LUFS target "
                         f"to stay below {PEAK_CEILING:.0f} dBFS peak")
            parts.append(text)
        return "; ".join(parts)


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


def ambix_loudness(foa: np.ndarray, sample_rate: int) -> float:
    """Loudness (LUFS) of an AmbiX signal: BS.1770 of its W channel heard by both ears, as a diffuse-field
    equalised binaural decode of it would be (ear power equal to W power on average over directions)."""
    return integrated_loudness(np.stack([foa[0], foa[0]]), sample_rate)


def level(audio: np.ndarray, loudness: float, target_lufs: float, ceiling_dbfs: float) -> tuple[np.ndarray, Level]:
    """float32 `audio` with the gain that brings `loudness` (LUFS) to `target_lufs`, lowered if its peak would pass the
    ceiling (a float32 input is scaled in place)."""
    peak = float(np.max(np.abs(audio), initial=0.0))
    audio = audio.astype(np.float32, copy=False)
    if not np.isfinite(loudness) or peak == 0.0:
        return audio, Level(loudness, loudness, 0.0, -np.inf if peak == 0 else 20 * np.log10(peak), False)
    gain_db = min(target_lufs - loudness, ceiling_dbfs - 20.0 * np.log10(peak))
    audio *= np.float32(10.0 ** (gain_db / 20.0))
    return audio, Level(loudness, loudness + gain_db, gain_db, 20.0 * np.log10(peak) + gain_db, gain_db < target_lufs - loudness)


def normalise(binaural: np.ndarray, foa: np.ndarray, sample_rate: int, target_lufs: float = DEFAULT_LOUDNESS,
              ceiling_dbfs: float = PEAK_CEILING) -> tuple[np.ndarray, np.ndarray, MixReport]:
    """Each output to `target_lufs` by its own gain, lowered where its peak would pass the ceiling: the binaural by its
    BS.1770 loudness, the AmbiX by `ambix_loudness`, so the AmbiX file does not depend on the binaural renderer."""
    binaural, binaural_level = level(binaural, integrated_loudness(binaural, sample_rate), target_lufs, ceiling_dbfs)
    foa, foa_level = level(foa, ambix_loudness(foa, sample_rate), target_lufs, ceiling_dbfs)
    return binaural, foa, MixReport(target_lufs, binaural_level, foa_level)


def mix(stems: list[Stem], sample_rate: int, length: int, target_lufs: float = DEFAULT_LOUDNESS) -> tuple[np.ndarray, np.ndarray, MixReport]:
    """Place the stems and normalise: (binaural (2, length), AmbiX (4, length), report)."""
    for stem in stems:
        if not (np.isfinite(stem.binaural).all() and np.isfinite(stem.foa).all()):
            raise SceneError(f"event '{stem.event_id}' produced audio that is not finite; its clip or backend is broken")
    binaural, foa = place(stems, sample_rate, length)
    return normalise(binaural, foa, sample_rate, target_lufs)
