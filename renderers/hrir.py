"""Head-related impulse responses: loading (SOFA, MIT KEMAR; equalised, cached) and interpolation to any direction.

Interpolation splits every HRIR into a fractional onset delay per ear and an onset-aligned response,
mixes both with barycentric weights on a triangulation of the measured directions, and re-applies
the mixed delay as a linear phase, so the interaural delay moves smoothly between measurements.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from scipy.fft import next_fast_len

from cascade.audio import resample
from cascade.cache import cache_root
from cascade.dsp import convolve
from cascade.errors import OutputError
from cascade.files import atomic_path
from cascade.geometry import to_spherical, unit_vectors, wrap_azimuth
from renderers import RendererError

ONSET_THRESHOLD_DB = -20.0  # onset = first crossing of this level relative to the ear's peak
PLANE_TIE = 1e-9  # relative gap under which two facets' planes count as one (rounding, not geometry)
POLE_GAP_DEG = 1.0  # a pole farther than this from every measurement gets a synthetic direction


def onsets(hrirs: np.ndarray) -> np.ndarray:
    """Fractional onset (samples) of each response along the last axis: first crossing of -20 dB re its peak."""
    magnitude = np.abs(hrirs.astype(np.float64))
    threshold = magnitude.max(axis=-1, keepdims=True) * 10 ** (ONSET_THRESHOLD_DB / 20)
    first = np.argmax(magnitude >= threshold, axis=-1)
    before = np.take_along_axis(magnitude, np.maximum(first - 1, 0)[..., None], axis=-1)[..., 0]
    at = np.take_along_axis(magnitude, first[..., None], axis=-1)[..., 0]
    threshold = threshold[..., 0]
    fraction = np.where(at > before, (threshold - before) / np.maximum(at - before, 1e-30), 1.0)
    return np.where(first > 0, first - 1 + np.clip(fraction, 0.0, 1.0), 0.0)


@dataclass(frozen=True, eq=False)
class HrirSet:
    """Measured HRIRs: directions in degrees (project convention), `hrirs` float32 (n_dirs, 2, taps), ear 0 = left.

    `sample_rate` in Hz, `distance` the measurement distance in metres; `triangles` (k, 3) indexes the
    directions of `interpolation_directions()` (computed when None; kept with a prepared set on disk);
    `onset_samples` are the measured responses' onsets, carried over to a resampled set.
    """

    azimuth: np.ndarray
    elevation: np.ndarray
    hrirs: np.ndarray
    sample_rate: int
    distance: float
    triangles: np.ndarray | None = None
    onset_samples: np.ndarray | None = None  # (n_dirs, 2) onsets at this rate when found at a higher one (resampled sets)

    @property
    def taps(self) -> int:
        return self.hrirs.shape[-1]

    def at_rate(self, sample_rate: int) -> HrirSet:
        """This set resampled to `sample_rate` Hz (cached)."""
        return self if sample_rate == self.sample_rate else _resampled(self, int(sample_rate))

    def interpolate(self, azimuth: np.ndarray | float, elevation: np.ndarray | float) -> np.ndarray:
        """HRIRs (k, 2, taps) float32 for k directions (degrees), interpolated between measurements."""
        model = self._model
        directions = unit_vectors(np.atleast_1d(azimuth), np.atleast_1d(elevation)).reshape(-1, 3)
        facet, weights = model.locate(directions)
        weights = np.clip(weights, 0.0, None)
        weights /= weights.sum(axis=1, keepdims=True)
        vertices = model.vertices[facet]
        spectra = np.einsum("kv,kvef->kef", weights.astype(np.float32), model.aligned[vertices])
        shifts = np.einsum("kv,kve->ke", weights, model.shifts[vertices])
        bins = np.arange(spectra.shape[-1])
        phase = np.exp(-2j * np.pi * bins * shifts[..., None] / model.fft_size).astype(np.complex64)
        return np.fft.irfft(spectra * phase, model.fft_size, axis=-1)[..., : self.taps].astype(np.float32)

    @cached_property
    def _model(self) -> _Interpolator:
        return _Interpolator.build(self)

    def poles(self) -> list[tuple[float, np.ndarray]]:
        """(elevation, mask of the ring nearest it) for each pole farther than POLE_GAP_DEG from every measurement;
        interpolation adds a synthetic direction there, the mean of that ring."""
        found = []
        for pole in (90.0, -90.0):
            gap = np.abs(pole - self.elevation)
            if gap.min() > POLE_GAP_DEG:
                found.append((pole, gap <= gap.min() + 1e-6))
        return found

    def interpolation_directions(self) -> np.ndarray:
        """(n, 3) unit vectors of the measured directions followed by the synthetic poles."""
        poles = [unit_vectors(0.0, pole)[None] for pole, _ in self.poles()]
        return np.concatenate([unit_vectors(self.azimuth, self.elevation), *poles])

    def triangulated(self) -> HrirSet:
        """This set with `triangles` filled in (the convex hull of `interpolation_directions`)."""
        if self.triangles is not None:
            return self
        from scipy.spatial import ConvexHull

        hull = ConvexHull(self.interpolation_directions())
        return HrirSet(self.azimuth, self.elevation, self.hrirs, self.sample_rate, self.distance, hull.simplices.astype(np.int64))


@dataclass(frozen=True)
class _Interpolator:
    """Onset-aligned spectra and shifts per (possibly synthetic) direction, and the spherical triangulation."""

    aligned: np.ndarray  # (n, 2, bins) complex64
    shifts: np.ndarray  # (n, 2) samples each ear was advanced by
    vertices: np.ndarray  # (n_facets, 3) direction indices
    inverse: np.ndarray  # (n_facets, 3, 3) inverse of each facet's vertex matrix
    facet_scale: np.ndarray  # (3, n_facets) normal / distance from origin: max over facets finds the hit
    fft_size: int

    @classmethod
    def build(cls, hrir_set: HrirSet) -> _Interpolator:
        fft_size = next_fast_len(2 * hrir_set.taps, real=True)  # 2 x 557 taps at 24 kHz: a prime factor made every irfft slow
        onset = hrir_set.onset_samples if hrir_set.onset_samples is not None else onsets(hrir_set.hrirs)
        shifts = onset - onset.min()
        bins = np.arange(fft_size // 2 + 1)
        aligned = np.fft.rfft(hrir_set.hrirs.astype(np.float64), fft_size, axis=-1)
        aligned *= np.exp(2j * np.pi * bins * shifts[..., None] / fft_size)
        rings = [ring for _, ring in hrir_set.poles()]  # masks over the measured directions, not the synthetic ones
        aligned = np.concatenate([aligned, *(aligned[: ring.size][ring].mean(axis=0, keepdims=True) for ring in rings)])
        shifts = np.concatenate([shifts, *(shifts[: ring.size][ring].mean(axis=0, keepdims=True) for ring in rings)])
        directions = hrir_set.interpolation_directions()
        vertices = hrir_set.triangulated().triangles
        assert vertices is not None
        corners = directions[vertices]
        normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        offsets = np.einsum("kd,kd->k", normals, corners[:, 0])
        normals *= np.sign(offsets)[:, None]  # outward, away from the listener at the centre
        offsets = np.abs(offsets)
        if np.any(offsets <= 1e-9 * np.linalg.norm(normals, axis=1)):
            raise RendererError("the HRIR directions do not surround the listener; use a set measured all around")
        inverse = np.linalg.inv(np.transpose(corners, (0, 2, 1)))
        facet_scale = (normals / offsets[:, None]).T
        return cls(aligned.astype(np.complex64), shifts, vertices, inverse, facet_scale, fft_size)

    def locate(self, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The facet each of k unit vectors (k, 3) passes through, and its barycentric weights (k, 3).

        Facets on one plane (a quad of measurements split in two) tie on the plane test, so among every facet
        within PLANE_TIE of the nearest plane the one whose weights are least negative (the one that holds the
        direction) is taken: the choice does not hinge on the last bits of the arithmetic.
        """
        scores = directions @ self.facet_scale
        rows, facets = np.nonzero(scores >= scores.max(axis=1, keepdims=True) * (1.0 - PLANE_TIE))
        weights = np.einsum("kij,kj->ki", self.inverse[facets], directions[rows])
        order = np.lexsort((-weights.min(axis=1), rows))  # per row, the least negative smallest weight first
        first = order[np.r_[0, np.flatnonzero(np.diff(rows[order])) + 1]]
        return facets[first], weights[first]


@lru_cache(maxsize=16)
def _resampled(hrir_set: HrirSet, sample_rate: int) -> HrirSet:
    """`hrir_set` at another rate, scaled by old rate / new rate so its frequency response (and so the level of
    everything rendered through it) does not depend on the rate."""
    hrirs = resample(hrir_set.hrirs, hrir_set.sample_rate, sample_rate) * np.float32(hrir_set.sample_rate / sample_rate)
    native = hrir_set.onset_samples if hrir_set.onset_samples is not None else onsets(hrir_set.hrirs)
    # onsets found on the measured responses, not on resampled ones (whose ringing moves the -20 dB crossing and,
    # once aligned, cost interpolated directions 1-3 dB at 2-6 kHz at 16 kHz)
    return HrirSet(hrir_set.azimuth, hrir_set.elevation, hrirs, sample_rate, hrir_set.distance, hrir_set.triangles,
                   native * (sample_rate / hrir_set.sample_rate))


EQUALISATIONS = ("diffuse", "none")
SOFA_RATES = (8000, 384000)  # Hz a SOFA file's responses may be sampled at
CACHE_VERSION = 2  # bump when the processing of a cached set changes
KEMAR_DATA = ("slab", "data/mit_kemar_normal_pinna.bz2")


def load_hrirs(sofa: str | Path | None = None, equalisation: str = "diffuse") -> HrirSet:
    """The HRIR set of a SimpleFreeFieldHRIR SOFA file, or MIT KEMAR (inside `slab`) when `sofa` is None,
    diffuse-field equalised unless `equalisation` is "none".

    Prepared sets are kept in memory and in $CASCADE_CACHE_DIR/hrirs, keyed by the file's content, so a
    later process starts without reading the SOFA file or importing slab.
    """
    if equalisation not in EQUALISATIONS:
        raise RendererError(f"HRTF equalisation must be one of {', '.join(EQUALISATIONS)}, got {equalisation!r}")
    source = _kemar_file() if sofa is None else _sofa_file(sofa)
    return _prepared(str(source), sofa is None, equalisation)


def _kemar_file() -> Path:
    spec = find_spec(KEMAR_DATA[0])
    if spec is None or not spec.submodule_search_locations:
        raise RendererError("MIT KEMAR needs the slab package: pip install slab, or pass a SOFA file")
    return Path(next(iter(spec.submodule_search_locations))) / KEMAR_DATA[1]


def _sofa_file(sofa: str | Path) -> Path:
    path = Path(sofa).expanduser().resolve()
    if path.is_dir():
        raise RendererError(f"HRTF {sofa} is a folder; pass a SOFA file")
    if not path.is_file():
        raise RendererError(f"HRTF file {sofa} does not exist; pass a SimpleFreeFieldHRIR SOFA file")
    return path


@lru_cache(maxsize=8)
def _prepared(source: str, is_kemar: bool, equalisation: str) -> HrirSet:
    try:
        content = hashlib.sha256(Path(source).read_bytes()).hexdigest()
    except OSError as err:
        raise RendererError(f"cannot read HRTF file {Path(source).name}: {err.strerror or err}") from None
    cached = cache_root() / "hrirs" / f"{content[:32]}-{equalisation}-v{CACHE_VERSION}.npz"
    hrir_set = _read_cached(cached)
    if hrir_set is None:
        hrir_set = kemar() if is_kemar else load_sofa(source)
        if equalisation == "diffuse":
            hrir_set = diffuse_equalised(hrir_set)
        hrir_set = hrir_set.triangulated()
        _write_cached(cached, hrir_set)
    return hrir_set


def diffuse_equalised(hrir_set: HrirSet) -> HrirSet:
    """`hrir_set` convolved with its diffuse-field equaliser (see renderers.diffuse_field)."""
    from renderers.diffuse_field import equaliser

    fir = equaliser(hrir_set.hrirs, hrir_set.azimuth, hrir_set.elevation, hrir_set.sample_rate)
    hrirs = convolve(hrir_set.hrirs.astype(np.float64), fir[None, None, :])
    return HrirSet(hrir_set.azimuth, hrir_set.elevation, hrirs.astype(np.float32), hrir_set.sample_rate, hrir_set.distance)


def _read_cached(path: Path) -> HrirSet | None:
    """A prepared set from the disk cache; None when absent or not a consistent, finite set."""
    try:
        with np.load(path, allow_pickle=False) as data:
            azimuth, elevation, hrirs = data["azimuth"], data["elevation"], data["hrirs"]
            rate, distance, triangles = int(data["sample_rate"]), float(data["distance"]), data["triangles"]
    except (OSError, KeyError, ValueError, EOFError):
        return None
    count = hrirs.shape[0] if hrirs.ndim == 3 else -1
    if (hrirs.ndim != 3 or hrirs.shape[1] != 2 or hrirs.dtype != np.float32 or azimuth.shape != (count,)
            or elevation.shape != (count,) or not np.isfinite(hrirs).all() or rate <= 0 or distance <= 0
            or triangles.ndim != 2 or triangles.shape[1] != 3 or triangles.min() < 0 or triangles.max() >= count + 2):
        return None
    return HrirSet(azimuth, elevation, hrirs, rate, distance, triangles)


def _write_cached(path: Path, hrir_set: HrirSet) -> None:
    """Keep a prepared set on disk; a cache that cannot be written is skipped."""
    triangles = hrir_set.triangulated().triangles
    assert triangles is not None
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as file:
            np.savez(file, azimuth=hrir_set.azimuth, elevation=hrir_set.elevation, hrirs=hrir_set.hrirs,
                     sample_rate=hrir_set.sample_rate, distance=hrir_set.distance, triangles=triangles)
    except (OSError, OutputError):
        pass


@lru_cache(maxsize=1)
def kemar() -> HrirSet:
    """MIT KEMAR (normal pinna) shipped inside `slab`, as measured: 710 directions, 44.1 kHz, 512 taps, 1.4 m."""
    try:
        import slab
    except OSError as error:
        raise RendererError(
            f"cannot load MIT KEMAR from slab ({error}): install the Debian package libportaudio2 "
            "(apt-get install libportaudio2) or pass a SOFA file"
        ) from None
    except ImportError:
        raise RendererError("MIT KEMAR needs the slab package: pip install slab, or pass a SOFA file") from None
    hrtf = slab.HRTF.kemar()
    sources = np.asarray(hrtf.sources.vertical_polar, dtype=np.float64)
    hrirs = np.stack([np.asarray(f.data, dtype=np.float32).T for f in hrtf.data])
    return HrirSet(wrap_azimuth(sources[:, 0]), sources[:, 1].copy(), np.ascontiguousarray(hrirs),
                   int(hrtf.samplerate), round(float(np.median(sources[:, 2])), 3))


def load_sofa(path: str | Path) -> HrirSet:
    """A SimpleFreeFieldHRIR SOFA file as measured, as an `HrirSet` (cached per resolved path); its
    Data.Delay (samples per measurement and ear) is applied as a delay of the impulse responses."""
    return _load_sofa(str(_sofa_file(path)))


@lru_cache(maxsize=8)
def _load_sofa(path: str) -> HrirSet:
    import sofar

    name = Path(path).name
    try:
        sofa = sofar.read_sofa(path, verbose=False)
    except Exception as error:  # sofar/netCDF raise many kinds for a bad file
        raise RendererError(f"cannot read SOFA file {name}: {str(error).splitlines()[0] if str(error) else type(error).__name__}") from None
    convention = str(getattr(sofa, "GLOBAL_SOFAConventions", ""))
    data = np.asarray(getattr(sofa, "Data_IR", np.empty(0)), dtype=np.float32)
    if convention != "SimpleFreeFieldHRIR" or data.ndim != 3 or data.shape[1] != 2 or data.shape[2] < 2:
        raise RendererError(f"SOFA file {name} is '{convention}' with IRs {data.shape}; "
                            "expected SimpleFreeFieldHRIR with 2 receivers (M, 2, N)")
    if not np.isfinite(data).all() or not np.abs(data).max() > 0:
        raise RendererError(f"SOFA file {name} holds impulse responses that are silent or not finite")
    positions = np.asarray(sofa.SourcePosition, dtype=np.float64).reshape(-1, 3)
    if positions.shape[0] == 1:
        positions = np.repeat(positions, data.shape[0], axis=0)
    kind, units = str(sofa.SourcePosition_Type).lower(), str(sofa.SourcePosition_Units).lower()
    if kind == "cartesian":
        azimuth, elevation, distance = to_spherical(positions)
    elif kind == "spherical" and "rad" not in units:
        azimuth, elevation, distance = positions.T
    else:
        raise RendererError(f"SOFA file {name} has source positions '{kind}' in '{units}'; "
                            "expected cartesian metres or spherical degrees")
    rate = float(np.ravel(sofa.Data_SamplingRate)[0])
    if not (np.isfinite(rate) and SOFA_RATES[0] <= rate <= SOFA_RATES[1]):
        raise RendererError(f"SOFA file {name} has a sampling rate of {rate:g} Hz; expected {SOFA_RATES[0]}-{SOFA_RATES[1]} Hz")
    if not (np.isfinite(positions).all() and np.median(distance) > 0):
        raise RendererError(f"SOFA file {name} has source positions that are not finite or not in front of the head's centre")
    _check_coverage(np.asarray(azimuth, dtype=np.float64), np.asarray(elevation, dtype=np.float64), name)
    data = _apply_delay(data, np.asarray(getattr(sofa, "Data_Delay", np.zeros((1, 2))), dtype=np.float64), name)
    receivers = np.asarray(sofa.ReceiverPosition, dtype=np.float64).reshape(-1, 3)
    if receivers.shape[0] == 2 and receivers[0, 1] < receivers[1, 1]:
        data = data[:, ::-1]
    return HrirSet(wrap_azimuth(azimuth), np.asarray(elevation, dtype=np.float64), np.ascontiguousarray(data),
                   int(round(rate)), float(np.median(distance)))


def _check_coverage(azimuth: np.ndarray, elevation: np.ndarray, name: str) -> None:
    """RendererError unless the directions (degrees) span the space around the head: at least 4 distinct ones, not all
    on one plane (a single direction, an antipodal pair, one ring or the horizontal plane cannot be interpolated)."""
    points = np.unique(np.round(unit_vectors(azimuth, elevation), 6), axis=0)
    flat = points.shape[0] < 4 or np.linalg.matrix_rank(points - points.mean(axis=0), tol=1e-3) < 3
    if flat:
        raise RendererError(f"SOFA file {name} holds {points.shape[0]} distinct direction{'s' if points.shape[0] != 1 else ''}"
                            f"{' on one plane' if points.shape[0] >= 3 else ''}; a renderer needs at least 4 directions not all "
                            "on one plane, measured around the head")


def _apply_delay(data: np.ndarray, delay: np.ndarray, name: str) -> np.ndarray:
    """IRs (M, 2, N) each delayed by its SOFA Data.Delay in samples ((1, 2) or (M, 2), may be fractional)."""
    if delay.size in (1, 2):
        delay = np.broadcast_to(delay.reshape(1, -1), (1, 2))
    if delay.shape not in ((1, 2), (data.shape[0], 2)) or not np.isfinite(delay).all() or delay.min() < 0 or delay.max() > 10 * data.shape[2]:
        raise RendererError(f"SOFA file {name} has a Data.Delay of shape {delay.shape} or values that cannot be used")
    if not delay.any():
        return data
    taps = data.shape[2] + int(np.ceil(delay.max()))
    size = 1 << int(np.ceil(np.log2(2 * taps)))
    bins = np.arange(size // 2 + 1)
    phase = np.exp(-2j * np.pi * bins * np.broadcast_to(delay, (data.shape[0], 2))[..., None] / size)
    return np.fft.irfft(np.fft.rfft(data.astype(np.float64), size, axis=-1) * phase, size, axis=-1)[..., :taps].astype(np.float32)
