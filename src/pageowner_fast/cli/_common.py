"""What the commands share: the program name, the reporter that prints warnings on stderr,
an argparse parser whose errors are one line (exit 1), the common options, and writing an
output file."""
from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterable
from typing import Any, NoReturn

from .. import _fields as F
from .. import diagnose
from .._output import AtomicOutput
from ..analysis import BY_CHOICES, ResultTable, load_sources, needs_blocks, parse_by, parse_page_size
from ..exceptions import OutputOpenError, UsageError
from ..render import data
from ..render.text import DEFAULT_FRAMES
from ..timewindow import TimeBound, parse_time, time_window

# the helpers `sort` needs as well live in _base.py; every command finds them here too
from ._base import PROG as PROG
from ._base import parse_threads as parse_threads
from ._base import progress_for as progress_for
from ._base import report as report
from ._base import say as say


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is a UsageError (one line on stderr, exit 1), not a usage dump
    and exit 2; and a negative time with a unit (``--since -10m``) is a value, not an option
    (argparse before 3.13 takes only plain negative numbers as values)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?[0-9]")

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog.split()[-1]}: {message}")


def parser(command: str, description: str) -> ArgumentParser:
    return ArgumentParser(prog=f"{PROG} {command}", description=description)


def count_arg(text: str) -> int:
    """A whole number >= 0 (--top, --threshold)."""
    t = text.strip()
    if not t.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    v = F.bounded_int(t, F.I64_MAX)
    if v is None:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 2**63-1: {text!r}")
    return v


def _threads_arg(text: str) -> int:
    try:
        return parse_threads(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("--threads ")) from None


def add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=_threads_arg, default=None, metavar="N",
                   help="scanner threads for a plain input file (default: one per 32 MiB, at "
                        "most one per CPU)")


def _by_arg(text: str) -> tuple[str, ...]:
    try:
        names = parse_by(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return names or ("stack",)


def _page_size_arg(text: str) -> int:
    try:
        return parse_page_size(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _time_arg(text: str) -> TimeBound:
    try:
        return parse_time(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


TEXT_TOP = 20   # rows of a text table unless --top says otherwise


def add_table_options(p: argparse.ArgumentParser, formats: tuple[str, ...], by_default: str | None,
                      *, frames: int | None = DEFAULT_FRAMES, window: bool = True) -> None:
    """--by, --top, --frames, --page-size, --since/--until, --format, -o and --threads: the
    options of every analysis command."""
    keys = ", ".join(BY_CHOICES)
    p.add_argument("--by", type=_by_arg, default=None if by_default is None else (by_default,),
                   metavar="KEY[,KEY...]",
                   help=f"grouping key, or several separated by commas (default: "
                        f"{by_default or 'stack; handle for show_handles'}); keys: {keys}")
    p.add_argument("--top", type=count_arg, default=None, metavar="K",
                   help=f"only the first K keys (default: {TEXT_TOP} in text, all in json/csv; "
                        "0 = all)")
    p.add_argument("--frames", type=count_arg, default=frames, metavar="N",
                   help=f"at most N frames of each stack in text output, innermost first "
                        f"(default: {frames or 'all'}; 0 = all)")
    p.add_argument("--page-size", type=_page_size_arg, default=4096, metavar="SIZE",
                   help="page size for the byte figures: 4K (default), 16K, 64K or a number of bytes")
    if window:
        add_window(p)
    p.add_argument("--format", choices=formats, default="text")
    p.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
    add_threads(p)


def add_window(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=_time_arg, default=None, metavar="T",
                   help="only blocks allocated at ts >= T: ns, or a number with a unit (ns, us, "
                        "ms, s, m, h); negative: before the newest ts of the dump (-10m)")
    p.add_argument("--until", type=_time_arg, default=None, metavar="T",
                   help="only blocks allocated at ts < T (as --since)")


def text_top(args: argparse.Namespace) -> int | None:
    """The rows to show: --top as given; in text without --top, the first 20."""
    if args.top is not None:
        return args.top or None
    return TEXT_TOP if args.format == "text" else None


def check_output(path: str, option: str = "-o") -> None:
    """Refuse an output whose directory does not exist, or that is a directory, before any
    work is done (one line, exit 1)."""
    if path == "-":
        return
    spath = os.fsdecode(path)
    parent = os.path.dirname(os.path.abspath(spath))
    if os.path.isdir(spath):
        raise OutputOpenError(f"{option} {spath}: is a directory")
    if not os.path.isdir(parent):
        raise OutputOpenError(f"{option} {spath}: cannot create it: no directory {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputOpenError(f"{option} {spath}: cannot create it: no permission to write "
                              f"in {parent}")


def check_outputs(args: argparse.Namespace) -> None:
    """Check the output options of a parsed command line (-o, --plot) before the work."""
    check_output(args.output)
    if getattr(args, "plot", None):
        check_output(args.plot, "--plot")


def write_table(path: str, fmt: str, table: ResultTable, text_pieces: Iterable[str],
                expand_pages: int | None = None) -> None:
    """A table as JSON, CSV, or (any other `fmt`) the given text."""
    if fmt == "json":
        write_output(path, data.iter_json(table))
    elif fmt == "csv":
        write_output(path, data.iter_csv(table, expand_pages))
    else:
        write_output(path, text_pieces)


def load_inputs(args: argparse.Namespace, paths: list[str], *, per_block: bool = False,
                fold_key: tuple[str, ...] | None = None) -> list[Any]:
    """Load the inputs of an analysis command (one progress bar for all, on a terminal),
    one row per block when its window or keys need it, and report what is worth saying
    about each input."""
    window = time_window(getattr(args, "since", None), getattr(args, "until", None))
    by = getattr(args, "by", None)
    srcs = load_sources(paths, threads=args.threads, progress=progress_for(*paths),
                        aggregate=not (per_block or needs_blocks(by, window)), fold_key=fold_key)
    for src in srcs:
        for message in diagnose.messages(src):
            report(message)
    return srcs


def write_output(path: str, pieces: Iterable[bytes | str]) -> None:
    """Write `pieces` to `path` ("-": standard output), atomically for a regular file."""
    with AtomicOutput(path) as out:
        for piece in pieces:
            out.write(piece if isinstance(piece, bytes) else piece.encode("utf-8", "surrogateescape"))
