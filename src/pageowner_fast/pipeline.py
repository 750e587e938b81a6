"""The sort pipeline -- page_owner_sort's job -- as one function that the command line and
the tests both call: load -> report -> filter -> cull -> sort -> write.

    >>> from pageowner_fast import pipeline
    >>> from pageowner_fast.sortcull import SortOptions
    >>> pipeline.run("dump.txt", "sorted.txt", SortOptions(cull=frozenset({"pid"})))

Warnings go to ``report(message)`` when the caller passes one (the command line prints them
on stderr), else through `warnings` as `PageOwnerWarning`.
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, TypeAlias

import numpy as np

from . import _engine, _threads, compat, diagnose, sortcull
from . import _fields as F
from ._engine import Progress
from ._output import AtomicOutput, check_not_input
from .dump import Dump, load
from .exceptions import PageOwnerWarning, UsageError
from .sortcull import Groups, SortOptions

if TYPE_CHECKING:   # timewindow (and its decimal) is loaded only for a window
    from .timewindow import TimeBound, TimeWindow

__all__ = ["FORMATS", "SortResult", "sort_dump", "load_for_sort", "run", "Report"]

FORMATS = ("text", "json", "csv")

Report = Callable[[str], None]
Source = str | bytes | os.PathLike[str] | IO[bytes]
Time: TypeAlias = "str | int | TimeBound | None"


def _warn(message: str) -> None:
    warnings.warn(message, PageOwnerWarning, stacklevel=3)


@dataclass
class SortResult:
    """The sorted groups of a dump, with the options as applied (the legacy free_ts ones
    dropped when the dump has no free_ts)."""

    dump: Dump
    groups: Groups
    options: SortOptions

    def write(self, write: compat.Write, fmt: str = "text", *, out: compat.Positional | None = None,
              threads: int | None = None) -> None:
        """Write the output through `write(data)`: page_owner_sort's text, or JSON / CSV.
        `out`: the output itself, when it can also be written at positions (a large text
        output is then written by `threads` threads at once; see compat.write_text)."""
        if fmt == "text":
            compat.write_text(write, self.dump, self.groups, self.options, out=out, threads=threads)
        elif fmt in FORMATS:
            from . import export  # json, csv: loaded when asked for
            export.write_groups(write, self.dump, self.groups, self.options.cull, fmt)
        else:
            raise UsageError(f"unknown output format {fmt!r} (use {', '.join(FORMATS)})")

    def text(self) -> bytes:
        """page_owner_sort's output file, byte for byte."""
        parts: list[bytes] = []
        self.write(lambda data: parts.append(bytes(data)))
        return b"".join(parts)


def sort_dump(dump: Dump, options: SortOptions, *, report: Report | None = None,
              window: TimeWindow | None = None) -> SortResult:
    """Filter, cull and sort a loaded dump as page_owner_sort does with `options`; with a
    time `window` (our extension, --since/--until) only the blocks allocated in it."""
    report = report or _warn
    if options.uses_free_ts() and bool(np.all(dump.bad & F.BAD_FREE_TS)):
        report("warning: -f, -r, --sort=ft and --cull=f need free_ts, which this dump does not "
               "have (kernels 5.13-6.6 print it); they were ignored")
        options = options.without_free_ts()
    rows = options.rows(dump)
    if window:
        keep, _ = window.mask(dump, what="sort --since/--until")
        rows = rows[keep[rows]]
    groups = sortcull.cull(dump, rows, options.cull)
    del rows
    return SortResult(dump, sortcull.sort(dump, groups, options.sort, consume=True), options)


def load_for_sort(source: Source, options: SortOptions, *, threads: int | None = None,
                  progress: Progress | None = None, window: TimeWindow | None = None) -> Dump:
    """Load `source` as the sort needs it. Identical blocks are folded while reading (memory
    bounded by the distinct texts) unless a block's own fields are needed: -d lists blocks one
    by one, -f and a time window look at each block's ts, and -a keeps each block's ts in
    its text. A cull folds them by its fields only (`SortOptions.fold_key`) where the texts
    are all but unique (`_engine.cull_fold_key`)."""
    return load(source, strip_ts=options.strip_ts, progress=progress, threads=threads,
                aggregate=options.strip_ts and not (options.debug or options.free_filter or window),
                fold_key=_engine.cull_fold_key(options.fold_key(), source))


def run(source: Source, output: str | os.PathLike[str], options: SortOptions, *,
        fmt: str = "text", threads: int | None = None, progress: Progress | None = None,
        report: Report | None = None, since: Time = None, until: Time = None) -> SortResult:
    """`pageowner-fast sort`: read `source`, write the sorted output to `output` (a path, or
    "-" for standard output) in `fmt` ("text": page_owner_sort's, byte for byte; "json";
    "csv"). A regular output file is replaced only when everything succeeded. ``since`` /
    ``until`` (an extension): only the blocks allocated in ``[since, until)`` (see
    `timewindow.parse_time`)."""
    window = None
    if since is not None or until is not None:
        from .timewindow import time_window
        window = time_window(since, until)
    if fmt not in FORMATS:
        raise UsageError(f"unknown output format {fmt!r} (use {', '.join(FORMATS)})")
    report = report or _warn
    check_not_input(output, source)
    with AtomicOutput(output) as out:
        dump = load_for_sort(source, options, threads=threads, progress=progress, window=window)
        for message in diagnose.dump_messages(dump, options.debug):
            report(message)
        with _threads.limit(threads):       # the sort's threads too
            result = sort_dump(dump, options, report=report, window=window)
        result.write(out.write, fmt, out=out, threads=threads)
    return result
