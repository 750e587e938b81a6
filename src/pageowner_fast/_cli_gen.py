"""``pageowner-fast gen``: write a seeded synthetic page_owner dump (the command-line front of
``pageowner_fast.gen``; argparse lives here and nowhere below)."""

from __future__ import annotations

import argparse
import json
import sys

from . import gen
from ._output import AtomicOutput
from .exceptions import UsageError

PROG = "pageowner-fast gen"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise UsageError(f"gen: {message} (see '{PROG} --help')")


def _size_arg(text: str) -> int:
    try:
        return gen.parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _plant_arg(text: str) -> dict[str, int]:
    try:
        k, n = text.split(":")
        return {"path": int(k), "blocks": int(n)}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected PATH:BLOCKS, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog=PROG, description="Write a seeded, realistic synthetic /sys/kernel/debug/page_owner dump.")
    ap.add_argument("output", nargs="?", default="-", help="output file, or - for stdout (default)")
    ap.add_argument("--size", type=_size_arg, default=None,
                    help="stop near this size (e.g. 10M, 1G, 10G; default 10M if --blocks is not given)")
    ap.add_argument("--blocks", type=int, default=None, help="stop after this many blocks")
    ap.add_argument("--era", choices=gen.ERAS, default=None, help="dump format (default 6.7)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--paths", type=int, default=None, help="number of distinct call paths (default 2000)")
    ap.add_argument("--zipf-a", type=float, default=None, help="Zipf exponent of path choice (default 1.2)")
    ap.add_argument("--plant", type=_plant_arg, action="append", default=[], metavar="PATH:BLOCKS",
                    help="add BLOCKS extra order-0 blocks for path index PATH (repeatable)")
    ap.add_argument("--stack-variant", type=int, default=0,
                    help="render frames as another kernel build would (offsets, .isra/.constprop)")
    ap.add_argument("--no-slab-flag", dest="slab_flag", action="store_false",
                    help="omit the 'slab' page flag (v6.10+ kernels)")
    ap.add_argument("--stats", action="store_true", help="print a JSON summary on stderr")
    return ap


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    kw = dict(size=args.size, blocks=args.blocks, era=args.era, seed=args.seed, n_paths=args.paths,
              zipf_a=args.zipf_a, plant=args.plant or None, stack_variant=args.stack_variant,
              slab_flag=args.slab_flag)
    try:
        with AtomicOutput(args.output) as out:
            stats = gen.generate(out, **kw)
    except ValueError as e:
        if isinstance(e, UsageError):
            raise
        raise UsageError(f"gen: {e}") from None
    if args.stats:
        stats = {k: v for k, v in stats.items() if k != "planted"} | {
            "planted": [{k: v for k, v in s.items() if k != "stack"} for s in stats["planted"]]}
        print(json.dumps(stats), file=sys.stderr)
    return 0
