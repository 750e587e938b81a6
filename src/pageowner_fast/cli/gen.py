"""`pageowner-fast gen`: write a seeded synthetic page_owner dump (the command-line front of
`pageowner_fast.gen`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .. import gen
from .._output import AtomicOutput
from ..exceptions import UsageError
from ._common import ArgumentParser

PROG = "pageowner-fast gen"


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


def _share_arg(text: str) -> float:
    """``0.3`` or ``30%``."""
    try:
        v = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a share: {text!r} (use e.g. 0.3 or 30%)") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"a share must be between 0 and 1 (0% and 100%), not {text!r}")
    return v


def _count_arg(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {text!r}")
    return v


def _orders_arg(text: str) -> tuple[tuple[int, float], ...]:
    try:
        return gen.parse_orders(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


_TIME_UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}


def _time_ns(text: str) -> int:
    """``1500`` (ns), ``250ms``, ``12.5s`` -> nanoseconds."""
    t = text.strip().lower()
    for unit in ("ns", "us", "ms", "s"):
        if t.endswith(unit):
            return round(float(t[: -len(unit)]) * _TIME_UNITS[unit])
    return int(t)


def _plant_memcg_arg(text: str) -> dict:
    parts = text.split(":")
    try:
        if len(parts) not in (2, 3) or not parts[0] or (len(parts) == 3 and parts[2] != "offline"):
            raise ValueError
        return {"memcg": parts[0], "blocks": int(parts[1]), "offline": len(parts) == 3}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME:BLOCKS[:offline], got {text!r}") from None


def _plant_mixed_arg(text: str) -> dict:
    parts = text.split(":")
    try:
        if not 2 <= len(parts) <= 4:
            raise ValueError
        spec: dict[str, Any] = {"path": int(parts[0]) if parts[0] else None, "blocks": int(parts[1])}
        if len(parts) > 2 and parts[2]:
            spec["block_type"] = parts[2]
        if len(parts) > 3 and parts[3]:
            spec["pageblocks"] = int(parts[3])
        return spec
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected [PATH]:BLOCKS[:BLOCK_TYPE[:PAGEBLOCKS]], got {text!r}") from None


def _plant_window_arg(text: str) -> dict:
    parts = text.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        return {"start": _time_ns(parts[0]), "end": _time_ns(parts[1]),
                "blocks": int(parts[2]) if len(parts) == 3 else 0}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:END[:BLOCKS] (times in ns, or with "
                                         f"ns/us/ms/s), got {text!r}") from None


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, dict):
        return ",".join(f"{k}:{w}" for k, w in v.items())
    return str(v)


def _parser() -> argparse.ArgumentParser:
    ap = ArgumentParser(prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
                 description="Write a seeded, realistic synthetic /sys/kernel/debug/page_owner dump.",
                 epilog="shapes:\n" + "\n".join(
                     f"  {name}: " + (", ".join(f"{k}={_fmt(v)}" for k, v in kw.items()) or "the defaults")
                     for name, kw in gen.SHAPES.items()))
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
    ap.add_argument("--truth", metavar="FILE",
                    help="write the ground truth (pages and blocks per memcg, per mixed-pageblock "
                         "culprit, per time window, per planted request) to FILE as JSON")
    g = ap.add_argument_group("shape (rates are shares of all blocks: 0.3 or 30%)")
    g.add_argument("--shape", choices=tuple(gen.SHAPES), default=None,
                   help="a named preset; the options below and --era/--paths/--zipf-a override it")
    g.add_argument("--memcg-rate", type=_share_arg, metavar="SHARE",
                   help="blocks with a 'Charged ... memcg' line")
    g.add_argument("--memcgs", type=_count_arg, metavar="N", help="cgroups they are charged to (default 3)")
    g.add_argument("--memcg-offline", type=_share_arg, metavar="SHARE",
                   help="charged blocks whose cgroup is offline (default 0)")
    g.add_argument("--migrate-rate", type=_share_arg, metavar="SHARE",
                   help="blocks with a 'Page has been migrated' line")
    g.add_argument("--thread-share", type=_share_arg, metavar="SHARE",
                   help="blocks allocated by a thread (pid != tgid)")
    g.add_argument("--free-ts-share", type=_share_arg, metavar="SHARE",
                   help="blocks with a non-zero free_ts (eras 5.13, 5.18, 6.1, 6.5)")
    g.add_argument("--processes", type=_count_arg, metavar="N", help="user-space processes")
    g.add_argument("--run-length", type=float, metavar="MEAN",
                   help="mean run of consecutive blocks with one call path and task")
    g.add_argument("--orders", type=_orders_arg, metavar="O:W,...",
                   help="order distribution, e.g. 0:80,1:8,2:5,3:5,9:2")
    g.add_argument("--early-share", type=_share_arg, metavar="SHARE",
                   help="early-boot blocks (mask 0x0(), pid 0/1)")
    p = ap.add_argument_group("planted content with ground truth (repeatable)")
    p.add_argument("--plant-memcg", type=_plant_memcg_arg, action="append", default=[],
                   metavar="NAME:BLOCKS[:offline]", help="extra blocks charged to cgroup NAME")
    p.add_argument("--plant-mixed", type=_plant_mixed_arg, action="append", default=[],
                   metavar="[PATH]:BLOCKS[:TYPE[:N]]",
                   help="allocations of PATH (default: the top Unmovable path) in N pageblocks of "
                        "type TYPE (default Movable)")
    p.add_argument("--plant-window", type=_plant_window_arg, action="append", default=[],
                   metavar="START:END[:BLOCKS]", help="extra blocks with ts in [START, END) "
                   "(ns, or with a unit: 12.5s, 250ms); 0 blocks: count only")
    return ap


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    kw = dict(size=args.size, blocks=args.blocks, era=args.era, seed=args.seed, n_paths=args.paths,
              zipf_a=args.zipf_a, plant=args.plant or None, stack_variant=args.stack_variant,
              slab_flag=args.slab_flag, shape=args.shape, memcg_rate=args.memcg_rate,
              memcgs=args.memcgs, memcg_offline=args.memcg_offline, migrate_rate=args.migrate_rate,
              thread_share=args.thread_share, free_ts_share=args.free_ts_share,
              processes=args.processes, run_length=args.run_length, orders=args.orders,
              early_share=args.early_share, plant_memcg=args.plant_memcg or None,
              plant_mixed=args.plant_mixed or None, plant_window=args.plant_window or None)
    try:
        with AtomicOutput(args.output) as out:
            stats = gen.generate(out, **kw)
    except ValueError as e:
        if isinstance(e, UsageError):
            raise
        raise UsageError(f"gen: {e}") from None
    if args.truth:
        with AtomicOutput(args.truth) as t:
            t.write((json.dumps(stats["truth"], indent=1) + "\n").encode())
    if args.stats:
        stats = {k: v for k, v in stats.items() if k not in ("planted", "truth")} | {
            "planted": [{k: v for k, v in s.items() if k != "stack"} for s in stats["planted"]]}
        print(json.dumps(stats), file=sys.stderr)
    return 0
