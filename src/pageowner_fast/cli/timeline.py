"""`pageowner-fast timeline SNAP...`: pages per key across snapshots, ranked by growth."""
from __future__ import annotations

from .. import diagnose
from ..analysis import load_sources, needs_blocks, timeline
from ..render import plot, text
from ..timewindow import time_window
from ._common import (
    add_table_options,
    check_outputs,
    parser,
    progress_for,
    report,
    text_top,
    write_table,
)


def main(argv: list[str]) -> int:
    p = parser("timeline", "Pages per key in each snapshot, keys ranked by growth "
                           "(least-squares slope, in pages and bytes per snapshot).")
    p.add_argument("snapshots", nargs="+", metavar="SNAPSHOT")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE, compiler suffixes and _noprof from frames")
    p.add_argument("--plot", metavar="OUT.png|OUT.svg|OUT.pdf",
                   help="plot the top keys (needs matplotlib)")
    add_table_options(p, ("text", "json", "csv"), None)
    args = p.parse_args(argv)
    if args.plot:
        plot.check_plot_path(args.plot)
    check_outputs(args)
    aggregate = not needs_blocks(args.by, time_window(args.since, args.until))
    progress = progress_for(*args.snapshots)
    srcs = []
    for snap in args.snapshots:   # one at a time: only the per-key counts stay
        (src,) = load_sources([snap], threads=args.threads, aggregate=aggregate, progress=progress)
        for message in diagnose.messages(src):
            report(message)
        srcs.append(src)
    full = timeline(srcs, args.by, args.normalize, page_size=args.page_size, since=args.since,
                    until=args.until)
    shown = full.head(text_top(args))
    write_table(args.output, args.format, shown, text.timeline_summary(shown, args.frames),
                len(srcs))
    if args.plot:
        plot.plot_timeline(full.head(args.top or 10), args.plot)
    return 0
