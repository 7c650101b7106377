"""`cascade` command line: plan, render, plot, ui, dataset, cache, schema, bench, models, train-nfs, train-e2e.

Backend choices, their help and their option flags come from the registries. Every user error
prints one line, `cascade: error: ...`, and exits with status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import warnings
from importlib import import_module
from pathlib import Path
from typing import Any, NoReturn

import planners
import renderers
from cascade import generators, progress
from cascade.errors import CascadeError, OptionError, OutputError
from cascade.limits import LOUDNESS_RANGE, SAMPLE_RATES
from cascade.registry import Registry
from cascade.scene import json_schema
from cascade.seeds import MAX_SEED

EXIT_USAGE = 2
Flags = argparse.ArgumentParser | argparse._ArgumentGroup  # where flags are added: a parser or one group of its help

BENCHMARKS = {
    "speed": "benchmarks.cascade_speed",
    "planner": "benchmarks.planner_eval",
    "renderers": "benchmarks.renderer_fidelity",
    "renderer-speed": "benchmarks.renderer_speed",
    "generators": "benchmarks.generator_speed",
    "rooms": "benchmarks.room_acoustics",
    "mix-levels": "benchmarks.mix_levels",
    "dataset": "benchmarks.dataset_speed",
    "e2e-codec": "benchmarks.e2e_codec",
    "e2e-spatial": "benchmarks.e2e_spatial",
    "e2e-speed": "benchmarks.e2e_speed",
    "compare": "benchmarks.compare",
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `cascade: error: ...` and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"cascade: error: {message}; see `{self.prog} --help`", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**63), got {text!r}") from None
    if not 0 <= value < MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**63), got {text}")
    return value


def _loudness(text: str) -> float:
    low, high = LOUDNESS_RANGE
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be a number of LUFS in [{low:g}, {high:g}], got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in [1, 65535], got {value}")
    return value


def _backend_flags(parser: Flags, registry: Registry[Any], flag: str, default_help: str, options: Flags | None = None) -> None:
    """`--generator` etc. with the registry's names as choices, and one flag per option any of its backends declares
    (a flag several backends share, such as --device, is added once and reaches each of them), into `options` if given."""
    parser.add_argument(flag, choices=registry.names(), metavar=registry.kind.upper(), help=f"{default_help}. {registry.help()}")
    options = parser if options is None else options
    for entry in registry:
        for option in entry.options:
            if option.flag is None or option.flag in options._option_string_actions:
                continue
            if option.switch:
                options.add_argument(option.flag, action="store_true", default=None, help=option.help)
            else:
                options.add_argument(option.flag, type=option.type, choices=option.choices, metavar=option.metavar, help=option.help)


def _backend_options(args: argparse.Namespace, registry: Registry[Any]) -> dict[str, dict[str, Any]]:
    """Backend name -> the options its flags set on this command line."""
    options: dict[str, dict[str, Any]] = {}
    for entry in registry:
        chosen = {o.name: getattr(args, o.dest) for o in entry.options if o.flag is not None and getattr(args, o.dest, None) is not None}
        if chosen:
            options[entry.name] = chosen
    return options


def _version() -> str:
    """The installed distribution's version, or "unknown" when the code runs from a checkout that is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("text2spatial-cascade")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cascade", description="Turn a written scene into binaural and first-order ambisonics audio.")
    parser.add_argument("--version", action="version", version=f"cascade {_version()}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=_Parser)

    plan = verbs.add_parser("plan", help="text -> scene JSON", description="Plan a scene from text and print or save its JSON.")
    plan.add_argument("text", help="scene description, e.g. 'a dog barks behind, then a bird on the right'")
    plan.add_argument("-o", "--output", type=Path, help="scene file to write (default: print to stdout)")
    _backend_flags(plan, planners.REGISTRY, "--planner", "text -> scene backend (default: rules)")

    render = verbs.add_parser("render", help="text or scene.json -> binaural + AmbiX WAV",
                              description="Render a text or a scene file. Writes OUT (binaural), OUT_foa.wav (AmbiX: W,Y,Z,X, SN3D) "
                                          "and OUT.json (the resolved scene).")
    files = render.add_argument_group("input/output")
    files.add_argument("input", help="a scene description, or a path to a .json scene file")
    files.add_argument("-o", "--output", type=Path, default=Path("scene.wav"),
                       help="binaural file to write; its extension picks the container: .wav, .flac, .ogg, .opus, .mp3 (stereo only), .aiff, .caf, .w64, .rf64 (default: scene.wav)")
    files.add_argument("--stems", action="store_true", help="also write each event's binaural and AmbiX stem into OUT_stems/")
    files.add_argument("--fuma", action="store_true", help="also write OUT_fuma.wav (FuMa channel order and normalisation)")
    files.add_argument("--bit-depth", choices=["16", "24", "32f"], help="sample format where the container takes one (default 24-bit PCM)")
    files.add_argument("-q", "--quiet", action="store_true", help="print only errors (no notes, progress or warnings)")
    backends = render.add_argument_group("backends")
    backends.add_argument("--pipeline", choices=["cascade", "end-to-end"], default="cascade",
                          help="cascade (planner, generator, spatializer, mixer; default) or end-to-end (the latent diffusion "
                               "model that generates FOA from text and spatial parameters; binaural decoded from its FOA)")
    backend_options = render.add_argument_group("backend options", "each reaches the backends that take it; the others ignore it")
    _backend_flags(backends, planners.REGISTRY, "--planner", "text -> scene backend (default: rules)", backend_options)
    _backend_flags(backends, generators.REGISTRY, "--generator", "mono clip backend (default: what a scene file records, else auto)",
                   backend_options)
    _backend_flags(backends, renderers.REGISTRY, "--renderer", "binaural renderer (default: what a scene file records, else hrtf)",
                   backend_options)
    backend_options.add_argument("--e2e-mode", choices=["parametric", "descriptive"], default="parametric",
                                 help="end-to-end conditioning: a plain prompt plus numbers (parametric, default) or a spatial caption")
    backend_options.add_argument("--e2e-checkpoints", metavar="FOLDER", help="folder with dit_<mode>.pt (default: the shipped ones)")
    rendering = render.add_argument_group("room and rendering")
    sofa_renderers = ", ".join(e.name for e in renderers.REGISTRY if e.takes("sofa"))
    rendering.add_argument("--hrtf", metavar="SOFA", help=f"SOFA file for the {sofa_renderers} renderers (default: MIT KEMAR)")
    rendering.add_argument("--hrtf-eq", choices=["diffuse", "none"],
                           help="HRTF equalisation: diffuse-field, so headphones hear the timbre of the AmbiX W channel (default), "
                                "or none (the set as measured)")
    rendering.add_argument("--sample-rate", type=int, choices=SAMPLE_RATES, help="output rate in Hz (default: the scene's, 44100)")
    rendering.add_argument("--seed", type=_seed, help="scene seed (default: the scene's, 0); new clip seeds for every event "
                                                      "that has no seed of its own")
    rendering.add_argument("--loudness", type=_loudness, help="integrated loudness target of the binaural mix in LUFS, [-60, -5] (default -20)")
    rendering.add_argument("--mix", choices=["designed", "physical"],
                           help="designed: each event at the loudness of its role, then the distance model (default: what a scene file "
                                "records, else designed); physical: clips as generated, plain 1/r")
    rendering.add_argument("--no-cache", action="store_true", help="regenerate every clip instead of reusing cached ones")
    limits = render.add_argument_group("limits")
    limits.add_argument("--max-memory", type=float, metavar="GB",
                        help="refuse scenes estimated to need more memory than this (env CASCADE_MAX_MEMORY_GB; default 4)")

    plot = verbs.add_parser("plot", help="scene.json -> PNG: map of the sources and timeline of the events",
                            description="Draw a scene file: a top view of the listener and every source beside a timeline of the events.")
    plot.add_argument("scene", type=Path, help="a .json scene file (from cascade plan, or the one cascade render writes)")
    plot.add_argument("-o", "--output", type=Path, default=Path("scene.png"), help="PNG to write (default: scene.png)")
    plot.add_argument("--audio", type=Path, metavar="WAV", help="also draw this binaural WAV's waveform and spectrogram under the timeline")

    ui = verbs.add_parser("ui", help="local web app: type, edit, render, listen, download",
                          description="Serve the web app until interrupted (Ctrl-C). Nothing is sent anywhere; open the printed address in a browser.")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    ui.add_argument("--port", type=_port, default=7860, help="port to listen on (default: 7860)")
    ui.add_argument("--library", action="append", metavar="FOLDER", help="offer this sound folder to the library generator "
                    "(repeat for more); the app reads no other folder")

    dataset = verbs.add_parser("dataset", help="build a spatial audio training set", description="Draw many scenes from a distribution and "
                               "render them into a dataset folder (FOA, binaural, DCASE CSV, captions, metadata.jsonl).")
    dataset_verbs = dataset.add_subparsers(dest="dataset_verb", required=True, metavar="ACTION", parser_class=_Parser)
    build = dataset_verbs.add_parser("build", help="make items 0..N-1 in OUT (finished ones are kept)",
                                     description="Make items 0..N-1 of a dataset in OUT; rerunning skips finished items, a larger --n grows it.")
    build.add_argument("out", type=Path, metavar="OUT", help="dataset folder (made if missing)")
    build.add_argument("--n", type=_count, required=True, help="number of items")
    build.add_argument("--seed", type=_seed, help="dataset seed (default: the config's, 0)")
    build.add_argument("--config", type=Path, metavar="FILE", help="distribution to draw from, JSON or YAML (default: the folder's, "
                       "else the built-in default); see cascade.dataset.config")
    build.add_argument("--preset", choices=["starss23"], help="start from a preset config (not with --config): starss23 = 24 kHz, "
                       "16-bit PCM, 5 s items, the 13 STARSS23 classes in the label files")
    build.add_argument("--engine", choices=["local", "ray"], default="local", help="local processes (default) or Ray tasks")
    build.add_argument("--ray-address", metavar="ADDR", help="Ray cluster to join, e.g. auto or ray://head:10001 (default: start a local runtime)")
    build.add_argument("--workers", type=_positive, metavar="K", help="items rendered at once (default: every CPU this process may use)")
    build.add_argument("--library", type=Path, metavar="FOLDER", help="draw clips from your own sound folder (the library generator)")
    build.add_argument("-q", "--quiet", action="store_true", help="print only errors")

    verbs.add_parser("schema", help="print the scene file's JSON Schema")

    cache = verbs.add_parser("cache", help="show or clear the cache of clips and prepared HRIR sets",
                             description="The cache folder is $CASCADE_CACHE_DIR or ~/.cache/text2spatial; clips are kept under "
                                         "$CASCADE_CACHE_MAX_GB (default 2 GB), least recently used removed first.")
    cache.add_argument("action", choices=["info", "clear"], help="info: where it is and what it holds; clear: remove what the cache made (other files stay)")

    bench = verbs.add_parser("bench", help="run a benchmark", description="Run one of the benchmarks in benchmarks/; extra arguments go to it.")
    bench.add_argument("name", choices=sorted(BENCHMARKS), help="which benchmark")
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the benchmark (see cascade bench NAME --help)")

    models = verbs.add_parser("models", help="list or download model weights")
    models.add_argument("action", choices=["list", "download"], help="list what is installed where, or download (the only network use)")
    models.add_argument("model", nargs="?", choices=["tangoflux"], help="model to download")
    models.add_argument("--to", metavar="FOLDER", help="download into this folder instead of the Hugging Face cache")
    models.add_argument("--tangoflux-path", help="also look in this checkpoint folder (env CASCADE_TANGOFLUX_PATH)")
    models.add_argument("--text-encoder-weights", action="store_true",
                        help="also download FLAN-T5-large's own weights (3.1 GB; TangoFlux's checkpoint already holds its encoder)")

    # every argument, options included, goes to cascade.training.nfs ("+" keeps argparse from reading "--x" here)
    train = verbs.add_parser("train-nfs", help="train the Neural Fourier Shift renderer", add_help=False, prefix_chars="+")
    train.add_argument("rest", nargs=argparse.REMAINDER)
    train_e2e = verbs.add_parser("train-e2e", help="train the learned models (end-to-end DiTs, the flow generator): synth|dit|export",
                                 add_help=False, prefix_chars="+")
    train_e2e.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _input(argument: str) -> Path | str:
    """A scene file path when `argument` names an existing file (a pipe such as /dev/fd/63 included) or ends
    in .json; otherwise the text of a scene description, however long."""
    if not argument.strip() or "\n" in argument or len(argument.encode()) > 4096:
        return argument
    path = Path(argument)
    try:
        exists = path.exists()
    except OSError:  # a name too long for the file system is text
        return argument
    return path if exists or argument.strip().lower().endswith(".json") else argument


def _printable(text: str) -> str:
    """`text` with control characters (escape sequences, bells) shown as escapes, safe to print on a terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _plan(args: argparse.Namespace) -> int:
    from cascade.files import write_text
    from cascade.pipeline import plan_scene
    from cascade.result import check_outputs

    if args.output is not None:
        check_outputs({"scene": args.output}, [])
    planner = args.planner or "rules"
    scene = plan_scene(args.text, planner, **_backend_options(args, planners.REGISTRY).get(planner, {}))
    if args.output is None:
        print(scene.to_json())
    else:
        write_text(args.output, scene.to_json() + "\n")
        print(f"wrote {args.output} ({len(scene.events)} events, {scene.end:.2f} s)")
    return 0


def _render(args: argparse.Namespace) -> int:
    from cascade.pipeline import Cascade
    from cascade.result import check_outputs, container_notes, earlier_leftovers, output_paths

    if args.pipeline == "end-to-end":
        foreign = [flag for flag, value in (("--generator", args.generator), ("--renderer", args.renderer), ("--mix", args.mix))
                   if value is not None]
        if foreign:
            raise OptionError(f"{' and '.join(foreign)} belong to the cascade; the end-to-end pipeline generates FOA itself "
                              "and decodes it to binaural (drop them or use --pipeline cascade)")
    generator_options = _backend_options(args, generators.REGISTRY)
    generator = args.generator or ("library" if "folder" in generator_options.get("library", {}) else None)
    planner = args.planner or "rules"
    source = _input(args.input)
    inputs = [Path(p) for p in (args.hrtf, source if isinstance(source, Path) else None) if p is not None]
    check_outputs(output_paths(args.output, fuma=args.fuma, bit_depth=args.bit_depth), inputs, args.bit_depth)
    earlier_leftovers(output_paths(args.output, fuma=args.fuma, bit_depth=args.bit_depth))
    stem_folder = args.output.with_suffix("").with_name(args.output.stem + "_stems")
    if args.stems and stem_folder.exists() and not stem_folder.is_dir():
        raise OutputError(f"{stem_folder} exists and is not a folder; move it or choose another name with -o")
    planner_options = _backend_options(args, planners.REGISTRY).get(planner, {})
    pipe: Any
    if args.pipeline == "end-to-end":
        from cascade.end_to_end.pipeline import EndToEnd

        pipe = EndToEnd(mode=args.e2e_mode, checkpoint_dir=args.e2e_checkpoints, steps=args.steps, guidance=args.guidance_scale,
                        device=args.device, planner=planner, planner_options=planner_options, hrtf=args.hrtf, hrtf_eq=args.hrtf_eq,
                        sample_rate=args.sample_rate, loudness=args.loudness)
    else:
        pipe = Cascade(planner=planner, generator=generator, renderer=args.renderer, hrtf=args.hrtf, hrtf_eq=args.hrtf_eq,
                       sample_rate=args.sample_rate, loudness=args.loudness, planner_options=planner_options,
                       generator_options=generator_options, renderer_options=_backend_options(args, renderers.REGISTRY),
                       cache=not args.no_cache, max_memory_gb=args.max_memory, mix=args.mix)
    result = pipe(source, seed=args.seed)
    written = result.save_all(args.output, stems=args.stems, fuma=args.fuma, bit_depth=args.bit_depth)
    if not args.quiet:
        for note in [*result.notes, *container_notes(args.output, result.sample_rate, args.bit_depth)]:
            print(_printable(note))
        for event in result.scene.events:
            p, g = event.position, event.generation
            assert g is not None
            moving = " (moving)" if event.moves else ""
            loudness = f", {event.loudness:.1f} LUFS" if event.loudness is not None else ""
            print(f"  {_printable(event.id)}: '{_printable(event.description)}' {event.start:.2f}-{event.end:.2f} s at az "
                  f"{p.azimuth:.0f}°, el {p.elevation:.0f}°, {p.distance:.1f} m{moving} [{g.backend}, seed {g.seed}{loudness}]")
        timing = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in result.timings.items())
        print(f"timings: {timing}")
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _models(args: argparse.Namespace) -> int:
    from cascade import models

    if args.action == "list":
        print(models.format_models(models.list_models(args.tangoflux_path)))
        return 0
    if args.model is None:
        raise OptionError("models download needs a model name: cascade models download tangoflux")
    folder = models.download(args.model, args.to, text_encoder_weights=args.text_encoder_weights)
    print(f"downloaded {args.model} into {folder}")
    return 0


def _cache(args: argparse.Namespace) -> int:
    from cascade import cache

    root = cache.cache_root()
    if args.action == "clear":
        removed, kept = cache.clear(root)
        print(f"removed {removed.entries} files ({removed.size / 2**20:.1f} MB) from {root}"
              + (f"; kept {kept.entries} files the cache did not make" if kept.entries else ""))
        return 0
    clips, hrirs = cache.usage(root / "clips"), cache.usage(root / "hrirs")
    print(f"cache: {root}\n  clips: {clips.entries} ({clips.size / 2**20:.1f} MB of at most {cache.size_limit() / 2**30:g} GB)\n"
          f"  prepared HRIR sets: {hrirs.entries} ({hrirs.size / 2**20:.1f} MB)")
    return 0


def _run_module(module: str, argv: list[str]) -> int:
    return int(import_module(module).main(argv) or 0)


class _OneLine(logging.Formatter):
    """`cascade: warning: ...` (or `cascade: ...` for progress) on one line, control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        kind = "warning: " if record.levelno >= logging.WARNING else ""
        return f"cascade: {kind}{_printable(' '.join(record.getMessage().split()))}"


def _configure_output(quiet: bool) -> None:
    """Progress lines on stdout with the run's notes, warnings on stderr, each one line (bars on a terminal);
    with -q only errors, third-party bars included."""
    progress_lines = logging.StreamHandler(sys.stdout)
    progress_lines.addFilter(lambda record: record.levelno < logging.WARNING)
    warnings_line = logging.StreamHandler(sys.stderr)
    warnings_line.setLevel(logging.WARNING)
    for handler in (progress_lines, warnings_line):
        handler.setFormatter(_OneLine())
    logger = logging.getLogger("cascade")
    logger.handlers = [progress_lines, warnings_line]
    logger.setLevel(logging.ERROR if quiet else logging.INFO)
    progress.configure("off" if quiet else "auto")
    if quiet:
        for name, value in (("TQDM_DISABLE", "1"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("TRANSFORMERS_VERBOSITY", "error"),
                            ("DIFFUSERS_VERBOSITY", "error")):
            os.environ.setdefault(name, value)
        warnings.simplefilter("ignore")


def main(argv: list[str] | None = None) -> int:
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as done:  # --help, or a usage error already printed on one line
        return int(done.code or 0)
    _configure_output(bool(getattr(args, "quiet", False)))
    try:
        if args.verb == "plan":
            return _plan(args)
        if args.verb == "render":
            return _render(args)
        if args.verb == "plot":
            from cascade.plot import plot_file

            print(f"wrote {plot_file(args.scene, args.output, args.audio)}")
            return 0
        if args.verb == "ui":
            from cascade.ui import serve

            serve(args.host, args.port, args.library)
            return 0
        if args.verb == "cache":
            return _cache(args)
        if args.verb == "dataset":
            from cascade.dataset.cli import build_command

            return build_command(args)
        if args.verb == "schema":
            print(json_schema())
            return 0
        if args.verb == "bench":
            return _run_module(BENCHMARKS[args.name], args.rest)
        if args.verb == "models":
            return _models(args)
        if args.verb == "train-nfs":
            return _run_module("cascade.training.nfs", args.rest)
        if args.verb == "train-e2e":
            return _run_module("cascade.end_to_end.commands", args.rest)
    except KeyboardInterrupt:
        print("cascade: interrupted; no partial files were left", file=sys.stderr)
        return 130
    except CascadeError as err:
        print(f"cascade: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


def entry() -> None:
    """The `cascade` command: SIGTERM and SIGHUP end it like Ctrl-C, so files being written are cleaned up; a closed
    stdout ends it quietly with status 141 (128 + SIGPIPE)."""
    def stop(number: int, _frame: object) -> None:
        raise SystemExit(128 + number)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader of our output left (`cascade schema | head -1`): stop quietly, as SIGPIPE would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 128 + signal.SIGPIPE
    sys.exit(code)


if __name__ == "__main__":
    entry()
