"""What the commands share: the program name, the reporter that prints warnings on stderr,
an argparse parser whose errors are one line (exit 1), the common options, and writing an
output file."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import NoReturn

from .. import _engine
from .. import _fields as F
from .._output import AtomicOutput
from ..analysis import ResultTable
from ..exceptions import UsageError
from ..render import data

PROG = "pageowner-fast"


def say(message: str) -> None:
    """One line on stderr, prefixed with the program's name."""
    print(f"{PROG}: {message}", file=sys.stderr)


# The reporter the commands pass to the library: each message a `pageowner-fast:` line.
report = say


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is a UsageError (one line on stderr, exit 1), not a usage dump
    and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog.split()[-1]}: {message}")


def parser(command: str, description: str) -> ArgumentParser:
    return ArgumentParser(prog=f"{PROG} {command}", description=description)


def count_arg(text: str) -> int:
    """A whole number >= 0 (--top, --threshold)."""
    t = text.strip()
    if not t.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    v = F.bounded_int(t, F.I64_MAX) if t.isdigit() else None
    if v is None:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 2**63-1: {text!r}")
    return v


def parse_threads(text: str) -> int:
    """--threads N: 1 to 64 (UsageError otherwise)."""
    t = text.strip()
    n = F.bounded_int(t, _engine.MAX_THREADS) if t.isdigit() else None
    if n is None or n < 1:
        raise UsageError(f"--threads must be a whole number from 1 to {_engine.MAX_THREADS}, "
                         f"not {text!r}")
    return n


def _threads_arg(text: str) -> int:
    try:
        return parse_threads(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("--threads ")) from None


def add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=_threads_arg, default=None, metavar="N",
                   help="scanner threads for a plain input file (default: one per 32 MiB, at "
                        "most one per CPU)")


def add_table_options(p: argparse.ArgumentParser, formats: tuple[str, ...], by_default: str | None,
                      by_choices: tuple[str, ...]) -> None:
    """--by, --top, --format, -o and --threads: the options of every analysis command."""
    p.add_argument("--by", choices=by_choices, default=by_default,
                   help=f"grouping key (default: {by_default or 'stack; handle for show_handles'})")
    p.add_argument("--top", type=count_arg, default=None, metavar="K", help="only the first K keys")
    p.add_argument("--format", choices=formats, default="text")
    p.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
    add_threads(p)


def write_table(path: str, fmt: str, table: ResultTable, text_pieces: Iterable[str],
                expand_pages: int | None = None) -> None:
    """A table as JSON, CSV, or (any other `fmt`) the given text."""
    if fmt == "json":
        write_output(path, data.iter_json(table))
    elif fmt == "csv":
        write_output(path, data.iter_csv(table, expand_pages))
    else:
        write_output(path, text_pieces)


def write_output(path: str, pieces: Iterable[bytes | str]) -> None:
    """Write `pieces` to `path` ("-": standard output), atomically for a regular file."""
    with AtomicOutput(path) as out:
        for piece in pieces:
            out.write(piece if isinstance(piece, bytes) else piece.encode("utf-8", "surrogateescape"))


def progress_for(path: object) -> _engine.Progress | None:
    from ._progress import for_input
    return for_input(path)
