"""The command line: ``pageowner-fast <command> ...`` (console script, ``python -m
pageowner_fast``).

`main(argv)` dispatches each command to ``pageowner_fast.cli.<command>``, imported when it
is run, whose ``main(argv) -> int`` parses the options, calls one library function and prints
the result. Errors are mapped here: a `PageOwnerError` is one line on stderr and its
``exit_code`` (1 for usage and option errors, in every command), Ctrl-C 130, a closed stdout
141. Nothing below this package imports it (docs/architecture.md).
"""
from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections.abc import Sequence

# This process does no linear algebra: keep OpenBLAS from starting (and spinning) a thread
# per core beside the scanner's threads. Only when NumPy is not loaded yet.
if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .. import _engine
from .._version import __version__
from ..exceptions import PageOwnerError
from ._base import PROG, say

TYPE_CHECKING = False   # (typing is not loaded before `sort` starts its scan: _early.py)
if TYPE_CHECKING:
    from typing import TextIO

COMMANDS = {
    "sort": "drop-in for page_owner_sort: sort [OPTIONS] <input> <output>",
    "gen": "write a synthetic page_owner dump (seeded), for tests and benchmarks",
    "stacks": "pages per stack of a show_stacks/show_handles file or a dump (text, json, csv, folded)",
    "diff": "pages and bytes per stack (or comm, pid, ...) in two snapshots, largest growth first",
    "timeline": "pages per key across snapshots, ranked by growth; optional plot",
    "report": "one self-contained HTML page: flame graph, top tables, what grew (--baseline), timeline",
    "top": "largest consumers by comm, pid, module, allocator, stack, order, gfp, migratetype, "
           "memcg, pageblock type (or several: --by comm,module)",
    "frag": "mixed pageblocks per type and the stacks that mix them (from the PFN lines)",
    "fleet": "many machines: dumps into a Parquet dataset on Dask (ingest); top, outliers, growth",
    "example": "write the bundled example dump (300 blocks, kernel 6.7+ format): example [PATH|-]",
}


def _general_help(out: TextIO) -> None:
    out.write(f"usage: {PROG} <command> [options]\n\ncommands:\n")
    for name, text in COMMANDS.items():
        out.write(f"  {name:10s}{text}\n")
    out.write(f"\n`{PROG} <command> --help` for a command's options; `{PROG} --version`.\n")


def version_text() -> str:
    """``pageowner-fast 1.2.3 (cython engine, xxh3-128 hash, avx2)``."""
    from .. import _engine
    info = _engine.info()
    parts = [f"{info['engine']} engine"]
    if info.get("hash"):
        parts.append(f"{info['hash']} hash")
    if info.get("simd"):
        parts.append(f"{info['simd']} splitter")
    if info.get("debug"):
        parts.append("debug build")
    return f"{PROG} {__version__} ({', '.join(parts)})"


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """Python warnings (e.g. "compiled scanner unavailable") as one `pageowner-fast:` line."""
    text = str(message).removeprefix("pageowner_fast: ")
    say(text if text.startswith(("warning: ", "note: ")) else f"warning: {text}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _main(list(sys.argv[1:] if argv is None else argv))


def _main(argv: list[str]) -> int:
    if not argv:
        say(f"error: no command given (`{PROG} --help` lists the commands)")
        return 1
    if argv[0] in ("-h", "--help", "help"):
        _general_help(sys.stdout)
        return 0
    if argv[0] in ("-V", "--version"):
        print(version_text())
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd not in COMMANDS:
        say(f"error: unknown command {cmd!r} (`{PROG} --help` lists the commands)")
        return 1
    try:
        if cmd == "sort":
            from ._early import prefetch_sort
            prefetch_sort(rest)     # its input's scan starts while the command is imported
        return int(importlib.import_module(f"{__name__}.{cmd}").main(rest))
    except PageOwnerError as e:
        say("error: " + " ".join(str(e).splitlines()))
        return e.exit_code
    except SystemExit as e:   # argparse's --help
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except KeyboardInterrupt:
        say("interrupted; no output written")
        return 130
    except BrokenPipeError:
        # the reader of stdout went away (`... - | head`): stop quietly; point fd 1 at
        # /dev/null so that the interpreter's final flush has nowhere to fail
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 141
    except MemoryError:
        say("error: out of memory")
        return 2
    finally:
        # a started scan the command did not take (its threads all joined, even when a
        # second Ctrl-C comes meanwhile: that one is not raised again)
        try:
            _engine.drop_prefetch()
        except KeyboardInterrupt:
            pass


def run() -> None:
    """The console script and `python -m pageowner_fast`: main(), then exit without the
    interpreter's teardown (tens of milliseconds spent freeing objects; every output file
    is closed by then). Should flushing stdout or stderr fail, the usual exit reports it;
    under a profiler or a coverage tool the usual exit happens too (they report at exit)."""
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        sys.exit(code)
    os._exit(code)
