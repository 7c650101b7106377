"""One source in a space: the direct sound, a room's reflections and tail, in binaural and AmbiX.

Numbers and arrays in, arrays out: a renderer, a path and an optional shoebox room, never a scene.

The direct sound is the renderer's (moving sources with Doppler). A room adds its response
(`renderers.room_response`): for a static source early response and tail in one kernel, applied by one
convolution. For a moving source the room responds from points along the path POINT_METRES apart
(between MIN_POINT_SECONDS and MAX_POINT_SECONDS apart in time, MAX_POINTS at most); the input is split by triangular
crossfades centred on those points, each piece goes through the early response of its point, and every
piece, delayed to its point's tail onset and scaled to its level, feeds one tail: reflections follow
the source in steps without Doppler, the direct sound follows it exactly.
"""

from __future__ import annotations

import numpy as np

from cascade.dsp import convolve
from cascade.geometry import to_cartesian
from cascade.seeds import stream
from renderers import Renderer, add_padded, foa, late_reverb
from renderers.path import SourcePath
from renderers.room import Shoebox
from renderers.room_response import room_response, tail_head, tail_length

POINT_METRES = 1.0
MIN_POINT_SECONDS = 0.1
MAX_POINT_SECONDS = 0.5
MAX_POINTS = 64


def spatialise(mono: np.ndarray, sample_rate: int, path: SourcePath, renderer: Renderer,
               room: Shoebox | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(binaural (2, n), AmbiX (4, n)) float32 of `mono` along `path` (relative to the listener), in `room` when given.

    `seed` drives the room's late-reverberation noise, through its own random stream.
    """
    mono = np.asarray(mono, dtype=np.float32).reshape(-1)
    binaural = renderer.render(mono, sample_rate, path)
    ambix = foa.encode(mono, sample_rate, path, renderer.reference_distance)
    if room is None:
        return binaural, ambix
    wet = reverberate(mono, sample_rate, path, renderer, room, stream(seed, "room-tail"))
    return add_padded([binaural, wet[:2]]), add_padded([ambix, wet[2:]])


def room_points(path: SourcePath, seconds: float) -> np.ndarray:
    """Emission times (s) at which the room responds to `path` over `seconds`: 0 alone for a source that does not move."""
    span = min(float(path.times[-1]), seconds)
    if not path.moves or span <= 0:
        return np.zeros(1)
    keys = to_cartesian(path.azimuth, path.elevation, path.distance)
    speed = np.max(np.linalg.norm(np.diff(keys, axis=0), axis=1) / np.diff(path.times))
    spacing = np.clip(POINT_METRES / max(speed, 1e-9), MIN_POINT_SECONDS, MAX_POINT_SECONDS)
    return np.linspace(0.0, span, min(int(np.ceil(span / spacing)) + 1, MAX_POINTS))


def reverberate(mono: np.ndarray, sample_rate: int, path: SourcePath, renderer: Renderer, room: Shoebox,
                rng: np.random.Generator) -> np.ndarray:
    """(6, n) float32 room response to `mono` along `path`: binaural rows 0-1, AmbiX rows 2-5; sample 0 = emission."""
    times = room_points(path, mono.size / sample_rate)
    responses = [room_response(room, to_cartesian(*path.at(t)), sample_rate, renderer) for t in times]
    reference = min(responses, key=lambda r: r.onset)
    tail = np.concatenate(late_reverb.diffuse_tail(reference.tail, tail_length(reference.tail, sample_rate), sample_rate,
                                                   tail_head(renderer).at_rate(sample_rate), rng))
    if times.size == 1:
        start = min(reference.early_start, reference.onset)
        kernel = np.zeros((6, reference.onset - start + tail.shape[-1]), dtype=np.float32)
        _add(kernel, reference.early_start - start, np.concatenate([reference.early_binaural, reference.early_ambix]))
        _add(kernel, reference.onset - start, tail)
        return _assemble([(start, convolve(mono[None, :], kernel))])
    level = float(np.mean(reference.tail.levels))
    shifts = [r.onset - reference.onset for r in responses]
    tail_input = np.zeros(mono.size + max(shifts), dtype=np.float32)
    pieces = []
    for index, (response, shift) in enumerate(zip(responses, shifts)):
        lo = int(np.ceil(times[max(index - 1, 0)] * sample_rate))
        hi = mono.size if index == times.size - 1 else min(int(np.ceil(times[index + 1] * sample_rate)), mono.size)
        if hi <= lo:
            continue
        weight = np.interp(np.arange(lo, hi) / sample_rate, times, np.eye(times.size)[index]).astype(np.float32)
        segment = mono[lo:hi] * weight
        early = np.concatenate([response.early_binaural, response.early_ambix])
        if early.shape[-1]:
            pieces.append((lo + response.early_start, convolve(segment[None, :], early)))
        tail_input[lo + shift : hi + shift] += segment * np.float32(np.sqrt(np.mean(response.tail.levels) / level) if level > 0 else 0.0)
    pieces.append((reference.onset, convolve(tail_input[None, :], tail)))
    return _assemble(pieces)


def _add(target: np.ndarray, start: int, piece: np.ndarray) -> None:
    """Add `piece` (..., n) into `target` from sample `start` on, cut at target's end."""
    end = min(start + piece.shape[-1], target.shape[-1])
    target[..., start:end] += piece[..., : end - start]


def _assemble(pieces: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """(6, n) float32 sum of (start sample, (6, m) array) pieces."""
    out = np.zeros((6, max(start + piece.shape[-1] for start, piece in pieces)), dtype=np.float32)
    for start, piece in pieces:
        _add(out, start, piece)
    return out
