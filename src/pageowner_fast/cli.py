"""Command-line front: `pageowner-fast <command> ...`; main(argv=None) -> int."""
from __future__ import annotations

import os
import sys
import warnings

# This process does no linear algebra: keep OpenBLAS from starting (and spinning) a thread
# per core beside the scanner's threads. Only when NumPy is not loaded yet (the CLI).
if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from . import _fields as F
from ._version import __version__
from .exceptions import PageOwnerError

PROG = "pageowner-fast"

COMMANDS = {
    "sort": "drop-in for page_owner_sort: sort [OPTIONS] <input> <output>",
    "gen": "write a synthetic page_owner dump (seeded), for tests and benchmarks",
    "stacks": "pages per stack of a show_stacks/show_handles file or a dump (text, json, csv, folded)",
    "diff": "pages per stack (or comm, pid, ...) in two snapshots, largest growth first",
    "timeline": "pages per key across snapshots, ranked by growth; optional plot",
    "top": "largest consumers by comm, pid, module, allocator, stack, order, gfp, migratetype",
    "example": "write the bundled example dump (300 blocks, kernel 6.7+ format): example [PATH|-]",
}


def warn(msg: str) -> None:
    print(f"{PROG}: {msg}", file=sys.stderr)


def _general_help(out) -> None:
    out.write(f"usage: {PROG} <command> [options]\n\ncommands:\n")
    for name, text in COMMANDS.items():
        out.write(f"  {name:10s}{text}\n")
    out.write(f"\n`{PROG} <command> --help` for a command's options; `{PROG} --version`.\n")


def _missing(name: str) -> str:
    """How a block lacking field `name` (a _fields.BAD_NAMES name) is described."""
    if name == "order in range 0..62":
        return "an order above 62 (counted as 0 pages)"
    if name == "PFN line":
        return "no PFN line (its allocator comes from the previous PFN line, as in page_owner_sort)"
    return f"no {name} field"


def _not_a_dump(dump) -> str:
    """The warning for an input in which no block has an order field."""
    if any(b"nr_base_pages:" in s or b"stack_count:" in s for s in dump.stacks):
        return ("warning: this looks like a page_owner_stacks/show_stacks file, not a page_owner "
                "dump: each record was sorted as a block without fields (0 pages), as "
                "page_owner_sort does; `pageowner-fast stacks` reads it properly")
    return ("warning: no block has an order field: this does not look like a page_owner dump; "
            "its blocks were sorted as plain text, as page_owner_sort does")


def _report_scan(dump, debug: bool) -> None:
    st = dump.stats
    if st.get("truncated"):
        warn("warning: the input ends inside a block (no empty line after its last block); "
             "that block was kept")
    if st.get("nul_bytes"):
        warn(f"warning: {st['nul_bytes']} NUL byte(s) in the input were kept as data")
    if st.get("cr_removed") and debug:
        warn(f"note: {st['cr_removed']} CRLF line ends were read as LF")
    if len(dump) == 0:
        warn("warning: the input holds no page_owner blocks")
        return
    mal = dump.malformed()
    absent = mal.pop("absent")
    if "order" in absent:
        warn(_not_a_dump(dump))
    empty = int(dump.count[dump.empty_mask()].sum())
    total = dump.nblocks
    if debug and absent:
        warn("note: no block has " + ", ".join(absent) + " (the dump's kernel does not print "
             "them); such fields take page_owner_sort's missing values")
    if debug and empty:
        warn(f"note: {empty} empty block(s) (extra blank lines or PFN-only blocks) count as "
             "entries, as in page_owner_sort")
    for name, rows in mal.items():
        if name == "PFN line":
            continue
        warn(f"warning: {int(dump.count[rows].sum())} of {total} blocks had {_missing(name)}" +
             ("" if debug else " (-d lists them)"))
    if debug:
        bits = [(b, n) for b, n in F.BAD_NAMES if n not in absent]
        empty_mask = dump.empty_mask()
        for i in np.flatnonzero(dump.bad != 0).tolist():
            if empty_mask[i]:
                continue
            for b, n in bits:
                if dump.bad[i] & b:
                    warn(f"block {i + 1} (line {int(dump.lineno[i])}): {_missing(n)}")


def _filter_rows(dump, opts) -> np.ndarray:
    keep = np.ones(len(dump), dtype=bool)
    if opts.pids is not None:
        keep &= np.isin(dump.pid, np.asarray(opts.pids, dtype=np.int32))
    if opts.tgids is not None:
        keep &= np.isin(dump.tgid, np.asarray(opts.tgids, dtype=np.int32))
    if opts.names is not None:
        ids = [dump.comms.id_of(n.encode("utf-8", "surrogateescape")) for n in opts.names]
        keep &= np.isin(dump.comm_id, np.asarray(ids, dtype=np.int32))
    if opts.modules is not None:
        ids = [dump.modules.id_of(n.encode("utf-8", "surrogateescape")) for n in opts.modules]
        keep &= np.isin(dump.module_id, np.asarray(ids, dtype=np.int32))
    if opts.free_filter:
        has = (dump.bad & F.BAD_FREE_TS) == 0
        keep &= ~(has & (dump.free_ts_ns != 0) & (dump.ts_ns < dump.free_ts_ns))
    return np.flatnonzero(keep)


def _drop_legacy(opts) -> None:
    """Legacy free_ts options on a dump without free_ts change nothing (spec §7)."""
    opts.free_filter = False
    opts.cull = frozenset(c for c in opts.cull if c != "free")
    opts.sort = [k for k in opts.sort if k[0] != "free_ts"] or [("times", -1)]


def cmd_sort(argv) -> int:
    from . import compat, sortcull
    from ._output import AtomicOutput, check_not_input
    from .dump import load

    try:
        opts = compat.parse_sort_args(argv)
    except compat.OptionError as e:
        if e.message:
            print(e.message, file=sys.stderr)
        if e.usage:
            sys.stdout.write(compat.USAGE)
            sys.stdout.flush()
        return e.code
    if opts.help:
        sys.stdout.write(compat.USAGE + compat.USAGE_EXTRA)
        return 0
    if opts.extra_operands:
        warn("warning: extra operands ignored: " + " ".join(opts.extra_operands))
    inp, outp = opts.inputs
    check_not_input(outp, inp)
    with AtomicOutput(outp) as out:
        # -d lists blocks one by one and -f looks at each block's ts: both need a row per
        # block; so does -a, whose texts keep their ts (no two alike). Otherwise identical
        # blocks are folded while reading (memory bounded by the distinct texts)
        dump = load(inp, strip_ts=opts.strip_ts, progress=_progress_for(inp),
                    aggregate=opts.strip_ts and not (opts.debug or opts.free_filter))
        _report_scan(dump, opts.debug)
        if opts.uses_free_ts() and bool(np.all(dump.bad & F.BAD_FREE_TS)):
            warn("warning: -f, -r, --sort=ft and --cull=f need free_ts, which this dump does "
                 "not have (kernels 5.13-6.6 print it); they were ignored")
            _drop_legacy(opts)
        rows = _filter_rows(dump, opts)
        groups = sortcull.cull(dump, rows, opts.cull)
        groups = sortcull.sort(dump, groups, opts.sort)
        if opts.fmt == "text":
            compat.write_text(out.write, dump, groups, opts)
        else:
            from . import export
            export.write_groups(out, dump, groups, opts)
    return 0


def _progress_for(inp):
    from . import _progress
    return _progress.for_input(inp)


def cmd_example(argv) -> int:
    """Write the bundled example dump to PATH (default example.txt) or stdout (-)."""
    import gzip
    from importlib import resources

    from ._output import AtomicOutput
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        print(f"usage: {PROG} example [PATH|-]   (default: example.txt)")
        return 0 if argv and argv[0] in ("-h", "--help") else 1
    data = gzip.decompress(resources.files("pageowner_fast").joinpath("data/example.txt.gz").read_bytes())
    with AtomicOutput(argv[0] if argv else "example.txt") as out:
        out.write(data)
    return 0


def cmd_gen(argv) -> int:
    from . import gen
    return gen.main(argv)


def _analysis(name):
    def run(argv) -> int:
        from . import analysis
        return analysis.main(name, argv)
    return run


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Python warnings (e.g. "compiled scanner unavailable") as one `pageowner-fast:` line."""
    text = str(message)
    if text.startswith("pageowner_fast: "):
        text = text[len("pageowner_fast: "):]
    warn(f"warning: {text}")


def main(argv=None) -> int:
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _main(argv)


def _main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        _general_help(sys.stdout if argv else sys.stderr)
        return 0 if argv else 1
    if argv[0] in ("-V", "--version"):
        from . import _engine
        print(f"{PROG} {__version__} ({_engine.summary()})")
        return 0
    cmd, rest = argv[0], argv[1:]
    handler = {"sort": cmd_sort, "gen": cmd_gen, "example": cmd_example,
               "stacks": _analysis("stacks"),
               "diff": _analysis("diff"), "timeline": _analysis("timeline"),
               "top": _analysis("top")}.get(cmd)
    if handler is None:
        warn(f"unknown command '{cmd}'")
        _general_help(sys.stderr)
        return 1
    try:
        return handler(rest)
    except PageOwnerError as e:
        warn(f"error: {e}")
        return e.exit_code
    except KeyboardInterrupt:
        warn("interrupted; no output written")
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
        warn("error: out of memory")
        return 2


def run() -> None:
    """The console script and `python -m pageowner_fast`: main(), then exit without the
    interpreter's teardown (tens of milliseconds spent freeing objects; every output file
    is closed by then). Should flushing stdout or stderr fail, the usual exit reports it;
    under a profiler or a coverage tool the usual exit happens too (they report at exit)."""
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)      # a profiler or coverage tool reports at the usual exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
