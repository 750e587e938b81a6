"""`pageowner-fast top INPUT --by KEY`: the largest page consumers."""
from __future__ import annotations

import argparse

from .. import diagnose
from ..analysis import BY_CHOICES, load_sources, top
from ..render import text
from ._common import add_table_options, parser, report, write_table

_PAGE_SIZES = {"4K": 4096, "16K": 16384, "64K": 65536}


def parse_page_size(value: str) -> int:
    """4K, 16K or 64K (also 16KiB, 16KB, 16384)."""
    t = value.strip().upper().removesuffix("IB").removesuffix("B")
    if t in _PAGE_SIZES:
        return _PAGE_SIZES[t]
    if t.isdigit() and len(t) < 7 and int(t) in _PAGE_SIZES.values():
        return int(t)
    raise argparse.ArgumentTypeError(f"page size must be 4K, 16K or 64K, not {value!r}")


def main(argv: list[str]) -> int:
    p = parser("top", "Largest page consumers by comm, pid, tgid, module, allocator, stack, "
                      "order, gfp mask or migratetype.")
    p.add_argument("input")
    p.add_argument("--page-size", type=parse_page_size, default=4096, metavar="4K|16K|64K")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE and compiler suffixes from frames")
    add_table_options(p, ("text", "json", "csv"), "comm", BY_CHOICES)
    args = p.parse_args(argv)
    (src,) = load_sources([args.input], threads=args.threads)
    for message in diagnose.messages(src):
        report(message)
    full = top(src, args.by, page_size=args.page_size, normalize=args.normalize)
    shown = full.head(args.top)
    write_table(args.output, args.format, shown, text.top_summary(full, shown))
    return 0
