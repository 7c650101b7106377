"""`cascade train-e2e`: make a synthetic set, train a DiT (one process or under torchrun), ship a checkpoint.

    cascade train-e2e synth --out runs/synth --count 6000
    cascade train-e2e dit --data runs/synth --mode parametric --steps 10000
    cascade train-e2e dit --data runs/synth --mode mono --steps 10000        # the learned cascade's generator
    torchrun --nproc_per_node=4 -m cascade.cli train-e2e dit --data runs/synth --mode descriptive --device cuda --steps 10000
    cascade train-e2e export runs/dit_parametric.pt cascade/end_to_end/checkpoints/dit_parametric.pt --guidance 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cascade.end_to_end.checkpoints import CheckpointError
from cascade.end_to_end.conditioning import MODES
from cascade.errors import CascadeError

if TYPE_CHECKING:
    import torch

    from cascade.end_to_end.train import Schedule

RUNS = Path("runs")  # default output folder, relative to the working directory


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
    parser.add_argument("--validate-every", type=int, default=500, help="steps between validations and checkpoint writes")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per process (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="network size overrides for a new model")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cascade train-e2e", description="Train the end-to-end FOA models and the learned cascade's mono generator.")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=_Parser)
    synth = verbs.add_parser("synth", help="write a synthetic FOA set (procedural sources at known directions)")
    synth.add_argument("--out", type=Path, required=True, help="folder to write examples.npz into")
    synth.add_argument("--count", type=int, default=2000)
    synth.add_argument("--seconds", type=float, default=4.0, help="window length (s)")
    synth.add_argument("--rooms", type=float, default=0.3, help="share of examples in a shoebox room")
    synth.add_argument("--moving", type=float, default=0.25, help="share of moving sources")
    synth.add_argument("--seed", type=int, default=0)
    dit = verbs.add_parser("dit", help="train a DiT on the codec's latents of a synth folder")
    _common(dit)
    dit.add_argument("--mode", choices=MODES, default="parametric",
                     help="parametric or descriptive (end-to-end FOA), mono (the learned cascade's dry generator)")
    dit.add_argument("--init", type=Path, metavar="CKPT", help="start a new run from this DiT's weights where shapes match")
    export = verbs.add_parser("export", help="half-precision copy of a checkpoint for shipping, with its JSON")
    export.add_argument("source", type=Path)
    export.add_argument("target", type=Path)
    export.add_argument("--guidance", type=float, help="the default classifier-free guidance scale to record (chosen on the probe set)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.verb == "synth":
            return _synth(args)
        if args.verb == "export":
            from cascade.end_to_end.checkpoints import export

            if args.guidance is not None and not 0.0 <= args.guidance <= 20.0:
                raise CheckpointError(f"--guidance must be in [0, 20], got {args.guidance:g}")
            print(f"wrote {export(args.source, args.target, args.guidance)}")
            return 0
        import torch

        torch.set_num_threads(args.threads)
        return _dit(args)
    except CascadeError as err:
        print(f"cascade train-e2e: error: {err}", file=sys.stderr)
        return 2


def _synth(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from cascade.end_to_end.data import SyntheticSpec, save_examples, synthetic_examples

    spec = SyntheticSpec(seconds=args.seconds, room_share=args.rooms, moving_share=args.moving)
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


def _dit(args: argparse.Namespace) -> int:
    import torch

    from cascade.end_to_end import checkpoints
    from cascade.end_to_end.codec import CodecConfig, SpectralCodec
    from cascade.end_to_end.dit import DitConfig
    from cascade.end_to_end.dit_task import DitTask
    from cascade.end_to_end.latents import latent_sets
    from cascade.end_to_end.train import fit, start_distributed

    if args.resume is not None:
        payload = checkpoints.load(args.resume, "dit")
        codec_config = CodecConfig.from_dict(payload["config"]["codec"])
        config, mode = DitConfig.from_dict(payload["config"]["dit"]), payload["config"]["mode"]
    else:
        mode = args.mode
        codec_config = CodecConfig(channels=1 if mode == "mono" else 4)
        base = DitConfig(frame_rate=codec_config.frame_rate, latent=codec_config.latent_channels)
        config = DitConfig.from_dict(_overrides(args.set, base.to_dict()))
    codec = SpectralCodec(codec_config)
    device = _device(args.device)
    ranks = start_distributed(device)
    if ranks.world > 1 and not ranks.main:  # rank 0 encodes and caches the latents; the others then read them
        torch.distributed.barrier()
    train, val, probe, note = latent_sets(args.data, codec)
    if ranks.world > 1 and ranks.main:
        torch.distributed.barrier()
    task = DitTask(train, val, probe, codec, config, mode, data_note=note)
    if args.init is not None and args.resume is None:
        _init_from(task.model, checkpoints.load(args.init, "dit")["state"])
    out = args.out or RUNS / f"dit_{mode}.pt"
    fit(task, out, _schedule(args, 16, 6e-4, 4000), device, args.resume)
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
