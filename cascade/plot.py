"""Figures of a scene (matplotlib): a top-down map of the listener and every source beside a timeline
of the events, and for rendered audio the binaural waveform and spectrogram under the timeline.

The map is drawn as seen from above with the front up and the listener's left on the left of the
picture (azimuth +90 = left, counter-clockwise); positions are horizontal projections in metres.
Sources farther than the view are drawn at its edge with their true distance in the label.
Axes carry labels ("map", "timeline", "waveform", "spectrogram") and artists gids (an event's id)
so tests and scripts can read the figure back.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Ellipse, Polygon, Rectangle

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from cascade.result import RenderResult
    from cascade.scene import Scene, SoundEvent

STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "savefig.dpi": 100,
}
COLORS = mpl.colormaps["tab10"].colors  # type: ignore[attr-defined]
MIN_VIEW = 2.0  # m: the smallest half-width of the map
VIEW_MARGIN = 1.15  # the map reaches this much past the farthest source it shows to scale
FAR_FACTOR = 4.0  # sources much farther than the others are drawn at the map's edge (see _view_radius)
EDGE = 0.92  # fraction of the half-width at which off-scale sources are drawn
RINGS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)  # m
EAR_LEVEL = 10.0  # degrees: within ± this a source is drawn as a circle, above as ▲, below as ▼
PATH_SAMPLES = 64
TAIL_MARK = 0.05  # s: audio running this much past the last event gets a dashed line where the events end
WAVEFORM_BINS = 1500
SPECTROGRAM_FRAME = 1024  # samples, Hann window, 50 % hop
SPECTROGRAM_PIXELS = (320, 128)  # at most this many time frames and frequency bins are drawn
FIGURE_FORMATS = (".png", ".pdf", ".svg")


def scene_figure(scene: Scene, binaural: np.ndarray | None = None, sample_rate: int | None = None) -> Figure:
    """The map beside the timeline; with `binaural` (2, n) at `sample_rate` Hz, also its waveform and spectrogram."""
    with mpl.rc_context(STYLE):
        audio = binaural is not None and sample_rate is not None
        fig = Figure(figsize=(13.0, 8.0 if audio else 5.6), layout="constrained")
        grid = fig.add_gridspec(3 if audio else 1, 2, width_ratios=(1.0, 1.45), height_ratios=(1.3, 0.8, 1.0) if audio else None)
        colors = {event.id: COLORS[i % len(COLORS)] for i, event in enumerate(scene.events)}
        draw_map(fig.add_subplot(grid[:, 0], label="map"), scene, colors)
        timeline = fig.add_subplot(grid[0, 1], label="timeline")
        end = scene.end
        if binaural is not None and sample_rate is not None:
            end = max(end, binaural.shape[-1] / sample_rate)
            waveform = fig.add_subplot(grid[1, 1], label="waveform", sharex=timeline)
            spectrogram = fig.add_subplot(grid[2, 1], label="spectrogram", sharex=timeline)
            draw_waveform(waveform, binaural, sample_rate)
            draw_spectrogram(spectrogram, binaural, sample_rate)
        draw_timeline(timeline, scene, colors, end)
        if audio:
            timeline.set_xlabel("")
            timeline.tick_params(labelbottom=False)
        fig.suptitle(_title(scene), fontsize=11)
    return fig


def result_figure(result: RenderResult) -> Figure:
    """`scene_figure` of a render: its resolved scene with its binaural audio."""
    return scene_figure(result.scene, result.binaural, result.sample_rate)


def figure_format(path: str | Path) -> str:
    """The image format `path`'s extension names (png, pdf or svg); OutputError listing them for any other."""
    from cascade.errors import OutputError

    suffix = Path(path).suffix.lower()
    if suffix not in FIGURE_FORMATS:
        named = f"'{Path(path).suffix}'" if suffix else "no extension"
        raise OutputError(f"{Path(path).name} has {named}; name the figure with one of: {', '.join(FIGURE_FORMATS)}")
    return suffix[1:]


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write the figure atomically in the format its extension names (.png, .pdf, .svg)."""
    from io import BytesIO

    from cascade.files import write_bytes

    buffer = BytesIO()
    fig.savefig(buffer, format=figure_format(path))
    return write_bytes(path, buffer.getvalue())


def to_map(azimuth: np.ndarray | float, elevation: np.ndarray | float, distance: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Map coordinates in metres of directions in degrees: x to the listener's right, y to the front."""
    horizontal = np.asarray(distance) * np.cos(np.radians(elevation))
    azimuth = np.radians(azimuth)
    return -horizontal * np.sin(azimuth), horizontal * np.cos(azimuth)


def _title(scene: Scene) -> str:
    text = scene.text or "scene"
    text = text if len(text) <= 90 else text[:87] + "…"
    return f"{text}  ({len(scene.events)} event{'s' if len(scene.events) != 1 else ''}, {scene.end:.1f} s)"


def _event_track(event: SoundEvent) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth, elevation (degrees) and distance (m) along the event's path, sampled in time (its key times included)."""
    from cascade.pipeline import event_path

    path = event_path(event)
    return path.at(np.union1d(np.linspace(0.0, path.times[-1], PATH_SAMPLES if event.moves else 1), path.times))


def _view_radius(scene: Scene, tracks: dict[str, tuple[np.ndarray, np.ndarray]], closest: dict[str, float]) -> float:
    """Half-width of the map in metres: the room, and the sources outwards from the nearest while each is
    within FAR_FACTOR times the last one shown and FAR_FACTOR² times the nearest (reaches under 1 m count as 1 m); a moving
    source counts by its closest approach (m, `closest` by event id), so the part of its line nearest the listener is in view."""
    reach = sorted(closest.get(key, float(np.max(np.maximum(np.abs(x), np.abs(y))))) for key, (x, y) in tracks.items())
    shown = reach[0]
    for distance in reach[1:]:
        if distance > FAR_FACTOR * max(shown, 1.0) or distance > FAR_FACTOR**2 * max(reach[0], 1.0):
            break
        shown = distance
    room = 0.0
    if scene.room is not None:  # the farthest wall from the listener, who may stand off centre
        (front, left, _), (behind, right, _) = scene.room.dimensions, scene.room.listener_position()
        room = 1.1 * max(behind, front - behind, right, left - right)
    return max(MIN_VIEW, room, VIEW_MARGIN * shown)


def _fold(x: np.ndarray, y: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points pulled in along their direction so none lies beyond EDGE·radius; and which were moved."""
    reach = np.maximum(np.abs(x), np.abs(y))
    scale = np.minimum(1.0, EDGE * radius / np.maximum(reach, 1e-12))
    return x * scale, y * scale, scale < 1.0


def _moving_track(x: np.ndarray, y: np.ndarray, radius: float) -> tuple[slice, np.ndarray, np.ndarray, np.ndarray]:
    """(which samples, x, y, pulled in) of a moving source's track as drawn: the samples of its line inside the view when
    there are any; else the whole line scaled towards the listener until its nearest point lies at the edge (still a line)."""
    reach = np.maximum(np.abs(x), np.abs(y))
    inside = np.flatnonzero(reach <= EDGE * radius)
    if inside.size:
        part = slice(int(inside[0]), int(inside[-1]) + 1)
        return part, x[part], y[part], np.zeros(inside[-1] + 1 - inside[0], dtype=bool)
    scale = EDGE * radius / max(float(reach.min()), 1e-12)
    return slice(None), x * scale, y * scale, np.ones(x.size, dtype=bool)


def draw_map(ax: Axes, scene: Scene, colors: dict[str, tuple]) -> None:
    """Top view: room outline, range rings, listener, and each source (moving ones as arrows along their path)."""
    tracks3 = {event.id: _event_track(event) for event in scene.events}
    tracks = {key: to_map(*track) for key, track in tracks3.items()}
    radius = _view_radius(scene, tracks, {e.id: float(np.min(tracks3[e.id][2])) for e in scene.events if e.moves})
    ax.set_xlim(-radius, radius)
    ax.set_ylim(-radius, radius)
    ax.set_aspect("equal")
    _draw_frame(ax, scene, radius)
    folded_any = False
    for event in scene.events:
        azimuth, elevation, distance = tracks3[event.id]
        x, y, folded = _fold(*tracks[event.id], radius)
        folded_any |= bool(folded.any())
        color = colors[event.id]
        if event.diffuse:  # all around the listener: a ring at its distance
            ring = min(distance[0], EDGE * radius)
            ax.add_patch(Circle((0.0, 0.0), ring, fill=False, ls=":", lw=2.0, color=color, gid=f"diffuse:{event.id}"))
            _label_point(ax, 0.0, -ring, radius, f"{event.id}\nall around, {distance[0]:.1f} m", color)
            continue
        if event.moves:
            part, x, y, folded = _moving_track(*tracks[event.id], radius)
            distance = distance[part]
            ax.plot(x, y, color=color, lw=2.0, alpha=0.85, gid=f"path:{event.id}", solid_capstyle="round")
            tail = np.flatnonzero(np.hypot(x - x[-1], y - y[-1]) > 0.05 * radius)
            if tail.size:
                ax.annotate("", xy=(x[-1], y[-1]), xytext=(x[tail[-1]], y[tail[-1]]),
                            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2.0, "mutation_scale": 18})
            closest = int(np.argmin(distance))
            if 0 < closest < distance.size - 1:
                ax.plot(x[closest], y[closest], marker="x", ms=8, mew=2.0, color=color, ls="none", gid=f"closest:{event.id}", zorder=5)
                ax.annotate(f"closest {distance[closest]:.1f} m", (x[closest], y[closest]), xytext=(4, -11), textcoords="offset points",
                            fontsize=7, color=color)
        marker = elevation[part][0] if event.moves else elevation[0]
        ax.plot(x[:1], y[:1], marker=_elevation_marker(marker), ms=11, color=color, mec="black", mew=0.7, ls="none",
                gid=f"source:{event.id}", zorder=5)
        full = tracks3[event.id][2]
        label = f"{event.id}\naz {azimuth[0]:+.0f}°  el {elevation[0]:+.0f}°  {full[0]:.1f} m"
        if event.moves:
            label += f"\n→ az {azimuth[-1]:+.0f}°  el {elevation[-1]:+.0f}°  {full[-1]:.1f} m"
        if folded[0]:
            label += "  (off scale)"
        _label_point(ax, x[0], y[0], radius, label, color)
    notes = []
    if folded_any:
        notes.append(f"sources beyond {EDGE * radius:.0f} m drawn at the edge")
    ax.figure.legend(handles=[Line2D([], [], marker=m, color="0.35", ls="none", ms=7, label=t) for m, t in
                              (("^", f"above ear level (el > {EAR_LEVEL:.0f}°)"), ("o", "near ear level"), ("v", f"below (el < -{EAR_LEVEL:.0f}°)"))],
                     loc="outside lower left", ncols=3, title="; ".join(notes) or None, title_fontsize=8)  # below the map: it covers no label
    ax.set_title("Top view: front up, left on the left")
    ax.set_xlabel("← left (az +90°)          metres          right (az −90°) →")
    ax.set_ylabel("← behind (az 180°)          metres          front (az 0°) →")


def _draw_frame(ax: Axes, scene: Scene, radius: float) -> None:
    """Room outline, range rings, direction labels and the listener's head."""
    if scene.room is not None:
        front, left, height = scene.room.dimensions
        behind, right, _ = scene.room.listener_position()  # metres from the back right floor corner to the listener
        ax.add_patch(Rectangle((-(left - right), -behind), left, front, facecolor="0.94", edgecolor="0.45", lw=1.2, gid="room", zorder=0))
        ax.text(right, front - behind, f"room {front:g} × {left:g} × {height:g} m, RT60 {scene.room.rt60:g} s ", va="top", ha="right",
                fontsize=8, color="0.3", clip_on=True)
    rings = [r for r in RINGS if radius / 8 <= r <= radius * 0.95]
    for ring in rings:
        ax.add_patch(Circle((0, 0), ring, fill=False, ls=":", lw=0.8, edgecolor="0.6", zorder=1))
        ax.text(ring * math.cos(math.radians(62)), ring * math.sin(math.radians(62)), f"{ring:g} m", fontsize=7, color="0.5")
    head = radius * 0.035
    ax.add_patch(Polygon([(-0.45 * head, 0.85 * head), (0.45 * head, 0.85 * head), (0, 1.6 * head)], color="0.2", zorder=6))
    for side in (-1, 1):
        ax.add_patch(Ellipse((side * head, 0), 0.45 * head, 0.9 * head, color="0.2", zorder=6))
    ax.add_patch(Circle((0, 0), head, facecolor="white", edgecolor="0.2", lw=1.5, zorder=7, gid="listener"))


def _elevation_marker(elevation: float) -> str:
    return "^" if elevation > EAR_LEVEL else "v" if elevation < -EAR_LEVEL else "o"


def _label_point(ax: Axes, x: float, y: float, radius: float, text: str, color: tuple) -> None:
    """A label beside a point, away from the listener, turned inwards near the map's edge so it stays inside."""
    right = x >= 0 if abs(x) < 0.4 * radius else x < 0
    up = y >= 0 if abs(y) < 0.6 * radius else y < 0
    ax.annotate(text, (x, y), xytext=(10 if right else -10, 8 if up else -8), textcoords="offset points", fontsize=7.5, color="black",
                ha="left" if right else "right", va="bottom" if up else "top", zorder=8,
                bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": color, "lw": 1.0, "alpha": 0.85})


def draw_timeline(ax: Axes, scene: Scene, colors: dict[str, tuple], end: float) -> None:
    """One bar per event from its start to its end (seconds), labelled with its id and description."""
    count = len(scene.events)
    for row, event in enumerate(scene.events):
        y = count - 1 - row
        ax.barh(y, event.duration, left=event.start, height=0.62, color=colors[event.id], alpha=0.55, edgecolor=colors[event.id], lw=1.4,
                gid=event.id)
        description = event.description if len(event.description) <= 48 else event.description[:47] + "…"
        moving = "  (moving)" if event.moves else ""
        ax.text(event.start + 0.01 * end, y, f"{description}{moving}", va="center", ha="left", fontsize=8, clip_on=True)
    ax.set_yticks(range(count), [event.id for event in reversed(scene.events)])
    ax.set_ylim(-0.6, count - 0.4)
    ax.set_xlim(0.0, end)
    if end > scene.end + TAIL_MARK:
        ax.axvline(scene.end, color="0.4", ls="--", lw=0.8)
        ax.text(scene.end, count - 0.45, " last event ends", fontsize=7, color="0.4", va="top")
    ax.set_title("Timeline")
    ax.set_xlabel("time (s)")
    ax.grid(axis="x", alpha=0.3)


def draw_waveform(ax: Axes, binaural: np.ndarray, sample_rate: int) -> None:
    """Peak envelopes over time: the left ear upwards, the right ear downwards."""
    n = binaural.shape[-1]
    starts = np.linspace(0, n, min(WAVEFORM_BINS, n) + 1).astype(int)[:-1]
    times = np.append(starts, n) / sample_rate
    peaks = np.maximum.reduceat(np.abs(binaural), starts, axis=-1)
    for sign, peak, name, color in ((1, peaks[0], "left ear (up)", "#1f77b4"), (-1, peaks[1], "right ear (down)", "#d62728")):
        ax.stairs(sign * peak, times, baseline=0.0, fill=True, color=color, alpha=0.75, label=name, gid=f"waveform:{name.split()[0]}")
    top = float(peaks.max()) or 1.0
    ax.set_ylim(-1.08 * top, 1.08 * top)
    ax.axhline(0.0, color="0.3", lw=0.6)
    ax.set_ylabel("peak amplitude")
    ax.set_title("Binaural waveform")
    ax.legend(loc="upper right", ncols=2)
    ax.tick_params(labelbottom=False)


def draw_spectrogram(ax: Axes, binaural: np.ndarray, sample_rate: int) -> None:
    """Spectrogram (dB, 80 dB range) of the mean of both ears, 0 Hz to Nyquist, pooled to at most SPECTROGRAM_PIXELS."""
    mono = binaural.mean(axis=0)
    hop = SPECTROGRAM_FRAME // 2
    if mono.size < SPECTROGRAM_FRAME:
        mono = np.pad(mono, (0, SPECTROGRAM_FRAME - mono.size))
    frames = np.lib.stride_tricks.sliding_window_view(mono, SPECTROGRAM_FRAME)[::hop]
    power = np.abs(np.fft.rfft(frames * np.hanning(SPECTROGRAM_FRAME), axis=-1)) ** 2
    power = _pool(_pool(power, SPECTROGRAM_PIXELS[0], axis=0), SPECTROGRAM_PIXELS[1], axis=1)
    db = 10 * np.log10(power.T + 1e-12)
    db = np.maximum(db, db.max() - 80.0)
    seconds = frames.shape[0] * hop / sample_rate
    image = ax.imshow(db, origin="lower", aspect="auto", extent=(0.0, seconds, 0.0, sample_rate / 2000), cmap="magma", interpolation="nearest")
    image.set_gid("spectrogram")
    ax.set_ylabel("frequency (kHz)")
    ax.set_xlabel("time (s)")
    ax.set_title("Spectrogram (both ears, dB)")
    ax.figure.colorbar(image, cax=ax.inset_axes((1.01, 0.0, 0.012, 1.0)), label="dB")


def _pool(values: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Means over runs of neighbours along `axis`, at most `size` of them, covering every value."""
    n = values.shape[axis]
    edges = np.linspace(0, n, min(size, n) + 1).astype(int)
    shape = [1] * values.ndim
    shape[axis] = -1
    return np.add.reduceat(values, edges[:-1], axis=axis) / np.diff(edges).reshape(shape)


def plot_file(scene_path: str | Path, output: str | Path, audio: str | Path | None = None) -> Path:
    """Plot a scene file to a PNG, PDF or SVG (by `output`'s extension); with `audio`, a binaural file of it under the
    timeline. The output is checked against both inputs before anything is read."""
    from cascade.audio import audio_fault, read_audio
    from cascade.errors import SceneError
    from cascade.result import check_outputs
    from cascade.scene import Scene

    check_outputs({"plot": Path(output)}, [Path(p) for p in (scene_path, audio) if p is not None])
    figure_format(output)
    scene = Scene.load(scene_path)
    binaural = rate = None
    if audio is not None:
        try:
            binaural, rate = read_audio(audio)
        except (OSError, RuntimeError) as err:
            raise SceneError(f"cannot read audio {audio}: {str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
        if binaural.shape[0] != 2:
            raise SceneError(f"--audio must be a binaural (2-channel) file; {audio} has {binaural.shape[0]} channel(s)")
        fault = audio_fault(binaural)
        if fault is not None:
            raise SceneError(f"--audio {audio} cannot be drawn: {fault}")
    return save_figure(scene_figure(scene, binaural, rate), output)
