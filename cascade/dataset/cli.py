"""`cascade dataset build`: the command line's arguments in, a built folder and a few lines of summary out."""

from __future__ import annotations

import argparse

from cascade.dataset.build import MANIFEST, build
from cascade.dataset.config import DatasetConfig, load_config, parse_config
from cascade.errors import DatasetError


def build_command(args: argparse.Namespace) -> int:
    """Run `cascade dataset build` with its parsed arguments (out, n, seed, config, preset, engine, ray_address, workers,
    library, quiet); CascadeError (one line) on bad input."""
    if args.preset is not None and args.config is not None:
        raise DatasetError(f"--preset goes without --config; put 'preset: {args.preset}' in the config file instead")
    config = load_config(args.config) if args.config is not None else None
    if args.preset is not None:
        config = parse_config({"preset": args.preset})
    if args.library is not None:
        base = (config or DatasetConfig()).model_dump()
        config = parse_config({**base, "sounds": {**base["sounds"], "generator": "library", "library": str(args.library)}})
    report = build(args.out, args.n, config, seed=args.seed, engine=args.engine, workers=args.workers, ray_address=args.ray_address,
                   progress=not args.quiet)
    if not args.quiet:
        if report.built:
            print(f"built {report.built} items in {report.seconds:.1f} s ({report.rate:.2f} items/s); {report.skipped} were already there")
        else:
            print(f"nothing to build: items 0-{args.n - 1} were already there" if args.n else "no items asked for")
        for line in report.summary.lines():
            print(line)
        print(f"wrote {report.root / MANIFEST} and {report.root / 'summary.png'}")
    return 0
