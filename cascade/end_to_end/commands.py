"""`cascade train-e2e`: make a synthetic set, train the codec or a DiT (one process or under torchrun), ship a checkpoint.

    cascade train-e2e synth --out runs/synth --count 4000 --seconds 2 --mixtures 0.25 --moving 0.15
    cascade train-e2e codec --data runs/synth --minutes 60
    cascade train-e2e dit --data DATASET --codec runs/codec.pt --mode parametric --minutes 90
    torchrun --nproc_per_node=4 -m cascade.cli train-e2e dit --data DATASET --codec ... --device cuda
    cascade train-e2e export runs/dit_parametric.pt cascade/end_to_end/checkpoints/dit_parametric.pt
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cascade.end_to_end.checkpoints import CheckpointError
from cascade.errors import CascadeError

if TYPE_CHECKING:
    import torch

    from cascade.end_to_end.train import Schedule

RUNS = Path("runs")  # default output folder, relative to the working directory
VAL_CROP = 1  # s of each codec validation crop: the loudest second of a held-out anechoic single source


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"cascade train-e2e: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _overrides(items: list[str], base: dict) -> dict:
    """`base` with KEY=VALUE overrides, each cast to the type of the value it replaces (tuples as 2,4,8)."""
    base = dict(base)
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in base:
            raise CheckpointError(f"--set takes KEY=VALUE with KEY one of {', '.join(base)}; got '{item}'")
        kind = type(base[key])
        try:
            base[key] = tuple(int(v) for v in value.split(",")) if kind is tuple else kind(value)
        except ValueError:
            raise CheckpointError(f"--set {key} needs a {kind.__name__}, got '{value}'") from None
    return base


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="training data folder (dataset builder output or `synth` output)")
    parser.add_argument("--out", type=Path, help="checkpoint to write (.pt; curves as .json and .png beside it)")
    parser.add_argument("--minutes", type=float, help="stop after this much training time")
    parser.add_argument("--steps", type=int, help="stop after this many optimiser steps (counted from the start of the run series)")
    parser.add_argument("--resume", type=Path, metavar="CKPT", help="continue this checkpoint (its config is kept)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:N (default cpu)")
    parser.add_argument("--batch", type=int, help="examples per step and process")
    parser.add_argument("--lr", type=float, help="peak learning rate")
    parser.add_argument("--validate-every", type=int, default=100, help="steps between validations and checkpoint writes")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per process (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="network size overrides for a new model")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cascade train-e2e", description="Train the end-to-end FOA model (codec, then DiT).")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=_Parser)
    synth = verbs.add_parser("synth", help="write a synthetic FOA set (procedural sources at known directions)")
    synth.add_argument("--out", type=Path, required=True, help="folder to write examples.npz into")
    synth.add_argument("--count", type=int, default=2000)
    synth.add_argument("--seconds", type=float, default=4.0, help="window length (s)")
    synth.add_argument("--rooms", type=float, default=0.3, help="share of examples in a shoebox room")
    synth.add_argument("--mixtures", type=float, default=0.0, help="share with a second, unlabelled source (codec data)")
    synth.add_argument("--moving", type=float, default=0.0, help="share of moving sources (codec data)")
    synth.add_argument("--seed", type=int, default=0)
    codec = verbs.add_parser("codec", help="train the FOA codec")
    _common(codec)
    codec.add_argument("--segment", type=float, default=1.0, help="seconds per training crop")
    dit = verbs.add_parser("dit", help="train a DiT on the frozen codec's latents")
    _common(dit)
    dit.add_argument("--codec", type=Path, help="frozen codec checkpoint (default: the shipped one)")
    dit.add_argument("--mode", choices=("parametric", "descriptive"), default="parametric")
    dit.add_argument("--init", type=Path, metavar="CKPT", help="start a new run from this DiT's weights where shapes match")
    export = verbs.add_parser("export", help="half-precision copy of a checkpoint for shipping, with its JSON")
    export.add_argument("source", type=Path)
    export.add_argument("target", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.verb == "synth":
            return _synth(args)
        if args.verb == "export":
            from cascade.end_to_end.checkpoints import export

            print(f"wrote {export(args.source, args.target)}")
            return 0
        import torch

        torch.set_num_threads(args.threads)
        if args.verb == "codec":
            return _codec(args)
        return _dit(args)
    except CascadeError as err:
        print(f"cascade train-e2e: error: {err}", file=sys.stderr)
        return 2


def _synth(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from cascade.end_to_end.data import SyntheticSpec, save_examples, synthetic_examples

    spec = SyntheticSpec(seconds=args.seconds, room_share=args.rooms, mixture_share=args.mixtures, moving_share=args.moving)
    began = time.monotonic()
    examples = list(tqdm(synthetic_examples(args.count, args.seed, spec), total=args.count, desc="synth", unit="example"))
    args.out.mkdir(parents=True, exist_ok=True)
    path = save_examples(args.out / "examples.npz", examples)
    print(f"wrote {path} ({args.count} examples of {args.seconds:g} s in {time.monotonic() - began:.0f} s)")
    return 0


def _schedule(args: argparse.Namespace, batch: int, lr: float, half_life: int) -> Schedule:
    from cascade.end_to_end.train import Schedule

    if args.minutes is None and args.steps is None:
        raise CheckpointError("say how long to train: --minutes M or --steps N")
    return Schedule(minutes=args.minutes, steps=args.steps, lr=args.lr or lr, batch=args.batch or batch,
                    validate_every=args.validate_every, seed=args.seed, half_life=half_life)


def _device(name: str) -> torch.device:
    from cascade.devices import torch_device

    return torch_device(name, CheckpointError)


def _codec(args: argparse.Namespace) -> int:
    from cascade.end_to_end import checkpoints
    from cascade.end_to_end.codec import CodecConfig
    from cascade.end_to_end.codec_task import CodecTask, sounding_crop
    from cascade.end_to_end.data import SyntheticSpec, synthetic_examples
    from cascade.end_to_end.datasets import training_audio
    from cascade.end_to_end.train import fit

    if args.resume is not None:
        config = CodecConfig.from_dict(checkpoints.load(args.resume, "codec")["config"])
    else:
        config = CodecConfig.from_dict(_overrides(args.set, CodecConfig().to_dict()))
    train, note = training_audio(args.data, config.sample_rate)
    rng = np.random.default_rng(0)
    val = [sounding_crop(e.foa, VAL_CROP * config.sample_rate, rng)
           for e in synthetic_examples(48, seed=999, spec=SyntheticSpec(seconds=2.0, room_share=0.0))]
    task = CodecTask(train, np.stack(val), config, segment=args.segment, data_note=note)
    out = args.out or RUNS / "codec.pt"
    fit(task, out, _schedule(args, 8, 5e-4, 4000), _device(args.device), args.resume)
    print(f"wrote {out}")
    return 0


def _dit(args: argparse.Namespace) -> int:
    import torch

    from cascade.end_to_end import checkpoints
    from cascade.end_to_end.dit import DitConfig
    from cascade.end_to_end.dit_task import DitTask
    from cascade.end_to_end.latents import latent_sets, load_codec
    from cascade.end_to_end.train import fit, start_distributed

    codec_path = args.codec or checkpoints.SHIPPED / "codec.pt"
    codec, codec_note = load_codec(codec_path)
    if args.resume is not None:
        payload = checkpoints.load(args.resume, "dit")
        if payload["config"]["codec"].get("digest") != codec_note["digest"]:
            raise CheckpointError(f"{args.resume} was trained on the latents of another codec; pass that one with --codec")
        config, mode = DitConfig.from_dict(payload["config"]["dit"]), payload["config"]["mode"]
    else:
        base = DitConfig(frame_rate=codec.config.frame_rate, latent=codec.config.latent_channels)
        config, mode = DitConfig.from_dict(_overrides(args.set, base.to_dict())), args.mode
    device = _device(args.device)
    ranks = start_distributed(device)
    if ranks.world > 1 and not ranks.main:  # rank 0 encodes and caches the latents; the others then read them
        torch.distributed.barrier()
    train, val, probe, note = latent_sets(args.data, codec)
    if ranks.world > 1 and ranks.main:
        torch.distributed.barrier()
    task = DitTask(train, val, probe, codec, config, mode, codec_note=codec_note, data_note=note)
    if args.init is not None and args.resume is None:
        _init_from(task.model, checkpoints.load(args.init, "dit")["state"])
    out = args.out or RUNS / f"dit_{mode}.pt"
    fit(task, out, _schedule(args, 16, 5e-4, 3000), device, args.resume)
    print(f"wrote {out}")
    return 0


def _init_from(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy every weight of `state` whose name and shape match (a DiT of another mode: its backbone, not its conditioner)."""
    own = model.state_dict()
    shared = {k: v for k, v in state.items() if k.startswith("dit.") and k in own and own[k].shape == v.shape}
    own.update(shared)
    model.load_state_dict(own)
    print(f"initialised {len(shared)} of {len(own)} tensors from the given DiT")


if __name__ == "__main__":
    sys.exit(main())
