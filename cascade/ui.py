"""`cascade ui`: a local web app (Gradio) to type a scene, edit its events, render, listen, look and download.

It binds to 127.0.0.1 unless told otherwise, sends no analytics, makes no share link and loads
nothing from the network (Gradio's fonts and scripts are served from the package itself). User errors
show the one line the command line prints for the same input.
"""

from __future__ import annotations

import html
import os
import re
import socket
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cascade
import planners
import renderers
from cascade import generators, progress
from cascade.errors import CascadeError, OptionError, SceneError
from cascade.limits import SAMPLE_RATES
from cascade.scene import Scene

if TYPE_CHECKING:
    from cascade.result import RenderResult

EXAMPLE = "a dog barks behind, then a bird on the right"
AUTO = "auto"
NO_LIBRARY = "(none)"
COLUMNS = ("id", "description", "start (s)", "duration (s)", "azimuth (°)", "elevation (°)", "distance (m)", "gain (dB)",
           "path: time az el dist; …", "all around", "mute", "solo")
DATATYPES = ("str", "str", "number", "number", "number", "number", "number", "number", "str", "bool", "bool", "bool")
COLUMN_WIDTHS = ("7%", "21%", "6%", "7%", "7%", "7%", "7%", "6%", "17%", "6%", "4.5%", "4.5%")  # all twelve within the page
DISTANCE, PATH, MUTE, SOLO = 6, 8, 10, 11  # column indices
PATH_TEXT = re.compile(r"(?<![\w.~/])~?/[^\s,;()'\"]*")  # an absolute path inside a message
NUMBER_FIELDS = ("start", "duration", "position.azimuth", "position.elevation", "position.distance", "gain_db")
DEFAULT_ROOM = (6.0, 4.0, 3.0, 0.5)  # x front, y left, z up (m), RT60 (s): shown while the scene has no room
CSS = """
#status .error { color: #b91c1c; font-weight: 600; }
#status .ok { color: #166534; }
#status div { font-family: var(--font-mono); font-size: 0.9em; padding: 2px 4px; }
"""


# --- scene <-> table ----------------------------------------------------------------------------------
def scene_rows(scene: Scene) -> list[list[Any]]:
    """One table row per event: id, description, start, duration, azimuth, elevation, distance, gain, path, diffuse,
    and mute and solo (unticked)."""
    rows = []
    for event in scene.events:
        p = event.position
        path = "; ".join(f"{k.time:g} {k.position.azimuth:g} {k.position.elevation:g} {k.position.distance:g}" for k in event.trajectory or [])
        rows.append([event.id, event.description, event.start, event.duration, p.azimuth, p.elevation, p.distance, event.gain_db, path,
                     event.diffuse, False, False])
    return rows


def _number(value: Any, where: str) -> float:
    if value is None or not str(value).strip():
        raise SceneError(f"{where}: the cell is empty; it needs a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SceneError(f"{where}: must be a number, got {value!r}") from None


def _path(text: str, where: str) -> list[dict] | None:
    """Keyframes from 'time azimuth elevation distance; …' (s, degrees, degrees, m); None when blank."""
    keys = [key.split() for key in str(text or "").split(";") if key.strip()]
    if not keys:
        return None
    frames = []
    for key in keys:
        if len(key) != 4:
            raise SceneError(f"{where}: each keyframe is 'time azimuth elevation distance' (s, °, °, m), got '{' '.join(key)}'")
        time, azimuth, elevation, distance = (_number(v, where) for v in key)
        frames.append({"time": time, "position": {"azimuth": azimuth, "elevation": elevation, "distance": distance}})
    return frames


def _flag(value: Any) -> bool:
    """A table's checkbox cell, which may arrive as a bool or as text."""
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def _filled(rows: list[list[Any]] | None) -> list[list[Any]]:
    """The rows with at least one cell filled in."""
    return [row for row in rows or [] if any(v is not None and not isinstance(v, bool) and str(v).strip() for v in row)]


def table_scene(rows: list[list[Any]], base: dict[str, Any], room: dict[str, float] | None, seed: Any, sample_rate: Any) -> Scene:
    """A validated Scene from the table's rows and the scene-level settings; raises SceneError naming the field."""
    events: list[dict[str, Any]] = []
    for row in _filled(rows):
        i = len(events)
        row = list(row) + [None] * (len(COLUMNS) - len(row))
        start, duration, azimuth, elevation, distance, gain = (_number(v, f"events.{i}.{f}") for v, f in zip(row[2:8], NUMBER_FIELDS))
        events.append({"id": str(row[0] or "").strip(), "description": str(row[1] or "").strip(), "start": start, "duration": duration,
                       "position": {"azimuth": azimuth, "elevation": elevation, "distance": distance}, "gain_db": gain,
                       "trajectory": _path(row[8], f"events.{i}.trajectory"), "diffuse": _flag(row[9])})
    data = {**base, "events": events, "room": room, "seed": seed, "sample_rate": sample_rate}
    return Scene.from_dict(data)


def heard(scene: Scene, rows: list[list[Any]]) -> Scene:
    """The scene with only the events to hear: every event whose row is not muted, or only the soloed ones when any
    row is soloed; SceneError when that leaves none."""
    flags = [(list(row) + [None] * len(COLUMNS))[MUTE : SOLO + 1] for row in _filled(rows)]
    solo = any(_flag(s) for _, s in flags)
    keep = [e for e, (m, s) in zip(scene.events, flags) if (_flag(s) if solo else not _flag(m))]
    if not keep:
        raise SceneError("every event is muted; untick mute, or tick solo, for at least one")
    return scene if len(keep) == len(scene.events) else scene.replace(events=keep)


def follow_distance(before: list[list[Any]] | None, rows: list[list[Any]]) -> list[list[Any]]:
    """The rows with each moving source's path scaled by the ratio of its new distance to its old one, where only the
    distance cell of that row changed since `before`: the whole path moves out or in, not just its start."""
    out = [list(row) for row in rows]
    for i, (old, row) in enumerate(zip(before or [], out)):
        if len(old) <= PATH or len(row) <= PATH or old[0] != row[0] or old[PATH] != row[PATH] or not str(row[PATH] or "").strip():
            continue
        try:
            ratio = float(row[DISTANCE]) / float(old[DISTANCE])
            keys = [[float(v) for v in key.split()] for key in str(row[PATH]).split(";") if key.strip()]
        except (TypeError, ValueError, ZeroDivisionError):
            continue  # a cell that is not a number yet: validation names it
        if ratio > 0 and ratio != 1 and all(len(key) == 4 for key in keys):
            out[i][PATH] = "; ".join(f"{t:g} {az:g} {el:g} {d * ratio:.4g}" for t, az, el, d in keys)
    return out


def _room(enabled: bool, front: Any, left: Any, up: Any, rt60: Any) -> dict[str, Any] | None:
    return {"dimensions": [front, left, up], "rt60": rt60} if enabled else None


def planned_fields(scene: Scene) -> list[Any]:
    """Table rows, then the room controls (on, x, y, z, RT60) for a planned scene."""
    room = [True, *scene.room.dimensions, scene.room.rt60] if scene.room else [False, *DEFAULT_ROOM]
    return [scene_rows(scene), *room]


def _base(scene: Scene) -> dict[str, Any]:
    """The planned scene's fields the controls do not show: its text and fixed length."""
    return scene.model_dump(mode="json", include={"text", "duration"}, exclude_none=True)


# --- the work -------------------------------------------------------------------------------------
_PIPELINES: dict[tuple[str, str, str | None, int], cascade.Cascade] = {}


def offered_folder(library: Any, offered: tuple[str, ...]) -> str | None:
    """The sound folder chosen in the app: one of `offered` (the folders `cascade ui --library` named), or None for
    none; OptionError for any other value, so a request cannot make the app read or write another folder."""
    if library in (None, "", NO_LIBRARY):
        return None
    if library not in offered:
        choices = ", ".join(offered) or "none; start the app with --library FOLDER to offer one"
        raise OptionError(f"library must be one of the folders this app offers ({choices}), got {str(library)[:200]!r}")
    return str(library)


def render(scene: Scene, generator: str, renderer: str, library: str | None = None) -> RenderResult:
    """Render a validated scene with the chosen backends (the one place the app renders); one pipeline object per
    choice of backends, so models load once and an edit re-renders only the events that changed."""
    folder = library if generator == "library" and library else None
    key = (generator, renderer, folder, scene.sample_rate)
    if key not in _PIPELINES:
        options = {"library": {"folder": folder}} if folder else {}
        _PIPELINES[key] = cascade.Cascade(generator=generator, renderer=renderer, sample_rate=scene.sample_rate,
                                          generator_options=options)
    return _PIPELINES[key](scene)


def write_outputs(result: RenderResult, folder: Path) -> dict[str, Path]:
    """Binaural, AmbiX, stems (one zip), resolved scene JSON and the plot, written into `folder`."""
    binaural = folder / "scene.wav"
    result.save_all(binaural, stems=True)
    stems = folder / "scene_stems.zip"
    with zipfile.ZipFile(stems, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted((folder / "scene_stems").glob("*.wav")):
            archive.write(file, f"scene_stems/{file.name}")
    result.plot(folder / "scene.png")
    return {"binaural": binaural, "foa": folder / "scene_foa.wav", "stems": stems, "scene": folder / "scene.json", "plot": folder / "scene.png"}


def _status(text: str, error: bool = False) -> str:
    """The status line(s) as HTML: green, or red for an error; a path on the server shows only its last name."""
    text = PATH_TEXT.sub(lambda m: "…/" + Path(m.group()).name if Path(m.group()).name else m.group(), text)
    return "".join(f'<div class="{"error" if error else "ok"}">{html.escape(line)}</div>' for line in text.splitlines())


def _error(err: CascadeError) -> str:
    return _status(f"error: {err}", error=True)


def port_free(host: str, port: int) -> bool:
    """Whether the server could listen on host:port (with SO_REUSEADDR, as it does: closed connections don't count)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _gradio():
    """The gradio module, with its analytics (and the version check that goes with them) switched off for this process."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    try:
        import gradio
    except ImportError:
        raise CascadeError('the web app needs Gradio: pip install -e ".[ui]"') from None
    return gradio


def build_app(workdir: Path, libraries: tuple[str, ...] = ()):
    """The Gradio Blocks app; rendered files go into folders under `workdir`; `libraries` are the sound folders it
    offers (absolute paths), the only ones it reads. Dropdowns take any value and the work checks it, so a request
    with a value outside the choices gets the one-line error the command line prints."""
    gr = _gradio()

    def new_folder() -> Path:
        return Path(tempfile.mkdtemp(prefix="render-", dir=workdir))

    def preview(scene: Scene) -> str:
        from cascade.plot import save_figure, scene_figure

        return str(save_figure(scene_figure(scene), new_folder() / "scene.png"))

    def plan(text: str, planner: str, progress=gr.Progress()):  # noqa: B008 (Gradio finds its tracker by this default)
        """Text -> table, room fields and map; the planned scene's own fields are kept in the state."""
        progress(0.0, desc="planning")
        try:
            scene = cascade.plan_scene(text, planner=planner)
        except CascadeError as err:
            return [gr.update()] * 7 + [_error(err), gr.update(), gr.update(), gr.update()]
        fields = planned_fields(scene)
        return [*fields, preview(scene), _status(f"planned {len(scene.events)} event(s), {scene.end:.1f} s; edit the table, then render"),
                text, _base(scene), fields[0]]

    def edited(rows, before, base, room_on, front, left, up, rt60, seed, rate):
        """After each edit: a moving source's path follows its new distance; validate the table and redraw the map, or
        show what is wrong."""
        rows = follow_distance(before, rows)
        table = rows if any(a[PATH] != b[PATH] for a, b in zip(rows, before or []) if len(a) > PATH and len(b) > PATH) else gr.update()
        try:
            scene = table_scene(rows, base, _room(room_on, front, left, up, rt60), seed, rate)
        except CascadeError as err:
            return gr.update(), _error(err), table, rows
        return preview(scene), _status(f"{len(scene.events)} event(s), {scene.end:.1f} s; render to hear it"), table, rows

    def run(text, planned, base, rows, planner, generator, renderer, rate, seed, room_on, front, left, up, rt60, library,
            progress=gr.Progress(track_tqdm=True)):  # noqa: B008
        """Plan first when the table is empty or the text changed since it was filled, then render, write and show everything
        (the table as rendered included, so the page shows what was heard)."""
        fields = [rows, *[gr.update()] * 5]
        try:
            if not _filled(rows) or (text.strip() and text != planned):
                progress(0.0, desc="planning")
                planned_scene = cascade.plan_scene(text, planner=planner)
                planned, base, fields = text, _base(planned_scene), planned_fields(planned_scene)
                rows, room_on, front, left, up, rt60 = fields
            scene = heard(table_scene(rows, base, _room(room_on, front, left, up, rt60), seed, rate), rows)
            progress(0.05, desc="rendering")
            result = render(scene, generator, renderer, offered_folder(library, libraries))
            progress(0.9, desc="writing files")
            files = write_outputs(result, new_folder())
        except CascadeError as err:
            return [None, gr.update(), None, *fields, _error(err), planned, base, rows]
        timing = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
        left_out = len(_filled(rows)) - len(result.scene.events)
        muted = f" ({left_out} muted)" if left_out else ""
        message = "\n".join([f"rendered {len(result.scene.events)} event(s){muted}, {result.duration:.1f} s at {result.sample_rate} Hz ({timing})",
                             *result.notes])
        downloads = [str(files[k]) for k in ("binaural", "foa", "stems", "scene", "plot")]
        return [str(files["binaural"]), str(files["plot"]), downloads, *fields, _status(message), planned, base, rows]

    with gr.Blocks(title="text2spatial cascade", analytics_enabled=False, delete_cache=(1800, 3600)) as app:
        gr.Markdown("## text2spatial cascade\nType a scene, check and edit its events, render, listen on headphones, download.")
        planned = gr.State("")
        base = gr.State({})
        shown = gr.State([])  # the table as the app last saw it, to tell which cell an edit changed
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="Scene description", placeholder=EXAMPLE, lines=1, max_lines=3, elem_id="text")
                with gr.Row():
                    plan_button = gr.Button("Plan", elem_id="plan")
                    render_button = gr.Button("Render", variant="primary", elem_id="render")
                status = gr.HTML(elem_id="status")
            with gr.Column(scale=2):
                with gr.Row():
                    planner = gr.Dropdown(planners.names(), value="rules", label="Planner", allow_custom_value=True)
                    generator = gr.Dropdown([AUTO, *generators.names()], value=AUTO, label="Generator", allow_custom_value=True)
                    renderer = gr.Dropdown(renderers.names(), value="hrtf", label="Renderer", allow_custom_value=True)
                with gr.Row():
                    rate = gr.Dropdown(list(SAMPLE_RATES), value=44100, label="Sample rate (Hz)", allow_custom_value=True)
                    seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                library = gr.Dropdown([NO_LIBRARY, *libraries], value=NO_LIBRARY, allow_custom_value=True,
                                      label="Sound folder (library generator; offer folders with cascade ui --library)")
                with gr.Accordion("Room (shoebox; the listener stands at its centre)", open=False, elem_id="room"):
                    room_on = gr.Checkbox(False, label="Room", elem_id="room-on")
                    with gr.Row():
                        front = gr.Number(DEFAULT_ROOM[0], label="x, front (m)", elem_id="room-x")
                        left = gr.Number(DEFAULT_ROOM[1], label="y, left (m)")
                        up = gr.Number(DEFAULT_ROOM[2], label="z, up (m)")
                        rt60 = gr.Number(DEFAULT_ROOM[3], label="RT60 (s)")
        events = gr.Dataframe(headers=list(COLUMNS), datatype=list(DATATYPES), type="array", interactive=True, label="Events (edit any cell)",
                              elem_id="events", wrap=True, column_widths=list(COLUMN_WIDTHS))
        with gr.Row():
            audio = gr.Audio(label="Binaural (headphones)", type="filepath", interactive=False, elem_id="audio", buttons=["download"],
                             waveform_options=gr.WaveformOptions(show_recording_waveform=False))
            downloads = gr.File(label="Downloads: binaural, AmbiX, stems, scene JSON, plot", file_count="multiple", interactive=False,
                                elem_id="downloads")
        plot = gr.Image(label="Scene", type="filepath", interactive=False, elem_id="plot", buttons=["download", "fullscreen"])

        fields = [events, room_on, front, left, up, rt60]
        plan_inputs = [text, planner]
        plan_outputs = [*fields, plot, status, planned, base, shown]
        one_at_a_time = {"show_progress_on": status, "concurrency_id": "work"}  # renders are CPU-bound; matplotlib's style is global
        plan_button.click(plan, plan_inputs, plan_outputs, **one_at_a_time)
        text.submit(plan, plan_inputs, plan_outputs, **one_at_a_time)
        events.input(edited, [events, shown, base, room_on, front, left, up, rt60, seed, rate], [plot, status, events, shown], **one_at_a_time)
        render_button.click(run, [text, planned, base, events, planner, generator, renderer, rate, seed, room_on, front, left, up, rt60, library],
                            [audio, plot, downloads, *fields, status, planned, base, shown], **one_at_a_time)
    return app


def _unknown_endpoint(request: Any, err: Exception) -> Any:
    """A request for an endpoint the app does not have: 404 and one line naming the endpoints it has."""
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": f"{str(err)[:200]}; this app's endpoints are /plan, /edited and /run"}, status_code=404)


def serve(host: str = "127.0.0.1", port: int = 7860, libraries: list[str] | None = None) -> None:
    """Run the app until interrupted; warns when `host` makes it reachable from other machines. `libraries`: sound
    folders the app offers to the library generator (no other folder is read). Everything the app and Gradio write
    (renders, uploads, Gradio's cache) goes into one temporary folder, removed when the app stops; uploads are refused."""
    if not port_free(host, port):
        raise CascadeError(f"cannot listen on {host}:{port}: the port is in use or the address is not this machine's; choose another with --port or --host")
    offered = []
    for folder in libraries or []:
        if not Path(folder).expanduser().is_dir():
            raise OptionError(f"--library {folder} is not a folder; pass a folder of wav/flac/ogg files")
        offered.append(str(Path(folder).expanduser().resolve()))
    with tempfile.TemporaryDirectory(prefix="cascade-ui-") as workdir:
        os.environ["GRADIO_TEMP_DIR"] = str(Path(workdir) / "gradio")  # read when Gradio is imported and when it writes
        gr = _gradio()
        from gradio.route_utils import FnIndexInferError

        progress.configure("bar")  # Gradio's page follows the pipeline's bars
        if host not in ("127.0.0.1", "localhost", "::1"):
            print(f"cascade ui: listening on {host}: other machines on your network can reach this app")
        app = build_app(Path(workdir), tuple(offered))
        app.queue(default_concurrency_limit=1)
        print(f"cascade ui: open http://{'[' + host + ']' if ':' in host else host}:{port} in a browser; Ctrl-C stops", flush=True)
        app.launch(server_name=host, server_port=port, share=False, inbrowser=False, show_error=True, quiet=True, footer_links=["api", "settings"],
                   allowed_paths=[workdir], ssr_mode=False, pwa=False, mcp_server=False, run_history=False, enable_monitoring=False,
                   theme=gr.themes.Default(), css=CSS, max_file_size=0, app_kwargs={"exception_handlers": {FnIndexInferError: _unknown_endpoint}},
                   _frontend=False)  # skips Gradio's self-check (HEAD / within 3 s), which fails on a busy CPU and ends the server
