"""`pageowner-fast report INPUT [--baseline OLD] [--snapshots SNAP...] -o report.html`: one
self-contained HTML page (pageowner_fast.htmlreport)."""
from __future__ import annotations

import argparse

from .. import diagnose
from .._output import check_not_input
from ..analysis import load_sources, parse_page_size
from ..exceptions import UsageError
from ..htmlreport import DEFAULT_MAX_STACKS, report, require
from ._common import add_threads, parser, say


def _page_size(text: str) -> int:
    try:
        return parse_page_size(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1 or len(text.strip()) > 9:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 999999999: {text!r}")
    return int(text)


def main(argv: list[str]) -> int:
    p = parser("report", "One self-contained HTML page (it loads nothing from the network): a "
                         "flame graph of held memory by call stack, the top stacks, comms, "
                         "modules and allocators; with --baseline what grew, with --snapshots "
                         "a timeline.")
    p.add_argument("input", help="page_owner dump or show_stacks file ('-' = stdin)")
    p.add_argument("--baseline", metavar="OLD",
                   help="an older snapshot: the page opens with what grew since (table and "
                        "differential flame graph)")
    p.add_argument("--snapshots", nargs="+", metavar="SNAP", default=[],
                   help="snapshots in time order for a timeline of the fastest-growing stacks "
                        "(INPUT is the last point unless it is among them)")
    p.add_argument("-o", "--output", default="-", help="the HTML file (default: standard output)")
    p.add_argument("--page-size", type=_page_size, default=4096, metavar="SIZE",
                   help="page size for the byte figures: 4K (default), 16K, 64K or a number of bytes")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE, compiler suffixes and _noprof from frames (to "
                        "compare with a baseline from another kernel build)")
    p.add_argument("--top", type=_positive, default=50, metavar="K", help="rows per table (default 50)")
    p.add_argument("--max-stacks", type=_positive, default=DEFAULT_MAX_STACKS, metavar="N",
                   help=f"stacks a flame graph keeps; smaller ones are summed into one frame "
                        f"(default {DEFAULT_MAX_STACKS:,})")
    p.add_argument("--title", help="the page's title")
    add_threads(p)
    args = p.parse_args(argv)
    require()
    for path in [args.input, args.baseline, *args.snapshots]:
        check_not_input(args.output, path)
    if args.input == "-" and (args.baseline == "-" or "-" in args.snapshots):
        raise UsageError("standard input ('-') can be read only once")
    (src,) = load_sources([args.input], threads=args.threads, aggregate=False)
    for message in diagnose.messages(src):
        say(message)
    report(src, baseline=args.baseline, snapshots=args.snapshots, output=args.output,
           page_size=args.page_size, normalize=args.normalize, top=args.top,
           max_stacks=args.max_stacks, title=args.title, threads=args.threads)
    return 0
