"""`cascade` command line: plan, render, plot, ui, schema, bench, models, train-nfs.

User errors print one line, `cascade: error: ...`, and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from pathlib import Path

from cascade.errors import CascadeError
from cascade.scene import SAMPLE_RATES, SceneError, json_schema

EXIT_USAGE = 2


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in [1, 65535], got {value}")
    return value


def _add_planner_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--planner", default="rules", choices=["rules", "openai"], help="text -> scene backend (default: rules, offline)")
    parser.add_argument("--llm-model", help="model name for --planner openai (env CASCADE_LLM_MODEL)")
    parser.add_argument("--llm-base-url", help="OpenAI-compatible server URL (env OPENAI_BASE_URL); the key comes from OPENAI_API_KEY")
    parser.add_argument("--fallback", choices=["rules"], help="if the LLM's scene stays invalid, use the rule planner (with a warning)")


def _planner_options(args: argparse.Namespace) -> dict:
    if args.planner != "openai":
        return {}
    options = {"model": args.llm_model, "base_url": args.llm_base_url, "fallback": args.fallback}
    return {k: v for k, v in options.items() if v is not None}


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cascade", description="Turn a written scene into binaural and first-order ambisonics audio.")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    plan = verbs.add_parser("plan", help="text -> scene JSON", description="Plan a scene from text and print or save its JSON.")
    plan.add_argument("text", help="scene description, e.g. 'a dog barks behind, then a bird on the right'")
    plan.add_argument("-o", "--output", type=Path, help="scene file to write (default: print to stdout)")
    _add_planner_flags(plan)

    render = verbs.add_parser("render", help="text or scene.json -> binaural + AmbiX WAV",
                              description="Render a text or a scene file. Writes OUT (binaural), OUT_foa.wav (AmbiX: W,Y,Z,X, SN3D) and OUT.json (the resolved scene).")
    render.add_argument("input", help="a scene description, or a path to a .json scene file")
    render.add_argument("-o", "--output", type=Path, default=Path("scene.wav"), help="binaural WAV to write (default: scene.wav)")
    _add_planner_flags(render)
    render.add_argument("--generator", choices=["auto", "procedural", "tangoflux", "library"],
                        help="mono clip backend (default: auto = TangoFlux if its weights are installed, else procedural; a scene file's recorded backends are kept)")
    render.add_argument("--renderer", choices=["hrtf", "foa", "nfs"], help="binaural renderer (default: hrtf, or what the scene file records)")
    render.add_argument("--hrtf", metavar="SOFA", help="SOFA file for the hrtf and foa renderers (default: MIT KEMAR)")
    render.add_argument("--sample-rate", type=int, choices=SAMPLE_RATES, help="output rate in Hz (default: the scene's, 44100)")
    render.add_argument("--seed", type=_non_negative_int, help="scene seed (default: the scene's, 0); new seeds for every event")
    render.add_argument("--loudness", type=float, help="integrated loudness target of the binaural mix in LUFS, [-60, -5] (default -20)")
    render.add_argument("--stems", action="store_true", help="also write each event's binaural and AmbiX stem into OUT_stems/")
    render.add_argument("--fuma", action="store_true", help="also write OUT_fuma.wav (FuMa channel order and normalisation)")
    render.add_argument("--bit-depth", choices=["16", "24", "32f"], default="24", help="WAV sample format (default 24-bit PCM)")
    render.add_argument("--tangoflux-path", help="TangoFlux checkpoint folder (env CASCADE_TANGOFLUX_PATH)")
    render.add_argument("--steps", type=int, help="TangoFlux sampling steps (default 50)")
    render.add_argument("--guidance-scale", type=float, help="TangoFlux classifier-free guidance (default 4.5)")
    render.add_argument("--device", help="torch device for learned models: cuda, mps or cpu (default: the best available)")
    render.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], help="TangoFlux transformer precision (default: bfloat16 on CUDA, float32 elsewhere)")
    render.add_argument("--decode-chunk", type=int, metavar="FRAMES", help="VAE-decode this many latent frames at a time to save memory (default: whole clip)")
    render.add_argument("--all-frames", action="store_true", help="denoise TangoFlux's full 30 s latent as the reference does (slower; default: only the frames needed)")
    render.add_argument("--library", metavar="FOLDER", help="folder of your own sound files; implies --generator library")
    render.add_argument("--no-cache", action="store_true", help="regenerate every clip instead of reusing cached ones")
    render.add_argument("-q", "--quiet", action="store_true", help="print only errors")

    plot = verbs.add_parser("plot", help="scene.json -> PNG: map of the sources and timeline of the events",
                            description="Draw a scene file: a top view of the listener and every source beside a timeline of the events.")
    plot.add_argument("scene", type=Path, help="a .json scene file (from cascade plan, or the one cascade render writes)")
    plot.add_argument("-o", "--output", type=Path, default=Path("scene.png"), help="PNG to write (default: scene.png)")
    plot.add_argument("--audio", type=Path, metavar="WAV", help="also draw this binaural WAV's waveform and spectrogram under the timeline")

    ui = verbs.add_parser("ui", help="local web app: type, edit, render, listen, download",
                          description="Serve the web app until interrupted (Ctrl-C). Nothing is sent anywhere; open the printed address in a browser.")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    ui.add_argument("--port", type=_port, default=7860, help="port to listen on (default: 7860)")

    verbs.add_parser("schema", help="print the scene file's JSON Schema")

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

    # every argument, options included, goes to renderers.nfs_train ("+" keeps argparse from reading "--x" here)
    train = verbs.add_parser("train-nfs", help="train the Neural Fourier Shift renderer", add_help=False, prefix_chars="+")
    train.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


BENCHMARKS = {
    "speed": "benchmarks.cascade_speed",
    "planner": "benchmarks.planner_eval",
    "renderers": "benchmarks.renderer_fidelity",
    "renderer-speed": "benchmarks.renderer_speed",
    "generators": "benchmarks.generator_speed",
}


def _plan(args: argparse.Namespace) -> int:
    from cascade.audio import write_text
    from cascade.pipeline import plan_scene

    scene = plan_scene(args.text, args.planner, **_planner_options(args))
    if args.output is None:
        print(scene.to_json())
    else:
        write_text(args.output, scene.to_json() + "\n")
        print(f"wrote {args.output} ({len(scene.events)} events, {scene.end:.2f} s)")
    return 0


def _generator_options(args: argparse.Namespace) -> dict[str, dict]:
    tangoflux = {"path": args.tangoflux_path, "steps": args.steps, "guidance_scale": args.guidance_scale, "device": args.device,
                 "dtype": args.dtype, "decode_chunk": args.decode_chunk, "all_frames": args.all_frames or None}
    options = {"tangoflux": {k: v for k, v in tangoflux.items() if v is not None}}
    if args.library:
        options["library"] = {"folder": args.library}
    return options


def _render(args: argparse.Namespace) -> int:
    from cascade.pipeline import render_scene

    generator = args.generator or ("library" if args.library else None)
    source = Path(args.input) if Path(args.input).is_file() else args.input
    result = render_scene(source, seed=args.seed, planner=args.planner, generator=generator, renderer=args.renderer,
                          sample_rate=args.sample_rate, hrtf=args.hrtf, loudness=args.loudness,
                          planner_options=_planner_options(args), generator_options=_generator_options(args),
                          cache=not args.no_cache, progress=not args.quiet and sys.stderr.isatty())
    try:
        written = result.save_all(args.output, stems=args.stems, fuma=args.fuma, bit_depth=args.bit_depth)
    except OSError as err:
        raise SceneError(f"cannot write {args.output}: {err.strerror or err}") from None
    if not args.quiet:
        for note in result.notes:
            print(note)
        for event in result.scene.events:
            p, g = event.position, event.generation
            moving = " (moving)" if event.moves else ""
            print(f"  {event.id}: '{event.description}' {event.start:.2f}-{event.end:.2f} s at az {p.azimuth:.0f}°, "
                  f"el {p.elevation:.0f}°, {p.distance:.1f} m{moving} [{g.backend}, seed {g.seed}]")
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
        raise SceneError("models download needs a model name: cascade models download tangoflux")
    folder = models.download(args.model, args.to, text_encoder_weights=args.text_encoder_weights)
    print(f"downloaded {args.model} into {folder}")
    return 0


def _run_module(module: str, argv: list[str]) -> int:
    return int(import_module(module).main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
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

            serve(args.host, args.port)
            return 0
        if args.verb == "schema":
            print(json_schema())
            return 0
        if args.verb == "bench":
            return _run_module(BENCHMARKS[args.name], args.rest)
        if args.verb == "models":
            return _models(args)
        if args.verb == "train-nfs":
            return _run_module("renderers.nfs_train", args.rest)
    except KeyboardInterrupt:
        print("cascade: interrupted; no partial files were left", file=sys.stderr)
        return 130
    except CascadeError as err:
        print(f"cascade: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
