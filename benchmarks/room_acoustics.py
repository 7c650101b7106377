"""Rooms and binaural calibration, measured with independent tools (issue 11).

    python -m benchmarks.room_acoustics [--json PATH] [--png PATH] [--quick]

Every check measures rendered audio with code of its own (scipy filters, its own Schroeder integral,
IACC, spherical Voronoi weights) or with pyroomacoustics as the reference simulator (`pip install -e ".[bench]"`):

- rooms: an impulse through `renderers.spatialise` (hrtf renderer, MIT KEMAR) in five shoeboxes from a
  2 x 2.5 x 2.4 m bathroom to a 20 x 30 x 10 m hall, listener off-centre, source above or below ear level (and the
  6 x 8 x 3 m room at 0.6 s with the listener at its centre, the source 2 m ahead).
  RT60: T30 of Schroeder's integral of W (the energy of eight tails, noise seeds, summed), octave bands
  250 Hz-4 kHz (6th-order Butterworth) against the
  room's RT60 per band, and "broadband" over 88 Hz-5.6 kHz (the 125 Hz-4 kHz octaves) against the requested
  RT60 (a white impulse's energy sits mostly above 5 kHz, where air absorption rules in large rooms); for the
  room with materials, whose RT60 differs by band on purpose, the 500 Hz-1 kHz mean its rt60 stands for.
  Beside them, T30 of the unfiltered W: a white impulse puts half its energy above 11 kHz, where air absorption
  (20 °C, 50 % RH) lets no room ring longer than 0.48 s in the 16 kHz band, so it falls short of RT60s above that.
  `--rooms-only` measures these alone (no pyroomacoustics, IACC, calibration, loudness or speed).
  Early energy: W's energy in 10 ms windows from the direct sound to 80 ms after it, re the direct sound,
  against pyroomacoustics' image-source model of the same room (same absorption per band and wall, same air
  absorption coefficients), both low-passed at 16 kHz where their interpolation filters differ, both re the
  direct sound without air absorption (the renderer's direct path has none); windows that hold no image
  source of pyroomacoustics' model are left out (what either holds there is filter ringing). Energy
  before the direct sound.
  IACC per octave band of the binaural tail (from 20 ms after its onset until it has decayed 30 dB):
  peak |normalised cross-correlation| within ±1 ms of eight tails (noise seeds) together, against the IACC of
  the HRTF set's own diffuse field (the solid-angle-weighted cross-spectrum of its two ears, computed here,
  through the same band filter).
- causality in the issue's two cases: a click 16 m ahead in a 6 x 8 x 3 m room, thunder 25 m away from a
  2.4 x 2.0 x 2.5 m bathroom.
- diffuse-field average: noise from 200 directions spread evenly over the sphere (not the measured grid)
  through the hrtf renderer, binaural power over W power per third octave, 100 Hz-12 kHz at 44.1 kHz, and the
  100 Hz-7 kHz level at 16, 44.1 and 48 kHz; the foa renderer's diffuse field against the hrtf renderer's.
- fractional delay: magnitude response of the static delay for 20 fractions, worst deviation up to 16 kHz,
  and the level of white noise over a one-sample sweep of distance.
- DC of every procedural class (|mean| / RMS); near-field ITD and ILD at 90°.
- loudness: scenes through the pipeline, binaural loudness and AmbiX loudness (BS.1770 of W heard by both
  ears) measured with pyloudnorm, against the -20 LUFS target; the AmbiX file of one scene per renderer.
- speed: a 10 s source in the hall (RT60 2 s), 44.1 kHz, static (first call in the process, median of 5) and
  moving; a 2 s source in the living room through nfs (one torch thread).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import butter, sosfilt, sosfiltfilt, sosfreqz

from benchmarks.timing import machine
from cascade.geometry import SPEED_OF_SOUND, to_cartesian, unit_vectors
from cascade.metrics import ild, itd
from renderers.bands import CENTRES
from renderers.foa import FoaBinauralRenderer, encode
from renderers.hrtf import HrtfRenderer
from renderers.path import SourcePath
from renderers.propagation import propagate
from renderers.room import AIR, Shoebox
from renderers.room_response import images_and_onset
from renderers.spatialise import reverberate, spatialise

RATE = 44100
OCTAVES = (250, 500, 1000, 2000, 4000)
REALISATIONS = 8  # tails (noise seeds) whose energy decays and cross-correlations are averaged
ROOMS = {  # name: (dimensions, rt60, materials, listener, (azimuth, elevation, distance) of the source)
    "bathroom 2 x 2.5 x 2.4 m": ((2.0, 2.5, 2.4), 0.8, None, (0.8, 1.4, 1.1), (30.0, -10.0, 0.9)),
    "living room 6 x 8 x 3 m": ((6.0, 8.0, 3.0), 0.6, None, (2.5, 3.5, 1.2), (30.0, 10.0, 2.5)),
    "living room 6 x 8 x 3 m, centre": ((6.0, 8.0, 3.0), 0.6, None, None, (0.0, 0.0, 2.0)),
    "furnished room 6 x 8 x 3 m": ((6.0, 8.0, 3.0), 1.0, {"back": "plaster", "front": "glass", "right": "plaster", "left": "curtains",
                                                          "floor": "carpet", "ceiling": "acoustic_ceiling"}, (2.5, 3.5, 1.2), (30.0, 10.0, 2.5)),
    "hall 20 x 30 x 10 m": ((20.0, 30.0, 10.0), 2.0, None, (8.0, 12.0, 1.6), (20.0, 5.0, 8.0)),
}
SCENES = {  # name: (scene text, sample rate)
    "thunder only": ("thunder rumbles far away", 44100),
    "example, 16 kHz": ("a dog barks behind, then a bird on the right", 16000),
    "example, 44.1 kHz": ("a dog barks behind, then a bird on the right", 44100),
    "example, 48 kHz": ("a dog barks behind, then a bird on the right", 48000),
    "bathroom thunder": ("in a small bathroom, thunder rumbles far away", 44100),
    "footsteps in a hall": ("footsteps in a large reverberant hall", 44100),
}


def octave(signal: np.ndarray, centre: float, rate: int = RATE) -> np.ndarray:
    sos = butter(3, [centre / np.sqrt(2), centre * np.sqrt(2)], btype="bandpass", fs=rate, output="sos")
    return sosfilt(sos, np.asarray(signal, dtype=np.float64), axis=-1)


def t30(signal: np.ndarray, rate: int = RATE) -> float:
    """RT60 (s) from Schroeder's backward integral, line fitted between -5 and -35 dB."""
    energy = np.cumsum((np.asarray(signal, dtype=np.float64) ** 2)[::-1])[::-1]
    decay = 10 * np.log10(np.maximum(energy / energy[0], 1e-300))
    fit = (decay <= -5) & (decay >= -35)
    return float(-60.0 / np.polyfit(np.flatnonzero(fit) / rate, decay[fit], 1)[0])


def band_iacc(pairs: list[np.ndarray], centre: float, rate: int = RATE) -> float:
    """IACC in an octave band: peak within ±1 ms of the cross-correlation summed over binaural `pairs` (2, n) (realisations
    of the same tail, so that the peak of a short decaying noise is not biased upwards), over their summed energies."""
    cross: np.ndarray | float = 0.0
    energies = np.zeros(2)
    for pair in pairs:
        left, right = octave(pair, centre, rate)
        size = 1 << int(np.ceil(np.log2(2 * left.size)))
        cross = cross + np.fft.irfft(np.fft.rfft(left, size) * np.conj(np.fft.rfft(right, size)), size)
        energies += [np.sum(left**2), np.sum(right**2)]
    lags = int(1e-3 * rate)
    cross = np.asarray(cross)
    return float(np.abs(np.concatenate([cross[-lags:], cross[: lags + 1]])).max() / np.sqrt(np.prod(energies)))


def diffuse_iacc(renderer: HrtfRenderer, rate: int = RATE) -> dict[int, float]:
    """IACC per octave of the HRIR set's diffuse field: Voronoi-weighted cross-spectrum of its measured directions."""
    from scipy.spatial import SphericalVoronoi

    hrirs = renderer.hrirs.at_rate(rate)
    points = unit_vectors(hrirs.azimuth, hrirs.elevation)
    areas = SphericalVoronoi(points, threshold=1e-6).calculate_areas()
    areas = np.minimum(areas, 3 * np.median(areas))  # the uncovered cap below the lowest ring does not count
    size = 1 << 16
    spectra = np.fft.rfft(hrirs.hrirs.astype(np.float64), size, axis=-1)
    weights = areas / areas.sum()
    cross = weights @ (spectra[:, 0] * np.conj(spectra[:, 1]))
    power_l, power_r = weights @ np.abs(spectra[:, 0]) ** 2, weights @ np.abs(spectra[:, 1]) ** 2
    frequencies = np.fft.rfftfreq(size, 1 / rate)
    out = {}
    for centre in OCTAVES:
        sos = butter(3, [centre / np.sqrt(2), centre * np.sqrt(2)], btype="bandpass", fs=rate, output="sos")
        weight = np.abs(sosfreqz(sos, worN=frequencies, fs=rate)[1]) ** 2  # the band filter `band_iacc` measures through
        correlation = np.fft.irfft(weight * cross, size)
        lags = int(1e-3 * rate)
        peak = np.abs(np.concatenate([correlation[-lags:], correlation[: lags + 1]])).max()
        out[centre] = float(peak / np.sqrt(np.fft.irfft(weight * power_l, size)[0] * np.fft.irfft(weight * power_r, size)[0]))
    return out


def lowpass(signal: np.ndarray, cutoff: float = 16000.0) -> np.ndarray:
    return sosfiltfilt(butter(8, cutoff, fs=RATE, output="sos"), signal)


def pyroomacoustics_rir(room: Shoebox, offset: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reflections, direct sound without air absorption (as the renderer's direct path), image path lengths (m)) of
    pyroomacoustics' image-source model, impulse responses aligned to emission."""
    import pyroomacoustics as pra

    walls = ["west", "east", "south", "north", "floor", "ceiling"]  # x = 0, x = L, y = 0, y = W, floor, ceiling
    centres = [125, 250, 500, 1000, 2000, 4000, 8000, 16000]
    materials = {name: pra.Material({"coeffs": list(room.absorption[k]), "center_freqs": centres}) for k, name in enumerate(walls)}
    order = int(sum(np.ceil(reach / size) for size in room.dimensions)) + 1

    def simulate(max_order: int, air: bool) -> tuple[np.ndarray, np.ndarray]:
        model = pra.ShoeBox(list(room.dimensions), fs=RATE, materials=materials, max_order=max_order, air_absorption=air)
        if air:
            model.set_air_absorption(list(AIR))
        model.add_source(list(room.listener + offset))
        model.add_microphone(list(room.listener))
        model.compute_rir()
        source = model.sources[0]
        paths = np.linalg.norm(source.images - room.listener[:, None], axis=0)[source.orders > 0]
        return np.asarray(model.rir[0][0], dtype=np.float64), paths

    (full, paths), (direct_in_air, _), (direct, _) = simulate(order, True), simulate(0, True), simulate(0, False)
    size = max(full.size, direct.size, direct_in_air.size)
    full, direct, direct_in_air = (np.pad(x, (0, size - x.size)) for x in (full, direct, direct_in_air))
    lead = pra.constants.get("frac_delay_length") // 2
    return (full - direct_in_air)[lead:], direct[lead:], paths


def t30_ensemble(responses: list[np.ndarray], centre: float | None = None) -> float:
    """T30 of the Schroeder curve of the summed energy of several responses (octave band around `centre`, or 88 Hz-5.6 kHz)."""
    if centre is None:
        sos = butter(4, [88.0, 5657.0], btype="bandpass", fs=RATE, output="sos")
        return t30(np.sqrt(sum(sosfilt(sos, x) ** 2 for x in responses)))
    return t30(np.sqrt(sum(octave(x, centre) ** 2 for x in responses)))


def measure_room(name: str, renderer: HrtfRenderer, with_reference: bool) -> dict:
    dimensions, rt60, materials, listener, (azimuth, elevation, distance) = ROOMS[name]
    room = Shoebox.build(dimensions, rt60, materials, listener)
    path = SourcePath.static(azimuth, elevation, distance)
    impulse = np.ones(1, np.float32)
    wets = [reverberate(impulse, RATE, path, renderer, room, np.random.default_rng(seed)).astype(np.float64) for seed in range(REALISATIONS)]
    wet = wets[0]
    direct_w = encode(impulse, RATE, path, renderer.reference_distance)[0].astype(np.float64)
    responses = []
    for each in wets:
        w = each[2].copy()
        w[: direct_w.size] += direct_w
        responses.append(w)
    requested = room.rt60()
    result: dict[str, Any] = {"requested_rt60": rt60, "rt60_per_band_requested": {c: float(requested[list(CENTRES).index(c)]) for c in OCTAVES},
              "t30_broadband": t30_ensemble(responses), "t30_per_band": {c: t30_ensemble(responses, c) for c in OCTAVES}}
    if materials is not None:  # rt60 is the 500 Hz-1 kHz mean; broadband mixes bands that differ on purpose
        result["t30_broadband"] = (result["t30_per_band"][500] + result["t30_per_band"][1000]) / 2
    result["rt60_error_broadband"] = result["t30_broadband"] / rt60 - 1
    result["t30_unfiltered"] = t30(np.sqrt(sum(x**2 for x in responses)))
    result["rt60_error_unfiltered"] = result["t30_unfiltered"] / rt60 - 1
    result["rt60_error_per_band"] = {c: result["t30_per_band"][c] / result["rt60_per_band_requested"][c] - 1 for c in OCTAVES}
    arrival = distance / SPEED_OF_SOUND
    first = int(np.flatnonzero(direct_w)[0])
    result["energy_before_direct"] = float(sum(np.sum(each[:, :first] ** 2) for each in wets))
    ours = lowpass(wet[2] * distance / renderer.reference_distance)
    decay = 10 * np.log10(np.maximum(np.cumsum(responses[0][::-1] ** 2)[::-1] / np.sum(responses[0] ** 2), 1e-12))
    result["edc_db"] = decay[:: RATE // 200].tolist()
    if with_reference:
        reference, direct, paths = pyroomacoustics_rir(room, to_cartesian(azimuth, elevation, distance), SPEED_OF_SOUND * (arrival + 0.1))
        reference = lowpass(reference / np.sqrt(np.sum(direct**2)))
        windows = []
        for k in range(8):
            lo, hi = (int(round((arrival + t) * RATE)) for t in (0.01 * k, 0.01 * (k + 1)))
            mine, theirs = (10 * np.log10(max(np.sum(x[lo:hi] ** 2), 1e-30)) for x in (ours, reference))
            images = int(np.sum((paths / SPEED_OF_SOUND >= lo / RATE) & (paths / SPEED_OF_SOUND < hi / RATE)))
            windows.append({"window_ms": [10 * k, 10 * (k + 1)], "ours_db": mine, "pyroomacoustics_db": theirs, "images": images,
                            "counted": images > 0})
        result["early_windows"] = windows
        counted = [abs(x["ours_db"] - x["pyroomacoustics_db"]) for x in windows if x["counted"]]
        result["early_max_difference_db"] = max(counted)
    onset = images_and_onset(room, to_cartesian(azimuth, elevation, distance))[2] / SPEED_OF_SOUND
    start = int((onset + 0.02) * RATE)
    level = np.cumsum(np.sum(wet[:2, start:] ** 2, axis=0)[::-1])[::-1]
    stop = start + int(np.argmax(level < level[0] * 1e-3))
    result["tail_seconds"] = [start / RATE, stop / RATE]
    result["iacc"] = {c: band_iacc([each[:2, start:stop] for each in wets], c) for c in OCTAVES}
    return result


def causality(renderer: HrtfRenderer) -> dict:
    cases = {"click 16 m ahead, 6 x 8 x 3 m, RT60 0.6 s": ((6.0, 8.0, 3.0), 0.6, SourcePath.static(0.0, 0.0, 16.0)),
             "thunder 25 m from a 2.4 x 2.0 x 2.5 m bathroom": ((2.4, 2.0, 2.5), 0.8, SourcePath.static(30.0, 20.0, 25.0))}
    out = {}
    for name, (dimensions, rt60, path) in cases.items():
        impulse = np.ones(1, np.float32)
        wet = reverberate(impulse, RATE, path, renderer, Shoebox.build(dimensions, rt60), np.random.default_rng(0))[2].astype(np.float64)
        direct = int(np.flatnonzero(encode(impulse, RATE, path, renderer.reference_distance)[0])[0])
        out[name] = {"energy_before_direct_percent": float(100 * np.sum(wet[:direct] ** 2) / np.sum(wet**2)),
                     "first_room_sound_after_direct_ms": float(1e3 * (np.flatnonzero(wet)[0] - direct) / RATE)}
    return out


def fibonacci(count: int) -> tuple[np.ndarray, np.ndarray]:
    index = np.arange(count) + 0.5
    return (np.degrees(np.pi * (1 + 5**0.5) * index) + 180) % 360 - 180, np.degrees(np.arcsin(1 - 2 * index / count))


def diffuse_average(renderer, rate: int, count: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, mean binaural power / W power) of noise from `count` even directions through `renderer`."""
    noise = np.random.default_rng(1).standard_normal(rate).astype(np.float32)
    size = 1 << int(np.ceil(np.log2(rate + 4096)))
    power = np.zeros(size // 2 + 1)
    for az, el in zip(*fibonacci(count)):
        power += np.mean(np.abs(np.fft.rfft(renderer.render(noise, rate, SourcePath.static(az, el, renderer.reference_distance)), size)) ** 2, axis=0)
    return np.fft.rfftfreq(size, 1 / rate), power / count / np.abs(np.fft.rfft(noise, size)) ** 2


def band_db(frequencies: np.ndarray, ratio: np.ndarray, low: float, high: float) -> float:
    band = (frequencies >= low) & (frequencies < high)
    return float(10 * np.log10(ratio[band].mean()))


def calibration(renderer: HrtfRenderer, quick: bool) -> dict:
    out: dict = {}
    frequencies, ratio = diffuse_average(renderer, RATE, 100 if quick else 200)
    thirds = 1000.0 * 2.0 ** (np.arange(-10, 12) / 3)
    thirds = thirds[(thirds >= 99) & (thirds <= 12700)]
    out["diffuse_third_octaves_db"] = {f"{c:.0f}": band_db(frequencies, ratio, c / 2 ** (1 / 6), c * 2 ** (1 / 6)) for c in thirds}
    out["diffuse_max_abs_db_100_12k"] = max(abs(v) for v in out["diffuse_third_octaves_db"].values())
    out["level_100_7k_db_by_rate"] = {}
    for rate in (16000, 44100, 48000):
        f, r = (frequencies, ratio) if rate == RATE else diffuse_average(renderer, rate, 100 if quick else 200)
        out["level_100_7k_db_by_rate"][rate] = band_db(f, r, 100.0, 7000.0)
    levels = list(out["level_100_7k_db_by_rate"].values())
    out["level_spread_across_rates_db"] = max(levels) - min(levels)
    _, foa_ratio = diffuse_average(FoaBinauralRenderer(), RATE, 100 if quick else 200)
    out["foa_over_hrtf_diffuse_db"] = {c: band_db(frequencies, foa_ratio / ratio, c / np.sqrt(2), c * np.sqrt(2))
                                       for c in (125, 250, 500, 1000, 2000, 4000, 8000, 16000)}
    return out


def fractional_delay() -> dict:
    impulse = np.zeros(64, np.float32)
    impulse[0] = 1.0
    worst = {}
    for rate in (44100, 48000):
        frequencies = np.fft.rfftfreq(8192, 1 / rate)
        band = (frequencies > 20) & (frequencies <= 16000)
        deviation = 0.0
        for fraction in np.linspace(0, 0.95, 20):
            distance = (100 + fraction) * SPEED_OF_SOUND / rate
            response = np.abs(np.fft.rfft(propagate(impulse, rate, SourcePath.static(0.0, 0.0, distance), distance), 8192))
            deviation = max(deviation, float(np.abs(20 * np.log10(response[band])).max()))
        worst[rate] = deviation
    noise = np.random.default_rng(2).standard_normal(RATE).astype(np.float32)
    levels = [10 * np.log10(np.mean(propagate(noise, RATE, SourcePath.static(0, 0, d), d)[500:-500].astype(np.float64) ** 2))
              for d in (300 + np.linspace(0, 1, 12, endpoint=False)) * SPEED_OF_SOUND / RATE]
    return {"max_deviation_to_16k_db": worst, "white_noise_level_range_db": float(max(levels) - min(levels))}


def generated_dc() -> dict:
    from cascade.generators.procedural import ProceduralGenerator
    from cascade.generators.sounds import SOUNDS

    ratios = {}
    for name in sorted(SOUNDS):
        clip = ProceduralGenerator().synthesise(name, 3.0, 0).astype(np.float64)
        ratios[name] = float(abs(clip.mean()) / np.sqrt(np.mean(clip**2)))
    return {"worst_dc_over_rms": max(ratios.values()), "thunder": ratios.get("thunder"), "footsteps": ratios.get("footsteps"),
            "gunshot": ratios.get("gunshot")}


def near_field(renderer: HrtfRenderer) -> dict:
    noise = np.random.default_rng(3).standard_normal(RATE // 2).astype(np.float32)
    out = {}
    for distance in (0.25, 0.5, 1.0, 2.0):
        binaural = renderer.render(noise, RATE, SourcePath.static(90.0, 0.0, distance))
        out[distance] = {"itd_us": 1e6 * itd(binaural, RATE), "ild_db": ild(binaural)}
    return out


def loudness(quick: bool) -> dict:
    import pyloudnorm

    from cascade import Cascade

    out: dict = {"scenes": {}}
    for name, (text, rate) in SCENES.items():
        result = Cascade(generator="procedural", sample_rate=rate, cache=False, mix="physical")(text, seed=0)
        meter = pyloudnorm.Meter(rate)
        w = result.foa[0].astype(np.float64)
        report = result.mix_report
        assert report is not None
        out["scenes"][name] = {"binaural_lufs": meter.integrated_loudness(result.binaural.T.astype(np.float64)),
                               "ambix_lufs": meter.integrated_loudness(np.stack([w, w], axis=1)),
                               "binaural_peak_limited": bool(report.binaural.peak_limited),
                               "ambix_peak_limited": bool(report.ambix.peak_limited), "report": report.describe()}
    files = {name: Cascade(generator="procedural", renderer=name, cache=False, mix="physical")(SCENES["example, 44.1 kHz"][0], seed=0).foa
             for name in (("hrtf", "foa") if quick else ("hrtf", "foa", "nfs"))}
    common = min(foa.shape[-1] for foa in files.values())  # a renderer's longer filters lengthen the scene, not its AmbiX
    reference = files["hrtf"][:, :common].astype(np.float64)
    out["w_dbfs_by_renderer"] = {name: float(10 * np.log10(np.mean(foa[0, :common].astype(np.float64) ** 2))) for name, foa in files.items()}
    out["ambix_difference_db_by_renderer"] = {name: float(20 * np.log10(max(np.abs(foa[:, :common] - reference).max(), 1e-30) / np.abs(reference).max()))
                                              for name, foa in files.items() if name != "hrtf"}
    return out


def speed(renderer: HrtfRenderer, quick: bool) -> dict:
    """Seconds to spatialise a 10 s source in the hall: static (first call in the process, median of 5), moving
    (median of 3), and a 2 s source in the living room through nfs on one torch thread (median of 3)."""
    hall = Shoebox.build((20.0, 30.0, 10.0), 2.0)
    mono = np.random.default_rng(4).standard_normal(10 * RATE).astype(np.float32)

    def timed(work, repeats: int) -> list[float]:
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            work()
            times.append(time.perf_counter() - began)
        return times

    static = timed(lambda: spatialise(mono, RATE, SourcePath.static(30.0, 0.0, 3.0), renderer, hall, seed=0), 6)
    moving = SourcePath.from_keys([0.0, 10.0], [90.0, -90.0], [0.0, 0.0], [3.0, 3.0])
    out = {"first_call_s": static[0], "median_of_5_s": statistics.median(static[1:]),
           "moving_median_of_3_s": statistics.median(timed(lambda: spatialise(mono, RATE, moving, renderer, hall, seed=0), 3))}
    if not quick:
        import torch

        from renderers.nfs import NfsRenderer

        torch.set_num_threads(1)
        nfs, living = NfsRenderer(), Shoebox.build((6.0, 8.0, 3.0), 0.6)
        short = mono[: 2 * RATE]
        out["nfs_living_room_2s_median_of_3_s"] = statistics.median(
            timed(lambda: spatialise(short, RATE, SourcePath.static(30.0, 0.0, 2.0), nfs, living, seed=0), 3))
    return out


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    ax = axes[0, 0]
    for name, room in result["rooms"].items():
        curve = np.array(room["edc_db"])
        ax.plot(np.arange(curve.size) / 200, curve, label=f"{name} (RT60 {room['requested_rt60']} s)")
    ax.set(xlabel="time after emission (s)", ylabel="energy decay (dB)", ylim=(-65, 2), xlim=(0, 2.2), title="Schroeder decay of W")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    for name, room in result["rooms"].items():
        if "early_windows" not in room:
            continue
        windows = [w for w in room["early_windows"] if w["counted"]]
        centres = [np.mean(w["window_ms"]) for w in windows]
        line = ax.plot(centres, [w["ours_db"] for w in windows], "o-", label=f"{name}: ours")[0]
        ax.plot(centres, [w["pyroomacoustics_db"] for w in windows], "x--", color=line.get_color(), label="pyroomacoustics")
    ax.set(xlabel="10 ms window after the direct sound (ms)", ylabel="energy re direct (dB)", ylim=(-20, 5),
           title="Early energy, W (windows holding image sources)")
    ax.legend(fontsize=6, ncol=2)
    ax = axes[1, 0]
    expected = result["diffuse_iacc"]
    ax.plot(OCTAVES, [expected[c] for c in OCTAVES], "k-", linewidth=3, alpha=0.4, label="diffuse field of MIT KEMAR")
    for name, room in result["rooms"].items():
        ax.plot(OCTAVES, [room["iacc"][c] for c in OCTAVES], "o-", label=name)
    ax.set(xscale="log", xlabel="octave band (Hz)", ylabel="IACC", ylim=(0, 1.05), title="Binaural tail IACC")
    ax.set_xticks(OCTAVES, [str(c) for c in OCTAVES])
    ax.minorticks_off()
    ax.legend(fontsize=7)
    ax = axes[1, 1]
    thirds = result["calibration"]["diffuse_third_octaves_db"]
    ax.semilogx([float(k) for k in thirds], list(thirds.values()), "o-", label="hrtf binaural / W, 200 directions")
    foa = result["calibration"]["foa_over_hrtf_diffuse_db"]
    ax.semilogx(list(foa), list(foa.values()), "s-", label="foa / hrtf renderer")
    ax.axhspan(-3, 3, color="green", alpha=0.08)
    ax.set(xlabel="frequency (Hz)", ylabel="dB", ylim=(-8, 8), title="Diffuse-field average, 44.1 kHz")
    ax.legend(fontsize=8)
    fig.suptitle(f"Room acoustics and binaural calibration ({result['machine']})", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def run(quick: bool = False, rooms_only: bool = False) -> dict:
    renderer = HrtfRenderer()
    try:
        import pyroomacoustics  # noqa: F401

        with_reference = True
    except ImportError:
        print("pyroomacoustics is not installed (pip install -e \".[bench]\"): early energy is not compared", file=sys.stderr)
        with_reference = False
    result: dict = {"machine": machine(), "sample_rate": RATE, "load_average_before": os.getloadavg()[0]}
    if rooms_only:
        result["rooms"] = {name: measure_room(name, renderer, False) for name in ROOMS}
        result["load_average_after"] = os.getloadavg()[0]
        return result
    result["speed"] = speed(renderer, quick)
    result["rooms"] = {name: measure_room(name, renderer, with_reference) for name in ROOMS}
    result["diffuse_iacc"] = diffuse_iacc(renderer)
    result["causality"] = causality(renderer)
    result["calibration"] = calibration(renderer, quick)
    result["fractional_delay"] = fractional_delay()
    result["dc"] = generated_dc()
    result["near_field"] = near_field(renderer)
    result["loudness"] = loudness(quick)
    result["load_average_after"] = os.getloadavg()[0]
    return result


def report(result: dict) -> None:
    print(f"{result['machine']}; load average {result['load_average_before']:.1f} before, {result['load_average_after']:.1f} after "
          "(others' work on a shared machine slows the timings)")
    print(f"\n{'room':<34}{'T30 bb':>8}{'err':>7}  per band 250-4k error %    unfiltered err  early max dB  IACC - diffuse (250-4k)")
    for name, room in result["rooms"].items():
        bands = " ".join(f"{100 * room['rt60_error_per_band'][c]:+5.1f}" for c in OCTAVES)
        iacc = " ".join(f"{room['iacc'][c] - result['diffuse_iacc'][c]:+.2f}" for c in OCTAVES) if "diffuse_iacc" in result else ""
        early = f"{room.get('early_max_difference_db', float('nan')):5.2f}"
        print(f"{name:<34}{room['t30_broadband']:8.3f}{100 * room['rt60_error_broadband']:+6.1f}%  {bands}   "
              f"{100 * room['rt60_error_unfiltered']:+6.1f}%      {early}     {iacc}")
    if "calibration" not in result:
        return
    print("diffuse-field IACC of the set:", {c: round(v, 2) for c, v in result["diffuse_iacc"].items()})
    for name, case in result["causality"].items():
        print(f"{name}: {case['energy_before_direct_percent']:.2f} % of the room's energy before the direct sound, "
              f"first room sound {case['first_room_sound_after_direct_ms']:+.2f} ms after it")
    calibration = result["calibration"]
    print(f"diffuse-field binaural / W, 100 Hz-12 kHz: within ±{calibration['diffuse_max_abs_db_100_12k']:.2f} dB; "
          f"level 100 Hz-7 kHz by rate: {({k: round(v, 2) for k, v in calibration['level_100_7k_db_by_rate'].items()})} "
          f"(spread {calibration['level_spread_across_rates_db']:.2f} dB)")
    print("foa / hrtf diffuse field per octave (dB):", {c: round(v, 2) for c, v in calibration["foa_over_hrtf_diffuse_db"].items()})
    delay = result["fractional_delay"]
    print(f"fractional delay: worst deviation to 16 kHz {delay['max_deviation_to_16k_db']} dB; white-noise level range over a "
          f"one-sample distance sweep {delay['white_noise_level_range_db']:.2f} dB")
    print(f"DC: worst |mean| / RMS over procedural classes {result['dc']['worst_dc_over_rms']:.1e}")
    print("near field at 90°:", {d: (round(v["itd_us"]), round(v["ild_db"], 1)) for d, v in result["near_field"].items()}, "(ITD µs, ILD dB)")
    for name, scene in result["loudness"]["scenes"].items():
        print(f"{name:<22} binaural {scene['binaural_lufs']:6.2f} LUFS{' (peak-limited)' if scene['binaural_peak_limited'] else ''}, "
              f"AmbiX {scene['ambix_lufs']:6.2f} LUFS{' (peak-limited)' if scene['ambix_peak_limited'] else ''}")
    print("W level by renderer (dBFS):", {k: round(v, 2) for k, v in result["loudness"]["w_dbfs_by_renderer"].items()},
          "largest AmbiX difference from hrtf's (dB re peak):", {k: round(v, 1) for k, v in result["loudness"]["ambix_difference_db_by_renderer"].items()})
    timing = result["speed"]
    print(f"speed, 10 s source in the hall (RT60 2 s): static first call {timing['first_call_s']:.2f} s, median "
          f"{timing['median_of_5_s']:.2f} s; moving {timing['moving_median_of_3_s']:.2f} s; nfs, 2 s in the living room: "
          f"{timing.get('nfs_living_room_2s_median_of_3_s', float('nan')):.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="room_acoustics", description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--png", type=Path, help="write the decay, early-energy, IACC and diffuse-field chart here")
    parser.add_argument("--quick", action="store_true", help="fewer directions for the diffuse field, no nfs scene")
    parser.add_argument("--rooms-only", action="store_true", help="only the reverberation times of the rooms (no reference, IACC, "
                                                                   "calibration, loudness or speed)")
    args = parser.parse_args(argv)
    result = run(args.quick, args.rooms_only)
    report(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, default=float))
    if args.png and not args.rooms_only:
        plot(result, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
