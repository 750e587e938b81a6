"""The command-line helpers `sort` needs (the program's name, one-line messages on stderr,
--threads, the progress bar), kept apart from _common.py -- whose option helpers import the
analyses -- so that `pageowner-fast sort` starts without loading those."""
from __future__ import annotations

import sys

from .. import _engine
from .. import _fields as F
from ..exceptions import UsageError

PROG = "pageowner-fast"


def say(message: str) -> None:
    """One line on stderr, prefixed with the program's name."""
    print(f"{PROG}: {message}", file=sys.stderr)


def parse_threads(text: str) -> int:
    """--threads N: 1 to 64 (UsageError otherwise)."""
    t = text.strip()
    n = F.bounded_int(t, _engine.MAX_THREADS)
    if n is None or n < 1:
        raise UsageError(f"--threads must be a whole number from 1 to {_engine.MAX_THREADS}, "
                         f"not {text!r}")
    return n


# The reporter the commands pass to the library: each message a `pageowner-fast:` line.
report = say


def progress_for(path: object, *more: object) -> _engine.Progress | None:
    """A progress bar for reading `path` (and `more` inputs: one bar for all), on a terminal
    only; None when no bar is wanted."""
    from ._progress import for_input
    return for_input(path, *more)
