"""`pageowner-fast fleet ingest|top|outliers|growth`: many machines' dumps in one Parquet
dataset, on Dask (the library is `pageowner_fast.fleet`; it needs the ``fleet`` extra)."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from .. import fleet
from ..fleet import text
from ._common import PROG, ArgumentParser, add_threads, count_arg, report, say, write_table

FORMATS = ("text", "json", "csv")


def _float_arg(text_: str) -> float:
    try:
        v = float(text_)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text_!r}") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0: {text_!r}")
    return v


def _workers_arg(text_: str) -> int:
    t = text_.strip()
    if not t.isdigit() or len(t) > 4 or int(t) > 1024:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 1024: {text_!r}")
    return int(t)


def _parser() -> ArgumentParser:
    p = ArgumentParser(prog=f"{PROG} fleet", description="Many machines' page_owner dumps in one "
                       "Parquet dataset (on Dask), and the questions a fleet answers.")
    sub = p.add_subparsers(dest="command", metavar="{ingest,top,outliers,growth}", required=True)

    i = sub.add_parser("ingest", help="scan dumps into a dataset (one task per dump)",
                       description="Scan dumps (plain, .gz, .xz, .zst; full dumps or show_stacks "
                                   "files; folders are walked) into a Parquet dataset of per-dump "
                                   "aggregates, on Dask workers.")
    i.add_argument("inputs", nargs="+", metavar="INPUT")
    i.add_argument("--out", required=True, metavar="DATASET", help="the dataset folder")
    i.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                   help="a label of every input (repeatable)")
    i.add_argument("--labels-from", metavar="REGEX",
                   help="labels from each input path: a regular expression with named groups, "
                        "e.g. '(?P<host>[^/]+)/(?P<kernel>[^/]+)/(?P<taken>\\d+)\\.txt'")
    i.add_argument("--partition-by", metavar="LABEL",
                   help="the label that names the dataset's folders (default: the first label)")
    i.add_argument("--normalize", action="store_true",
                   help="key stacks without offsets and compiler suffixes (fixed per dataset)")
    i.add_argument("--page-size", default="4K", metavar="4K|16K|64K")
    i.add_argument("--resume", action="store_true",
                   help="skip dumps already in the dataset (same path, size and mtime)")
    where = i.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--workers", type=_workers_arg, metavar="N",
                       help="local worker processes (0: in this process; default: one per CPU, "
                            "or this process for a handful of small inputs)")
    add_threads(i)

    def query(name: str, help_: str, across: bool = False, time: bool = False) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help_, description=help_)
        q.add_argument("dataset", metavar="DATASET")
        q.add_argument("--by", default="stack", metavar="KEY",
                       help="stack, comm, module, allocator, migratetype, memcg, dump_id or a label "
                            "(several: comm,module; default stack)")
        if across:
            q.add_argument("--across", required=True, metavar="LABEL",
                           help="the label whose values are the machines (e.g. host)")
        if time:
            q.add_argument("--time", required=True, metavar="LABEL",
                           help="the label that says when a dump was taken (a number or an ISO date)")
        q.add_argument("--where", action="append", default=[], metavar="LABEL=VALUE",
                       help="only these dumps or rows (repeatable: the same label twice is either "
                            "value, two labels both)")
        q.add_argument("--top", type=count_arg, default=None, metavar="K", help="only the first K rows")
        q.add_argument("--format", choices=FORMATS, default="text")
        q.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
        q.add_argument("--scheduler", metavar="ADDRESS",
                       help="compute on a running Dask cluster (default: threads in this process)")
        return q

    query("top", "pages, bytes, blocks and dumps per key across the fleet, largest first")
    o = query("outliers", "the machines far above a key's median across the fleet", across=True)
    o.add_argument("--threshold", type=_float_arg, default=fleet.queries.DEFAULT_THRESHOLD,
                   metavar="Z", help="lowest score shown (default %(default)s)")
    o.add_argument("--min-pages", type=_float_arg, default=fleet.queries.DEFAULT_MIN_PAGES,
                   metavar="N", help="the score's scale is at least N pages (default %(default)s)")
    query("growth", "per key and machine, the slope of pages over a time label, fastest first",
          across=True, time=True)
    return p


def _progress() -> Callable[[int, int], None] | None:
    """A bar of dumps on stderr, on a terminal only."""
    if os.environ.get("PAGEOWNER_FAST_NO_PROGRESS") or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:   # pragma: no cover - tqdm is a dependency
        return None
    state: dict[str, tqdm] = {}

    def advance(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, unit="dump", desc="ingest", file=sys.stderr,
                                      leave=False, dynamic_ncols=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
    return advance


def _ingest(args: argparse.Namespace) -> int:
    r = fleet.ingest(args.inputs, args.out, labels=args.label, labels_from=args.labels_from,
                     partition_by=args.partition_by, normalize=args.normalize,
                     page_size=args.page_size, resume=args.resume, scheduler=args.scheduler,
                     workers=args.workers, threads=args.threads, progress=_progress(),
                     report=lambda m: report(f"error: {m}"))
    sys.stdout.write(text.ingest_summary(r))
    if r.failed:
        n = len(r.failed) + len(r.ingested)
        say(f"error: {len(r.failed)} of {n} dumps failed; nothing was written for them")
        return 2
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "ingest":
        return _ingest(args)
    if args.command == "top":
        t = fleet.top(args.dataset, args.by, where=args.where, k=args.top, scheduler=args.scheduler)
        pieces = text.top_text(t, args.top)
    elif args.command == "outliers":
        t = fleet.outliers(args.dataset, args.by, args.across, where=args.where, k=args.top,
                           threshold=args.threshold, min_pages=args.min_pages,
                           scheduler=args.scheduler)
        pieces = text.outliers_text(t, args.top)
    else:
        t = fleet.growth(args.dataset, args.by, args.across, args.time, where=args.where,
                         k=args.top, scheduler=args.scheduler)
        pieces = text.growth_text(t, args.top)
    write_table(args.output, args.format, t, pieces)
    return 0
