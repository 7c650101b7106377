"""The comparison's per-event timing and level judgements and its prompt-following figures.

Timing, on the W channel of an event's own stem placed on the scene's timeline:
- judged: only events planned to start at least LEAD_IN_S into the scene (a sound can be heard to begin only
  after a quiet lead-in);
- stationary: the mean power before the planned start (up to GUARD_S before it) comes within QUIET_DB of the mean
  power inside the planned window: the output does not begin, it is always there;
- detected: judged, not stationary and `benchmarks.onsets.onset` finds a sound; the onset error is taken over the
  detected events only (an output without an onset has no onset error, it counts against the share).

Level: L, the event's W power in dB over its planned window (its stem at the level the path mixed it), against
its planned gain g (dB). The level error is mean |(L - g) - median(L - g)| over the events: how far each event's
level is from following its gain, a common offset taken out (the mix is levelled to a loudness target anyway).

Prompts, on the tagger's embeddings of the outputs (cosine similarity), with each event's class its label:
- prompt matching: the share of outputs whose nearest class (highest mean similarity to that class's other
  outputs in the set) is their own, strictly (a tie is a miss), over the outputs whose class has another output in the set; `chance` is the
  mean of 1 / (classes they were compared with);
- similarity across prompts: the mean similarity between outputs of different classes (a model that ignores its
  prompt makes outputs that all sound alike: this goes to 1), beside the mean within a class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.onsets import onset

LEAD_IN_S = 0.25
GUARD_S = 0.05
QUIET_DB = 10.0


def _power_db(signal: np.ndarray) -> float:
    return 10.0 * float(np.log10(np.mean(np.asarray(signal, np.float64) ** 2) + 1e-20)) if signal.size else float("nan")


def timing(w: np.ndarray, sample_rate: int, start: float, end: float) -> dict:
    """'judged', 'stationary' (None when not judged), 'detected' and 'onset_error_s' (NaN unless detected) of one
    event's W channel `w` (the whole scene) planned for [start, end] seconds."""
    judged = start >= LEAD_IN_S
    a, b = int(round(start * sample_rate)), int(round(end * sample_rate))
    stationary = None
    if judged:
        before = _power_db(w[: int(round((start - GUARD_S) * sample_rate))])
        inside = _power_db(w[a:b])
        stationary = bool(before >= inside - QUIET_DB)
    found = onset(w, sample_rate)
    detected = bool(judged and not stationary and np.isfinite(found))
    return {"judged": judged, "stationary": stationary, "detected": detected, "onset_error_s": found - start if detected else float("nan")}


def level_db(w: np.ndarray, sample_rate: int, start: float, end: float) -> float:
    """W power (dB re full scale) of an event over its planned window [start, end] seconds."""
    return _power_db(w[int(round(start * sample_rate)) : int(round(end * sample_rate))])


def level_error(levels: Sequence[float], gains: Sequence[float]) -> float:
    """Mean |(L - g) - median(L - g)| in dB over the events with a finite level (see the module docstring)."""
    offsets = np.asarray(levels, np.float64) - np.asarray(gains, np.float64)
    offsets = offsets[np.isfinite(offsets)]
    return float(np.mean(np.abs(offsets - np.median(offsets)))) if offsets.size else float("nan")


def _cosines(embeddings: np.ndarray) -> np.ndarray:
    unit = np.asarray(embeddings, np.float64)
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    return unit @ unit.T


def prompt_matching(embeddings: np.ndarray, classes: Sequence[str]) -> dict:
    """'share' of outputs nearest their own class, over 'scored' outputs, and the 'chance' share (module docstring)."""
    labels = np.asarray(classes)
    similarity = _cosines(embeddings)
    names = sorted(set(labels.tolist()))
    hits, chance = [], []
    for i, own in enumerate(labels):
        means = {}
        for name in names:
            others = np.flatnonzero((labels == name) & (np.arange(labels.size) != i))
            if others.size:
                means[name] = float(similarity[i, others].mean())
        if own not in means or len(means) < 2:
            continue
        hits.append(means.pop(own) > max(means.values()))
        chance.append(1.0 / (len(means) + 1))
    if not hits:
        return {"share": float("nan"), "scored": 0, "chance": float("nan")}
    return {"share": float(np.mean(hits)), "scored": len(hits), "chance": float(np.mean(chance))}


def prompt_similarity(embeddings: np.ndarray, classes: Sequence[str]) -> dict:
    """Mean cosine similarity between outputs of different classes ('across') and of the same class ('within')."""
    labels = np.asarray(classes)
    similarity = _cosines(embeddings)
    same = labels[:, None] == labels[None, :]
    off = np.eye(labels.size) == 0
    across, within = similarity[~same], similarity[same & off]
    return {"across": float(across.mean()) if across.size else float("nan"), "within": float(within.mean()) if within.size else float("nan")}
