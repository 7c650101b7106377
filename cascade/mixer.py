"""Level each event's clip for its role and distance, place spatial stems by start time, then bring each output
(binaural, AmbiX) to a loudness target without clipping.

In the designed mix (`cascade.scene.Mix`) a clip is first brought to the loudness of its role, then scaled by
the distance model along its path: the renderers apply plain 1/r from their reference distance, so the clip is
multiplied, at each instant of emission, by the model's gain over that 1/r gain. The direct sound then follows
the model exactly, and a room hears a source that much louder or softer. A diffuse bed surrounds the listener and
keeps its role's level at any distance. The physical mix leaves clips as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cascade.audio import integrated_loudness, k_weighting
from cascade.dsp import convolve
from cascade.errors import SceneError
from cascade.limits import DEFAULT_LOUDNESS, PEAK_CEILING
from cascade.scene import DistanceModel, Mix, SoundEvent
from renderers.path import SourcePath
from renderers.propagation import distance_gain

GAIN_STEP = 0.001  # s between the points where a moving clip's distance gain is computed (linear in between)
ROLE_GAIN_LIMIT = 40.0  # dB: a clip far from its role's loudness (near silence, say) is raised or lowered at most this much


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
    """The loudness target (LUFS), what the mixer did to the binaural and the AmbiX output, and each event's resulting
    loudness (LUFS of its binaural stem in the mix, by event id)."""

    target_lufs: float
    binaural: Level
    ambix: Level
    events: dict[str, float] = field(default_factory=dict)

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
        if self.events:
            parts.append("events: " + ", ".join(f"{name} {value:.1f}" for name, value in self.events.items()) + " LUFS")
        return "; ".join(parts)


def attenuation(distance: np.ndarray | float, model: DistanceModel) -> np.ndarray:
    """Amplitude gain of `model` at `distance` (m), the distance clamped to [reference_distance, max_distance] first."""
    ref, rolloff = model.reference_distance, model.rolloff
    d = np.clip(np.asarray(distance, dtype=np.float64), ref, model.max_distance)
    if model.model == "inverse":
        return ref / (ref + rolloff * (d - ref))
    if model.model == "linear":
        return 1.0 - rolloff * (d - ref) / (model.max_distance - ref)
    return (d / ref) ** -rolloff


def clip_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Loudness (LUFS) of (channels, n) or mono audio: BS.1770 integrated loudness, or for audio shorter than one
    400 ms block its K-weighted mean power over its whole length; -inf for silence."""
    audio = np.atleast_2d(np.asarray(audio, dtype=np.float64))
    loudness = integrated_loudness(audio, sample_rate)
    if np.isfinite(loudness) or audio.shape[-1] >= int(round(0.4 * sample_rate)):
        return loudness
    power = float(np.sum(convolve(audio, k_weighting(sample_rate)) ** 2)) / max(audio.shape[-1], 1)
    return -0.691 + 10 * np.log10(power) if power > 0 else float("-inf")


def level_clip(mono: np.ndarray, sample_rate: int, event: SoundEvent, mix: Mix, path: SourcePath,
               reference_distance: float) -> np.ndarray:
    """float32 `mono` levelled for `event` as `mix` says (see the module's docstring), to be rendered along `path` by a
    renderer whose 1/r gain is 1 at `reference_distance` (m)."""
    mono = np.asarray(mono, dtype=np.float32)
    if mix.mode == "physical":
        return mono
    loudness = clip_loudness(mono, sample_rate)
    target = mix.foreground_lufs + (mix.bed_offset_db if event.mix_role == "bed" else 0.0)
    role = 10.0 ** (np.clip(target - loudness, -ROLE_GAIN_LIMIT, ROLE_GAIN_LIMIT) / 20.0) if np.isfinite(loudness) else 1.0
    model = event.distance_model or mix.distance
    if not path.moves:
        d = float(path.distance[0])
        fall = 1.0 if event.diffuse else attenuation(d, model)
        return mono * np.float32(role * fall / distance_gain(d, reference_distance))
    grid = np.arange(0.0, mono.size / sample_rate + GAIN_STEP, GAIN_STEP)
    distance = path.at(grid)[2]
    gain = role * attenuation(distance, model) / distance_gain(distance, reference_distance)
    return mono * np.interp(np.arange(mono.size) / sample_rate, grid, gain).astype(np.float32)


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
    """Place the stems and normalise: (binaural (2, length), AmbiX (4, length), report with each stem's loudness)."""
    for stem in stems:
        if not (np.isfinite(stem.binaural).all() and np.isfinite(stem.foa).all()):
            raise SceneError(f"event '{stem.event_id}' produced audio that is not finite; its clip or backend is broken")
    binaural, foa = place(stems, sample_rate, length)
    binaural, foa, report = normalise(binaural, foa, sample_rate, target_lufs)
    events = {}
    for stem in stems:
        gain = 10.0 ** ((stem.gain_db + report.binaural.gain_db) / 20.0)
        offset = int(round(stem.start * sample_rate))
        events[stem.event_id] = clip_loudness(gain * stem.binaural[:, : max(length - offset, 0)], sample_rate)
    return binaural, foa, MixReport(report.target_lufs, report.binaural, report.ambix, events)
