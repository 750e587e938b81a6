"""`pageowner-fast timeline SNAP...`: pages per key across snapshots, ranked by growth."""
from __future__ import annotations

from .. import diagnose
from ..analysis import BY_CHOICES, load_sources, timeline
from ..render import plot, text
from ._common import add_table_options, parser, report, write_table


def main(argv: list[str]) -> int:
    p = parser("timeline", "Pages per key in each snapshot, keys ranked by growth "
                           "(least-squares slope per snapshot).")
    p.add_argument("snapshots", nargs="+", metavar="SNAPSHOT")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE and compiler suffixes from frames")
    p.add_argument("--plot", metavar="OUT.png|OUT.svg", help="plot the top keys (needs matplotlib)")
    add_table_options(p, ("text", "json", "csv"), None, BY_CHOICES)
    args = p.parse_args(argv)
    if args.plot:
        plot.check_plot_path(args.plot)
    srcs = []
    for snap in args.snapshots:   # one at a time: only the per-key counts stay
        (src,) = load_sources([snap], threads=args.threads)
        for message in diagnose.messages(src):
            report(message)
        srcs.append(src)
    shown = timeline(srcs, args.by, args.normalize).head(args.top)
    write_table(args.output, args.format, shown, text.timeline_summary(shown), len(srcs))
    if args.plot:
        plot.plot_timeline(shown.head(args.top or 10), args.plot)
    return 0
