"""Analyses over dumps and page_owner_stacks files: top-N, snapshot diff, growth over time,
and the Dump-level filter / cull / sort API; plus the ``stacks``, ``diff``, ``timeline`` and
``top`` subcommands.

Every analysis returns a `ResultTable` (rows are dicts; ``.to_pandas()`` when pandas is
installed). Inputs are paths (plain, .gz, .xz, .zst), ``"-"``, binary file objects, or
already loaded `Dump` / `StackFile` objects; dumps and show_stacks files can be mixed.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import stacks as S
from .exceptions import PageOwnerError, UsageError

__all__ = ["ResultTable", "GroupTable", "diff", "timeline", "top", "filter_dump", "cull_dump",
           "sort_dump", "parse_page_size"]


class CommandLineError(PageOwnerError, ValueError):
    """Bad options of the analysis subcommands (argparse errors, one line)."""

    exit_code = 2


# --------------------------------------------------------------------------------------------
# Result tables
# --------------------------------------------------------------------------------------------

class ResultTable(Sequence):
    """A small table: ``columns`` (names) and ``rows`` (list of dicts), plus ``meta`` (dict).

    ``table[i]`` is row i, ``table["pages"]`` a column (list). Stack keys are tuples of frame
    strings (innermost first)."""

    def __init__(self, columns, rows, *, by: str = "stack", meta: dict | None = None):
        self.columns = list(columns)
        self.rows = list(rows)
        self.by = by
        self.meta = dict(meta or {})

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        if isinstance(i, str):
            return [r[i] for r in self.rows]
        if isinstance(i, slice):
            return ResultTable(self.columns, self.rows[i], by=self.by, meta=self.meta)
        return self.rows[i]

    def __repr__(self):
        return f"ResultTable(by={self.by!r}, {len(self)} rows, columns={self.columns})"

    def head(self, k: int | None) -> "ResultTable":
        return self if k is None or k <= 0 else self[:k]

    def to_records(self) -> list:
        """Rows as JSON-ready dicts (stack keys as lists)."""
        return [{c: _json_value(r[c]) for c in self.columns} for r in self.rows]

    def to_pandas(self):
        """A pandas DataFrame (stack keys as tuples); needs the ``pandas`` extra."""
        pd = _need("pandas", "pandas")
        return pd.DataFrame({c: [r[c] for r in self.rows] for c in self.columns},
                            columns=self.columns)


def _json_value(v):
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _need(module: str, extra: str):
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this needs {module}: pip install pageowner-fast[{extra}]") from None




# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------

def _load_all(sources, threads: bool = True, then=None):
    """load_any() each source, then apply ``then`` to it (in the same worker); two or more
    inputs are read in parallel threads (the scanner releases the GIL while it scans)."""
    from .dump import Dump
    sources = list(sources)
    need = [i for i, s in enumerate(sources) if not isinstance(s, (S.StackFile, Dump))]
    out = list(sources)
    if then is not None:
        def work(j):
            return then(S.load_any(sources[j], aggregate=True))
        need = list(range(len(sources)))
    else:
        def work(j):
            return S.load_any(sources[j], aggregate=True)
    stdin = sum(1 for i in need if isinstance(sources[i], str) and sources[i] == "-")
    if stdin > 1:
        raise UsageError("standard input ('-') can be read only once")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if threads and len(need) > 1 and cpus > 1:
        workers = min(len(need), cpus, 4)
        # the engine scans a large plain file with its own threads: share the CPUs out
        with _engine_threads(max(1, cpus // workers)), ThreadPoolExecutor(max_workers=workers) as ex:
            for i, got in zip(need, ex.map(work, need)):
                out[i] = got
    else:
        for i in need:
            out[i] = work(i)
    return out


@contextlib.contextmanager
def _engine_threads(n: int):
    """Scanner threads per input while several inputs are read at once (the engine's
    PAGEOWNER_FAST_THREADS knob; a value set by the user wins)."""
    key = "PAGEOWNER_FAST_THREADS"
    if os.environ.get(key):
        yield
        return
    os.environ[key] = str(n)
    try:
        yield
    finally:
        os.environ.pop(key, None)


def _describe(src) -> dict:
    if isinstance(src, S.StackFile):
        return {"source": src.source, "kind": src.kind, "unit": src.unit, "records": len(src),
                "pages": src.total_pages()}
    return {"source": src.source, "kind": "dump", "unit": "pages", "blocks": int(src.count.sum()),
            "pages": int(src.pages.sum())}


def _common_by(srcs, by):
    """The grouping for all sources; handle keys compare only with handle keys."""
    got = [S.resolve_by(s, by) for s in srcs]
    if len(set(got)) > 1:
        hs = [s.source for s, b in zip(srcs, got) if b == "handle"]
        raise S.UnsupportedKeyError(
            f"{hs[0]} is keyed by stack-depot handle (show_handles): it can be compared only with "
            "another show_handles file (or resolve it with its show_stacks_handles file)")
    return got[0] if got else (by or "stack")


# --------------------------------------------------------------------------------------------
# top / diff / timeline
# --------------------------------------------------------------------------------------------

def top(source, by: str = "comm", *, page_size: int = 4096, k: int | None = None,
        normalize: bool = False) -> ResultTable:
    """Pages per key, largest first: columns key, blocks (None for a show_stacks file),
    pages, bytes (pages x page_size) and share (of all pages)."""
    (src,) = _load_all([source])
    by = S.resolve_by(src, by)
    c = S.counts(src, by, normalize)
    total = sum(v[1] for v in c.values())
    rows = [{"key": key, "blocks": b, "pages": p, "bytes": p * page_size,
             "share": (p / total) if total else 0.0} for key, (b, p) in c.items()]
    rows.sort(key=lambda r: (-r["pages"], -(r["blocks"] or 0), S.tie_key(r["key"])))
    meta = {"input": _describe(src), "page_size": page_size, "total_pages": total,
            "total_blocks": sum((v[0] or 0) for v in c.values()) if not isinstance(src, S.StackFile) else None}
    return ResultTable(["key", "blocks", "pages", "bytes", "share"], rows, by=by, meta=meta).head(k)


def diff(a, b, by: str | None = "stack", normalize: bool = False, *, k: int | None = None) -> ResultTable:
    """Pages per key in ``a`` (old) and ``b`` (new): columns key, old_pages, new_pages,
    delta_pages (new - old), ratio (new / old, None when old is 0), old_blocks, new_blocks
    (None for a show_stacks side). One row per key present in either input, largest growth
    first. ``normalize`` strips ``+0xOFF/0xSIZE`` and compiler suffixes from frames so that
    the same call path from two builds matches."""
    def count(src):  # runs in the loading thread: overlaps with the other input's scan
        b = S.resolve_by(src, by)
        return src, b, S.counts(src, b, normalize)
    (old, bo, co), (new, bn, cn) = _load_all([a, b], then=count)
    by = _common_by([old, new], by)
    rows = []
    for key in co.keys() | cn.keys():
        ob, op = co.get(key, (0 if not isinstance(old, S.StackFile) else None, 0))
        nb, np_ = cn.get(key, (0 if not isinstance(new, S.StackFile) else None, 0))
        rows.append({"key": key, "old_pages": op, "new_pages": np_, "delta_pages": np_ - op,
                     "ratio": (np_ / op) if op else None, "old_blocks": ob, "new_blocks": nb})
    rows.sort(key=lambda r: (-r["delta_pages"], -r["new_pages"], S.tie_key(r["key"])))
    meta = {"old": _describe(old), "new": _describe(new), "normalize": normalize,
            "old_total": sum(v[1] for v in co.values()), "new_total": sum(v[1] for v in cn.values())}
    cols = ["key", "old_pages", "new_pages", "delta_pages", "ratio", "old_blocks", "new_blocks"]
    return ResultTable(cols, rows, by=by, meta=meta).head(k)


def _slopes(m: np.ndarray) -> np.ndarray:
    """Least-squares slope (pages per snapshot) of each row of m."""
    n = m.shape[1]
    if n < 2:
        return np.zeros(m.shape[0])
    x = np.arange(n, dtype=np.float64)
    x -= x.mean()
    return (m - m.mean(axis=1, keepdims=True)) @ x / float((x * x).sum())


def timeline(snapshots, by: str | None = "stack", normalize: bool = False, *,
             k: int | None = None, labels=None) -> ResultTable:
    """Pages per key in each snapshot (in the order given): columns key, pages (list, one per
    snapshot), delta_pages (last - first) and slope (least-squares pages per snapshot), keys
    ranked by slope (fastest growth first). Snapshots are loaded one at a time; only their
    per-key counts are kept."""
    snapshots = list(snapshots)
    if not snapshots:
        raise UsageError("timeline needs at least one snapshot")
    per, infos, bys = [], [], set()
    for snap in snapshots:
        (src,) = _load_all([snap])
        bys.add(S.resolve_by(src, by))
        if len(bys) > 1:
            raise S.UnsupportedKeyError(f"{src.source}: show_handles snapshots (keyed by handle) "
                                        "cannot be mixed with stack-keyed ones")
        per.append(S.counts(src, next(iter(bys)), normalize))
        infos.append(_describe(src))
        del src
    by = next(iter(bys))
    keys = list(set().union(*[c.keys() for c in per]))
    m = np.zeros((len(keys), len(per)), dtype=np.int64)
    for j, c in enumerate(per):
        for i, key in enumerate(keys):
            v = c.get(key)
            if v is not None:
                m[i, j] = v[1]
    slope = _slopes(m.astype(np.float64))
    rows = [{"key": key, "pages": m[i].tolist(), "delta_pages": int(m[i, -1] - m[i, 0]),
             "slope": float(slope[i])} for i, key in enumerate(keys)]
    rows.sort(key=lambda r: (-r["slope"], -r["delta_pages"], -r["pages"][-1], S.tie_key(r["key"])))
    labels = list(labels) if labels is not None else [i["source"] for i in infos]
    meta = {"snapshots": infos, "labels": labels, "normalize": normalize,
            "totals": m.sum(axis=0).tolist()}
    return ResultTable(["key", "pages", "delta_pages", "slope"], rows, by=by, meta=meta).head(k)


# --------------------------------------------------------------------------------------------
# Dump-level API: filter / cull / sort
# --------------------------------------------------------------------------------------------

def _as_list(v):
    if v is None:
        return None
    if isinstance(v, (str, bytes, int, np.integer)):
        return [v]
    return list(v)


def _enc(v) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode("utf-8", "surrogateescape")


def subset(dump, rows) -> "object":
    """A Dump holding the given rows (a boolean mask or indices); string tables are shared."""
    from .dump import Dump
    rows = np.asarray(rows)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    cols = {k: v[rows] for k, v in dump.columns.items()}
    new = Dump(cols, {"headers": [], "stacks": [], "comms": [], "modules": []},
               dict(dump.stats, blocks=int(len(rows))), strip_ts=dump.strip_ts, source=dump.source)
    new.headers, new.stacks, new.comms, new.modules = dump.headers, dump.stacks, dump.comms, dump.modules
    return new


def filter_mask(dump, *, pid=None, tgid=None, comm=None, module=None) -> np.ndarray:
    keep = np.ones(len(dump), dtype=bool)
    if pid is not None:
        keep &= np.isin(dump.pid, np.asarray(_as_list(pid), dtype=np.int64))
    if tgid is not None:
        keep &= np.isin(dump.tgid, np.asarray(_as_list(tgid), dtype=np.int64))
    if comm is not None:
        ids = [dump.comms.id_of(_enc(c)) for c in _as_list(comm)]
        keep &= np.isin(dump.comm_id, np.asarray(ids, dtype=np.int64))
    if module is not None:
        ids = [dump.modules.id_of(_enc(m)) for m in _as_list(module)]
        keep &= np.isin(dump.module_id, np.asarray(ids, dtype=np.int64))
    return keep


def filter_dump(dump, *, pid=None, tgid=None, comm=None, module=None):
    """The blocks whose pid / tgid / comm / module is one of the given values (each a scalar
    or a list; all given criteria must hold), as a new Dump sharing the string tables."""
    return subset(dump, filter_mask(dump, pid=pid, tgid=tgid, comm=comm, module=module))


_CULL_NAMES = {"comm": "name", "task_comm_name": "name", "stack": "stacktrace"}


def parse_cull(keys) -> frozenset:
    """("stacktrace", "pid") or "st,pid" -> page_owner_sort's cull set."""
    from . import compat
    if keys is None:
        return frozenset()
    if isinstance(keys, str):
        keys = [k for k in keys.split(",") if k]
    out = set()
    for k in keys:
        name = compat._KEYS.get(_CULL_NAMES.get(k, k))
        if name not in compat.CULL_OK:
            raise UsageError(f"unknown cull key {k!r} (use pid, tgid, name/comm, stacktrace, "
                             "allocator, module, free)")
        out.add(name)
    return frozenset(out)


_SORT_EXTRA = {"times": "times", "t": "times", "count": "times", "pages": "pages", "m": "pages",
               "comm": "name", "stack": "stacktrace"}


def parse_sort(keys) -> list:
    """"-pages,pid" / [("pages", -1)] -> [(name, sign)] (page_owner_sort's keys plus times,
    pages)."""
    from . import compat
    if keys is None:
        return [("times", -1)]
    if isinstance(keys, str):
        keys = [k for k in keys.split(",") if k]
    out = []
    for k in keys:
        if isinstance(k, tuple):
            name, sign = k
        else:
            sign = -1 if k.startswith("-") else 1
            name = k.lstrip("+-")
        name = _SORT_EXTRA.get(name, compat._KEYS.get(name, name))
        if name not in compat.SORT_OK and name not in ("times", "pages"):
            raise UsageError(f"unknown sort key {name!r}")
        out.append((name, int(sign)))
    return out


class GroupTable(Sequence):
    """Culled (and possibly sorted) groups of a Dump: ``rep`` (representative row: the first
    loaded member), ``count`` (blocks), ``pages``. ``records()`` / ``to_pandas()`` give the
    same fields as ``sort --format json``; ``text()`` the page_owner_sort output bytes."""

    def __init__(self, dump, groups, cull: frozenset):
        self.dump = dump
        self.groups = groups
        self.cull = frozenset(cull)

    rep = property(lambda self: self.groups.rep)
    count = property(lambda self: self.groups.count)
    pages = property(lambda self: self.groups.pages)

    def __len__(self):
        return len(self.groups)

    def __getitem__(self, i):
        from . import export
        if isinstance(i, slice):
            from .sortcull import Groups
            g = self.groups
            return GroupTable(self.dump, Groups(g.rep[i], g.count[i], g.pages[i]), self.cull)
        if i < 0:
            i += len(self)
        return next(iter(export.group_records(self.dump, self.groups, self.cull, start=i, stop=i + 1)))

    def __repr__(self):
        return f"GroupTable({len(self)} groups, cull={sorted(self.cull)})"

    def sort(self, keys="-times") -> "GroupTable":
        from . import sortcull
        return GroupTable(self.dump, sortcull.sort(self.dump, self.groups, parse_sort(keys)), self.cull)

    def records(self):
        from . import export
        return export.group_records(self.dump, self.groups, self.cull)

    def to_pandas(self):
        pd = _need("pandas", "pandas")
        return pd.DataFrame(list(self.records()))

    def text(self) -> bytes:
        """page_owner_sort's output text for these groups (cull columns as with --cull)."""
        from . import compat
        opts = compat.SortOptions(cull=self.cull)
        return b"".join(compat.iter_text(self.dump, self.groups, opts))


def cull_dump(dump, keys=("stacktrace",)) -> GroupTable:
    """Group all blocks as ``page_owner_sort --cull`` does (``keys=()``: by full text, the
    tool's default); groups come in ascending key order."""
    from . import sortcull
    c = parse_cull(keys)
    return GroupTable(dump, sortcull.cull(dump, np.arange(len(dump)), c), c)


def sort_dump(dump, keys="-times", cull=()) -> GroupTable:
    """Cull by ``cull`` then stably sort by ``keys`` ("-times" = page_owner_sort's default;
    "-pages", "pid", "name", "stacktrace", "txt", "alloc_ts", "allocator", "module", ...)."""
    return cull_dump(dump, cull).sort(keys)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CommandLineError(f"{self.prog.split()[-1]}: {message}")


_PAGE_SIZES = {"4K": 4096, "16K": 16384, "64K": 65536}


def parse_page_size(text: str) -> int:
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    if t in _PAGE_SIZES:
        return _PAGE_SIZES[t]
    if t.isdigit() and int(t) in _PAGE_SIZES.values():
        return int(t)
    raise argparse.ArgumentTypeError(f"page size must be 4K, 16K or 64K, not {text!r}")


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return v


def _common(p, formats, by_default="stack", by_choices=S.BY_CHOICES):
    p.add_argument("--by", choices=by_choices, default=by_default,
                   help=f"grouping key (default: {by_default or 'stack; handle for show_handles'})")
    p.add_argument("--top", type=_positive, default=None, metavar="K", help="only the first K keys")
    p.add_argument("--format", choices=formats, default="text")
    p.add_argument("-o", "--output", default="-", help="output file (default: standard output)")


def _warn(msg: str) -> None:
    from .cli import warn
    warn(msg)


def _notes(src, quiet: bool = False) -> None:
    """stderr notes on how a source counts."""
    if isinstance(src, S.StackFile):
        if src.unit == "allocations":
            _warn(f"note: {src.source}: stack_count: records (v6.9-rc page_owner_stacks) count "
                  "allocations, not pages")
        elif src.unit == "mixed":
            n = sum(1 for lab in src.labels if lab == "stack_count")
            _warn(f"note: {src.source}: {n} of {len(src)} records have stack_count: (allocations, "
                  "v6.9-rc) instead of nr_base_pages:; both are summed as given")
        if len(src) == 0:
            _warn(f"warning: {src.source}: no records")
    else:
        from .cli import _report_scan
        _report_scan(src, False)


def _write(out_path, data_iter) -> None:
    from ._output import AtomicOutput
    with AtomicOutput(out_path) as out:
        for chunk in data_iter:
            out.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8", "surrogateescape"))


def _key_text(key, by) -> str:
    if isinstance(key, tuple):
        return S.short_label(key)
    if by == "handle":
        return f"handle {key}"
    if isinstance(key, str) and key == "":
        return '""'
    return str(key)


def _frames_text(key, indent: str) -> str:
    if not isinstance(key, tuple):
        return ""
    return "".join(f"{indent}{fr}\n" for fr in key)


def _human(nbytes: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if nbytes >= 1 << shift:
            return f"{nbytes / (1 << shift):.1f} {unit}"
    return f"{nbytes} B"


def _n(v) -> str:
    return "-" if v is None else f"{v:,}"


def cmd_stacks(argv) -> int:
    p = _Parser(prog="pageowner-fast stacks",
                description="Pages per allocation stack (or comm, pid, ...) of a show_stacks, "
                            "show_handles or show_stacks_handles file or of a full dump.")
    p.add_argument("input", help="page_owner_stacks file or page_owner dump ('-' = stdin)")
    p.add_argument("--threshold", type=_positive, default=0, metavar="N",
                   help="drop records with fewer than N pages (as the kernel's count_threshold)")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE and compiler suffixes (.isra.N, .cold, ...) from frames")
    p.add_argument("--stacks-handles", metavar="FILE",
                   help="show_stacks_handles file that maps the handles of a show_handles INPUT to stacks")
    _common(p, ("text", "json", "csv", "folded"), by_default=None)
    args = p.parse_args(argv)
    src = S.load_any(args.input, aggregate=True)
    if args.stacks_handles:
        if not isinstance(src, S.StackFile):
            raise CommandLineError(f"--stacks-handles: {args.input} is a dump, not a show_handles file")
        src = src.resolve_handles(S.load_stacks(args.stacks_handles))
    _notes(src)
    by = S.resolve_by(src, args.by)
    if isinstance(src, S.StackFile) and not src.has_counts:
        # show_stacks_handles: no counts, no threshold; list stacks with their handles
        rows = [{"key": fr if by == "stack" else h, "blocks": None, "pages": None, "handle": h}
                for fr, h in zip(src.frames, src.handles)]
    else:
        c = S.counts(src, by, args.normalize)
        rows = [{"key": key, "blocks": b, "pages": pg, "handle": key if by == "handle" else None}
                for key, (b, pg) in c.items() if pg >= max(1, args.threshold)]
        rows.sort(key=lambda r: (-r["pages"], S.tie_key(r["key"])))
        if by == "stack" and isinstance(src, S.StackFile) and not args.normalize:
            hmap = {fr: h for fr, h in zip(src.frames, src.handles) if h is not None}
            for r in rows:
                r["handle"] = hmap.get(r["key"])
    table = ResultTable(["key", "pages", "blocks", "handle"], rows, by=by,
                        meta={"input": _describe(src)}).head(args.top)
    fmt = args.format
    from . import export
    if fmt == "json":
        _write(args.output, export.iter_json(table, schema_cols=table.columns))
    elif fmt == "csv":
        _write(args.output, export.iter_csv(table))
    elif fmt == "folded":
        _write(args.output, _folded(table))
    elif by in ("stack", "handle"):
        labels: dict = {}
        if isinstance(src, S.StackFile):  # keep each record's own count line name
            keys = src.handles if by == "handle" else (
                [S.normalize_stack(f) for f in src.frames] if args.normalize else src.frames)
            for key, lab in zip(keys, src.labels):
                labels[key] = lab if labels.get(key, lab) == lab else "nr_base_pages"
        _write(args.output, _show_stacks_text(table, labels))
    else:
        _write(args.output, _simple_text(table))
    return 0


def _show_stacks_text(table, labels):
    for r in table.rows:
        label = labels.get(r["key"]) or "nr_base_pages"
        parts = []
        if isinstance(r["key"], tuple):
            parts.extend(f" {fr}\n" for fr in r["key"])
        if r["handle"] is not None:
            parts.append(f"handle: {r['handle']}\n")
        if r["pages"] is not None:
            parts.append(f"{label}: {r['pages']}\n")
        parts.append("\n")
        yield "".join(parts)


def _simple_text(table):
    yield f"{'pages':>12} {'blocks':>10}  {table.by}\n"
    for r in table.rows:
        yield f"{_n(r['pages']):>12} {_n(r['blocks']):>10}  {_key_text(r['key'], table.by)}\n"


def _folded(table):
    for r in table.rows:
        if r["pages"] is None:
            continue
        key = r["key"]
        if isinstance(key, tuple):
            name = ";".join(reversed(key)) if key else "(no frames)"
        else:
            name = _key_text(key, table.by)
        yield f"{name} {r['pages']}\n"


def cmd_diff(argv) -> int:
    p = _Parser(prog="pageowner-fast diff",
                description="Pages per key in OLD and NEW (dumps and/or show_stacks files), "
                            "largest growth first.")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE and compiler suffixes so two builds' stacks match")
    _common(p, ("text", "json", "csv"), by_default=None)
    args = p.parse_args(argv)
    old, new = _load_all([args.old, args.new])
    for s in (old, new):
        _notes(s)
    kinds = {S.source_kind(old), S.source_kind(new)}
    if "dump" in kinds and "show_stacks" in kinds and (args.by in (None, "stack")):
        _warn("note: show_stacks does not count the early-boot pages (stack "
              "register_early_stack) that a full dump lists")
    table = diff(old, new, args.by, args.normalize)
    full = table
    table = table.head(args.top)
    from . import export
    if args.format == "json":
        _write(args.output, export.iter_json(table))
    elif args.format == "csv":
        _write(args.output, export.iter_csv(table))
    else:
        _write(args.output, _diff_text(full, table, args.top))
    return 0


def _diff_text(full, table, top):
    m = full.meta
    for side in ("old", "new"):
        d = m[side]
        extra = f", {d['blocks']:,} blocks" if d.get("blocks") is not None else f", {d.get('records', 0):,} records"
        yield f"# {side}: {d['source']} ({d['kind']}{extra}, {d['pages']:,} {d['unit'] or 'pages'})\n"
    changed = sum(1 for r in full.rows if r["delta_pages"])
    delta = m["new_total"] - m["old_total"]
    yield (f"# total: {m['old_total']:,} -> {m['new_total']:,} pages ({delta:+,}); {changed} of "
           f"{len(full)} keys changed" + (" (normalized frames)" if m["normalize"] else "") + "\n")
    yield f"{'delta':>10} {'old':>10} {'new':>10} {'ratio':>8}  {full.by}\n"
    shown = 0
    for r in table.rows:
        if r["delta_pages"] == 0 and top is None:
            continue
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3g}"
        yield (f"{r['delta_pages']:>+10,} {r['old_pages']:>10,} {r['new_pages']:>10,} {ratio:>8}  "
               f"{_key_text(r['key'], full.by)}\n")
        yield _frames_text(r["key"], " " * 12)
        shown += 1
    if shown < len(full):
        yield f"# {len(full) - shown} more keys not shown (unchanged, or beyond --top)\n"


def cmd_timeline(argv) -> int:
    p = _Parser(prog="pageowner-fast timeline",
                description="Pages per key in each snapshot, keys ranked by growth "
                            "(least-squares slope per snapshot).")
    p.add_argument("snapshots", nargs="+", metavar="SNAPSHOT")
    p.add_argument("--normalize", action="store_true")
    p.add_argument("--plot", metavar="OUT.png|OUT.svg", help="plot the top keys (needs matplotlib)")
    _common(p, ("text", "json", "csv"), by_default=None)
    args = p.parse_args(argv)
    if args.plot:
        if not args.plot.lower().endswith((".png", ".svg", ".pdf")):
            raise CommandLineError(f"--plot {args.plot}: use a .png, .svg or .pdf file name")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CommandLineError("--plot needs matplotlib: pip install pageowner-fast[plot]") from None
    srcs = []
    for snap in args.snapshots:
        (src,) = _load_all([snap])
        _notes(src)
        srcs.append(src)
    table = timeline(srcs, args.by, args.normalize)
    shown = table.head(args.top)
    from . import export
    if args.format == "json":
        _write(args.output, export.iter_json(shown))
    elif args.format == "csv":
        _write(args.output, export.iter_csv(shown, expand_pages=len(srcs)))
    else:
        _write(args.output, _timeline_text(shown))
    if args.plot:
        plot_timeline(shown.head(args.top or 10), args.plot)
    return 0


def _timeline_text(table):
    labels = table.meta["labels"]
    for i, lab in enumerate(labels, 1):
        yield f"# #{i}: {lab}\n"
    yield f"{'slope':>10} " + " ".join(f"{'#' + str(i):>9}" for i in range(1, len(labels) + 1)) + f"  {table.by}\n"
    for r in table.rows:
        yield f"{r['slope']:>+10.1f} " + " ".join(f"{v:>9}" for v in r["pages"]) + \
            f"  {_key_text(r['key'], table.by)}\n"
        yield _frames_text(r["key"], " " * 12)


def plot_timeline(table: ResultTable, path) -> None:
    """Line plot of pages per snapshot for the rows of ``table`` (matplotlib, Agg)."""
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure state
    fig = Figure(figsize=(9, 5))
    ax = fig.subplots()
    labels = table.meta.get("labels") or []
    n = len(labels) or max((len(r["pages"]) for r in table.rows), default=0)
    x = list(range(1, n + 1))
    for r in table.rows:
        ax.plot(x, r["pages"], marker="o",
                label=f"{_key_text(r['key'], table.by)} ({r['slope']:+.0f}/snap)")
    ax.set_xlabel("snapshot")
    ax.set_ylabel("pages")
    ax.set_title(f"pages per {table.by}, top {len(table)} by growth")
    if labels:
        ax.set_xticks(x)
        ax.set_xticklabels([os.path.basename(str(lab)) for lab in labels], rotation=30, ha="right",
                           fontsize=7)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as e:
        raise CommandLineError(f"--plot {path}: {e.strerror or e}") from None


def cmd_top(argv) -> int:
    p = _Parser(prog="pageowner-fast top",
                description="Largest page consumers by comm, pid, tgid, module, allocator, "
                            "stack, order, gfp mask or migratetype.")
    p.add_argument("input")
    p.add_argument("--page-size", type=parse_page_size, default=4096, metavar="4K|16K|64K")
    p.add_argument("--normalize", action="store_true")
    _common(p, ("text", "json", "csv"), by_default="comm",
            by_choices=tuple(b for b in S.BY_CHOICES if b != "handle") + ("handle",))
    args = p.parse_args(argv)
    (src,) = _load_all([args.input])
    _notes(src)
    full = top(src, args.by, page_size=args.page_size, normalize=args.normalize)
    table = full.head(args.top)
    from . import export
    if args.format == "json":
        _write(args.output, export.iter_json(table))
    elif args.format == "csv":
        _write(args.output, export.iter_csv(table))
    else:
        _write(args.output, _top_text(full, table))
    return 0


def _top_text(full, table):
    m = full.meta
    ps = m["page_size"]
    blocks = f" in {m['total_blocks']:,} blocks" if m.get("total_blocks") is not None else ""
    yield (f"# {m['input']['source']}: {m['total_pages']:,} pages = {_human(m['total_pages'] * ps)} "
           f"({ps // 1024} KiB pages){blocks}; by {full.by}\n")
    yield f"{'pages':>12} {'size':>11} {'share':>7} {'blocks':>10}  {full.by}\n"
    for r in table.rows:
        yield (f"{r['pages']:>12,} {_human(r['bytes']):>11} {r['share'] * 100:>6.1f}% "
               f"{_n(r['blocks']):>10}  {_key_text(r['key'], full.by)}\n")
        yield _frames_text(r["key"], " " * 14)
    if len(table) < len(full):
        rest = full.rows[len(table):]
        yield f"# {len(rest)} more keys: {sum(r['pages'] for r in rest):,} pages\n"


COMMANDS = {"stacks": cmd_stacks, "diff": cmd_diff, "timeline": cmd_timeline, "top": cmd_top}


def main(name: str, argv) -> int:
    """Entry for the subcommands; argparse's --help exit becomes a return code."""
    try:
        return COMMANDS[name](list(argv))
    except SystemExit as e:  # --help
        return int(e.code or 0)
