"""The response of a shoebox room to one static source, direct sound excluded: early image sources, then a diffuse tail.

Every image source arriving before the tail's onset is rendered from its own direction through the
renderer's HRIRs (interpolated to the image's direction) and through the exact AmbiX encoder. Its wall and
air absorption per octave band become one minimum-phase filter; its delay (path / c) is a windowed-sinc
fractional delay and its gain reference_distance / path, as for the direct sound. A renderer without an HRIR
set (the learned `nfs`) renders the images through itself, summed per direction of a RENDER_DIRECTIONS-point
lattice: its images come from the nearest lattice direction (within about 20°).

The tail starts at the onset: the mixing time after the direct sound (`Shoebox.mixing_time`), or later
if a first-order reflection is still to come, so it never precedes the first reflection. Its level and
early decay per band are fitted to the energy of the image sources that follow the onset (at least
FIT_IMAGES of them, see `tail_shape`), so the energy of the room's response keeps following the
image-source model across the onset; it then decays with the room's RT60 per band (see `renderers.late_reverb`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cascade.geometry import SPEED_OF_SOUND, to_spherical, unit_vectors, wrap_azimuth
from renderers import Renderer, add_padded, bands, late_reverb
from renderers.diffuse_field import minimum_phase_spectrum
from renderers.hrir import HrirSet, load_hrirs
from renderers.image_sources import Images, image_sources
from renderers.path import SourcePath
from renderers.propagation import FRACTIONAL_TAPS, OFFSETS, delay_taps, distance_gain
from renderers.room import Shoebox

MAX_EARLY_IMAGES = 3000  # image sources rendered one by one; the onset moves earlier if more would arrive before it
FIT_IMAGES = 400  # image sources after the onset that the tail's level is fitted to
MIN_FIT_SECONDS = 0.02
EARLY_DECAY_RANGE = 2.0  # the early decay time stays within this factor of the RT60
ENVELOPE_STEP = 0.002  # s: resolution of the tail's envelope before the knee
FILTER_SECONDS = 0.02  # room for each image's absorption filter, beyond its HRIR and delay taps
IMAGE_BATCH = 256
COINCIDENT = 1e-6  # m: images whose paths differ by less arrive together (mirror-symmetric positions)
RENDER_GUARD_SECONDS = 0.002  # a renderer without HRIRs may place sound this much before the path's delay
RENDER_DIRECTIONS = 32  # a renderer without HRIRs renders the early images from this many directions (about 20° apart)


@dataclass(frozen=True)
class RoomResponse:
    """A room's response to a source, sample 0 = emission: the early part (binaural (2, n), AmbiX (4, n)) float32
    starting at `early_start`, the tail's onset sample and its shape."""

    early_start: int
    early_binaural: np.ndarray
    early_ambix: np.ndarray
    onset: int
    tail: late_reverb.TailShape


def _first_order_reach(room: Shoebox, point: np.ndarray) -> float:
    """Distance (m) from the listener to the farthest of the six first-order images of `point`."""
    farthest = 0.0
    for axis in range(3):
        for wall in (0.0, room.dimensions[axis]):
            image = point.copy()
            image[axis] = 2 * wall - point[axis]
            farthest = max(farthest, float(np.linalg.norm(image - room.listener)))
    return farthest


def _fit_reach(room: Shoebox, reach: float) -> float:
    """Image distance (m) up to which about FIT_IMAGES images lie beyond `reach` (image density 1 / V)."""
    return max(float(np.cbrt(reach**3 + 3 * FIT_IMAGES * room.volume / (4 * np.pi))), reach + MIN_FIT_SECONDS * SPEED_OF_SOUND)


def images_and_onset(room: Shoebox, offset: np.ndarray) -> tuple[Images, Images, float, float]:
    """(early images, images to fit the tail to, onset path (m), end of the fit window (m)) for a source at `offset` (3,) m
    from the listener (x front, y left, z up)."""
    point, extra = room.excitation(offset)
    direct = float(np.linalg.norm(offset))
    onset = max(direct + room.mixing_time() * SPEED_OF_SOUND, extra + _first_order_reach(room, point))
    end = extra + _fit_reach(room, onset - extra)
    found = image_sources(room, point, end, extra)
    early = found.take(found.paths <= onset)
    if len(early) > MAX_EARLY_IMAGES:
        onset = float(found.paths[MAX_EARLY_IMAGES - 1])
        early = found.take(slice(0, MAX_EARLY_IMAGES))
    return early, found.take(found.paths > onset), onset, end


def _absorption_spectra(images: Images, size: int, sample_rate: int, scale: np.ndarray) -> np.ndarray:
    """(k, size // 2 + 1) minimum-phase spectra of each image's band gains times `scale` (k,)."""
    frequencies = np.fft.rfftfreq(size, 1.0 / sample_rate)
    magnitude = np.exp(bands.on_grid(np.log(images.gains), frequencies)) * scale[:, None]
    return minimum_phase_spectrum(magnitude)


def _delay_spectra(images: Images, size: int, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(first sample (k,), spectra (k, size // 2 + 1)) of each image's fractional delay path / c."""
    starts, taps = zip(*(delay_taps(d) for d in images.paths / SPEED_OF_SOUND * sample_rate))
    return np.asarray(starts), np.fft.rfft(np.asarray(taps), size, axis=-1)


def early_response(images: Images, sample_rate: int, renderer: Renderer) -> tuple[int, np.ndarray, np.ndarray]:
    """(first sample, binaural (2, n), AmbiX (4, n)) float32 of the image sources, sample 0 = emission."""
    if len(images) == 0:
        return 0, np.zeros((2, 0), np.float32), np.zeros((4, 0), np.float32)
    hrirs = renderer.hrirs.at_rate(sample_rate) if renderer.hrirs is not None else None
    taps = hrirs.taps if hrirs is not None else 0
    size = 1 << int(np.ceil(np.log2(taps + FRACTIONAL_TAPS + FILTER_SECONDS * sample_rate)))
    azimuth, elevation, _ = to_spherical(images.offsets)
    directions = images.offsets / np.linalg.norm(images.offsets, axis=1, keepdims=True)
    encoding = np.concatenate([np.ones((len(images), 1)), directions[:, [1, 2, 0]]], axis=1)
    first = int(np.floor(images.paths[0] / SPEED_OF_SOUND * sample_rate)) + int(OFFSETS[0])
    if hrirs is None:
        first = max(first - int(RENDER_GUARD_SECONDS * sample_rate), 0)
    last = int(np.ceil(images.paths[-1] / SPEED_OF_SOUND * sample_rate)) + size
    ambix = np.zeros((4, last - first), dtype=np.float64)
    binaural = np.zeros((2, last - first), dtype=np.float64)
    grid = unit_vectors(*fibonacci_directions(RENDER_DIRECTIONS))
    cluster = np.argmax(directions @ grid.T, axis=1)
    pressures = np.zeros((RENDER_DIRECTIONS if hrirs is None else 0, last - first))
    for lo in range(0, len(images), IMAGE_BATCH):
        batch = images.take(slice(lo, lo + IMAGE_BATCH))
        starts, delays = _delay_spectra(batch, size, sample_rate)
        absorption = _absorption_spectra(batch, size, sample_rate, renderer.reference_distance / batch.paths)
        pressure = np.fft.irfft(absorption * delays, size, axis=-1)
        if hrirs is not None:
            pairs = np.fft.rfft(hrirs.interpolate(azimuth[lo : lo + IMAGE_BATCH], elevation[lo : lo + IMAGE_BATCH]), size, axis=-1)
            ears = np.fft.irfft(pairs * (absorption * delays)[:, None, :], size, axis=-1)
        for k, start in enumerate(starts - first):
            ambix[:, start : start + size] += encoding[lo + k, :, None] * pressure[k]
            if hrirs is not None:
                binaural[:, start : start + size] += ears[k]
            else:
                pressures[cluster[lo + k], start : start + size] += pressure[k]
    if hrirs is None:
        binaural = _render_directions(pressures, grid, images.paths, cluster, first, sample_rate, renderer)
        width = max(binaural.shape[-1], ambix.shape[-1])
        binaural, ambix = (np.pad(x, ((0, 0), (0, width - x.shape[-1]))) for x in (binaural, ambix))
    return first, binaural.astype(np.float32), ambix.astype(np.float32)


def fibonacci_directions(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Azimuths and elevations (degrees) of `count` directions spread evenly over the sphere (a Fibonacci lattice)."""
    index = np.arange(count) + 0.5
    return wrap_azimuth(np.degrees(np.pi * (1 + 5**0.5) * index)), np.degrees(np.arcsin(1 - 2 * index / count))


def _render_directions(pressures: np.ndarray, grid: np.ndarray, paths: np.ndarray, cluster: np.ndarray, first: int,
                       sample_rate: int, renderer: Renderer) -> np.ndarray:
    """(2, n) binaural from sample `first` on of the image pressures summed per direction of `grid` (k, 3), each sum
    rendered by `renderer` once, from that direction: one render per direction however many images it holds.

    Each sum is advanced to its earliest image (less the interpolation taps) and rendered at that distance, so the
    renderer adds that whole-sample delay and its distance gain back.
    """
    azimuth, elevation, _ = to_spherical(grid)
    parts = []
    for index in np.unique(cluster):
        delay = max(int(np.floor(paths[cluster == index].min() / SPEED_OF_SOUND * sample_rate)) - FRACTIONAL_TAPS, 1)
        distance = delay * SPEED_OF_SOUND / sample_rate
        mono = pressures[index, delay - first :] / distance_gain(distance, renderer.reference_distance)
        path = SourcePath.static(azimuth[index], elevation[index], distance)
        parts.append(renderer.render(mono.astype(np.float32), sample_rate, path)[:, first:])
    return add_padded(parts).astype(np.float64)


def tail_shape(images: Images, onset: float, end: float, rt60: np.ndarray, sample_rate: int, reference_distance: float) -> late_reverb.TailShape:
    """The tail that carries the energy of `images` (between the paths `onset` and `end`, m) on, per band.

    Until the knee at `end` it has the images' energy and energy-weighted mean arrival time (an exponential
    matched to both moments; its decay time kept within a factor EARLY_DECAY_RANGE of the RT60), after it
    the room's `rt60`. Where absorption sits on a few surfaces the image model decays unlike Eyring's
    formula early on; the tail follows it there, then the RT60. Before the knee its broadband envelope also
    follows the images' energy in ENVELOPE_STEP bins (smoothed over three), as a rendering of every image would.

    Images whose paths agree within COINCIDENT arrive together and add in pressure (in a room with source
    and listener at the same height, floor and ceiling images pair up exactly): their energy is that of their sum.
    """
    amplitudes = images.gains * (reference_distance / images.paths)[:, None]
    together = np.concatenate([[0], np.cumsum(np.diff(images.paths) > COINCIDENT)]) if len(images) else np.zeros(0, int)
    summed = np.zeros((together[-1] + 1 if together.size else 0, amplitudes.shape[1]))
    np.add.at(summed, together, amplitudes)
    times = np.zeros(summed.shape[0])
    np.maximum.at(times, together, (images.paths - onset) / SPEED_OF_SOUND)
    energy = np.sum(summed**2, axis=0)
    span = (end - onset) / SPEED_OF_SOUND
    mean_time = (times @ summed**2) / np.maximum(energy, 1e-300)
    early = np.array([_matching_decay(span, t, r) if e > 0 else r for t, r, e in zip(mean_time, rt60, energy)])
    rate = late_reverb.DECAY / early
    levels = energy / (sample_rate * (1 - np.exp(-rate * span)) / rate)
    bins = np.arange(max(int(np.ceil(span / ENVELOPE_STEP)), 1) + 1) * ENVELOPE_STEP
    weights = _broadband_weights(sample_rate)
    found = np.histogram(times, bins, weights=summed**2 @ weights)[0]
    model = sample_rate * ENVELOPE_STEP * (late_reverb.TailShape(levels, early, span, rt60).energy_decay(bins[:-1] + ENVELOPE_STEP / 2)
                                           @ (levels * weights))
    smooth = np.array([0.25, 0.5, 0.25])
    ratio = np.convolve(found, smooth, "same") / np.maximum(np.convolve(model, smooth, "same"), 1e-300)
    return late_reverb.TailShape(levels, early, span, rt60, np.clip(ratio, 0.1, 10.0), ENVELOPE_STEP)


def _broadband_weights(sample_rate: int) -> np.ndarray:
    """Share of each octave band (bands.CENTRES, the lowest from 0 Hz, the highest to the Nyquist frequency) in white noise."""
    edges = np.concatenate([[0.0], bands.CENTRES[:-1] * np.sqrt(2), [sample_rate / 2]])
    widths = np.maximum(np.diff(np.minimum(edges, sample_rate / 2)), 0.0)
    return widths / widths.sum()


def _matching_decay(span: float, mean_time: float, rt60: float) -> float:
    """The decay time (s) of an exponential over [0, span] s whose energy-weighted mean time is `mean_time`,
    within a factor EARLY_DECAY_RANGE of `rt60` (by bisection: the mean time grows with the decay time)."""
    low, high = rt60 / EARLY_DECAY_RANGE, rt60 * EARLY_DECAY_RANGE
    for _ in range(40):
        middle = np.sqrt(low * high)
        rate = late_reverb.DECAY / middle
        mean = 1 / rate - span / np.expm1(rate * span)
        low, high = (middle, high) if mean < mean_time else (low, middle)
    return float(np.sqrt(low * high))


def room_response(room: Shoebox, offset: np.ndarray, sample_rate: int, renderer: Renderer) -> RoomResponse:
    """The early part and the tail's onset and shape for a static source at `offset` (3,) m from the listener."""
    early, later, onset, end = images_and_onset(room, offset)
    start, binaural, ambix = early_response(early, sample_rate, renderer)
    shape = tail_shape(later, onset, end, room.rt60(), sample_rate, renderer.reference_distance)
    return RoomResponse(start, binaural, ambix, int(np.ceil(onset / SPEED_OF_SOUND * sample_rate)), shape)


def tail_length(shape: late_reverb.TailShape, sample_rate: int) -> int:
    """Samples of a tail that lasts until its slowest band has decayed by 60 dB."""
    seconds = shape.knee + np.max(shape.rt60 * (1 - shape.knee / shape.early_rt60))
    return int(np.ceil(max(seconds, shape.knee) * sample_rate))


def tail_head(renderer: Renderer) -> HrirSet:
    """The head whose diffuse-field statistics shape a renderer's binaural tail: its own HRIRs, else MIT KEMAR (equalised)."""
    return renderer.hrirs if renderer.hrirs is not None else load_hrirs()
