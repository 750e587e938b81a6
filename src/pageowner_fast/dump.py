"""The model of a scanned dump: `Dump` (NumPy columns + interned tables) and `load()`."""
from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from . import _engine, sortcull
from . import _fields as F
from ._pyscan import MODULE_RE
from ._source import describe, open_source
from ._table import Table
from ._types import DumpLike
from .exceptions import UnsupportedKeyError
from .groups import GroupTable

__all__ = ["Dump", "Table", "load"]

_MASK_RE = re.compile(rb"mask\s*0x[0-9a-fA-F]+\(([^)\n]*)\)")


def exact_pages(columns: dict[str, npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """The pages column with exact sums: the compiled scanner stops a folded row's sum at
    2**63-1 (counting such rows in stats["pages_overflow"]); a folded row's blocks share one
    text, hence one order, so its exact pages are count x 2**order (Python integers)."""
    pages, count, order = columns["pages"], columns["count"], columns["order"]
    exact = pages.astype(object)
    for i in np.flatnonzero(pages == F.I64_MAX).tolist():
        exact[i] = int(count[i]) << int(order[i])
    return exact


class Dump(DumpLike):
    """A scanned page_owner dump.

    Columns (NumPy arrays, one entry per block, in file order): ``order``, ``pages``, ``pid``,
    ``tgid``, ``ts_ns``, ``free_ts_ns``, ``pfn``, ``gfp_mask``, ``migratetype``, ``allocator``,
    ``header_id``, ``stack_id``, ``comm_id``, ``module_id``, ``bad``, ``lineno``, and from the
    PFN line's ``Block N type T`` the pageblock number ``block`` and its type
    ``block_migratetype`` (when the engine provides them: see `column`). Tables:
    ``headers``, ``stacks``, ``comms``, ``modules`` (``Table`` of bytes). ``stats`` holds
    ``blocks``, ``bytes``, ``nul_bytes``, ``cr_removed``, ``truncated``. ``kind`` is
    ``"dump"`` (``"kernel_log"`` for the reports read from a kernel log).
    """

    kind = "dump"

    def __init__(self, columns: dict[str, npt.NDArray[Any]], tables: dict[str, Any],
                 stats: dict[str, Any], *, strip_ts: bool = True, source: str = "<dump>") -> None:
        if stats.get("pages_overflow") and columns["pages"].dtype != object:
            columns = dict(columns, pages=exact_pages(columns))
        self.columns = columns
        for name, arr in columns.items():
            setattr(self, name, arr)
        self.headers = Table(tables["headers"])
        self.stacks = Table(tables["stacks"])
        self.comms = Table(tables["comms"])
        self.modules = Table(tables["modules"])
        self.stats = stats
        self.strip_ts = strip_ts
        self.source = source

    def column(self, name: str, why: str = "") -> npt.NDArray[Any]:
        """Column `name`; UnsupportedKeyError (not KeyError) when this dump lacks it (a Dump
        built by hand from fewer columns). ``why`` names what needed the column."""
        col = self.columns.get(name)
        if col is None:
            raise UnsupportedKeyError(f"{why + ': ' if why else ''}{self.source} has no "
                                      f"{name!r} column")
        return col

    def has_column(self, name: str) -> bool:
        return name in self.columns

    def __len__(self) -> int:
        """Rows: blocks, or groups of identical blocks for an aggregated load (see `count`)."""
        return len(self.order)

    @property
    def nblocks(self) -> int:
        """Blocks in the dump (the sum of `count`)."""
        return int(self.count.sum())

    def __repr__(self) -> str:
        return (f"Dump({self.source!r}, {len(self)} blocks, {len(self.stacks)} stacks, "
                f"{len(self.comms)} comms, {len(self.modules)} modules)")

    def text(self, i: int) -> bytes:
        """The collation text of block i (ts digits removed when strip_ts)."""
        return self.headers[self.header_id[i]] + self.stacks[self.stack_id[i]]

    def empty_mask(self) -> npt.NDArray[np.bool_]:
        """Blocks with no text at all (extra blank lines; PFN-only blocks)."""
        e = self.headers.id_of(b"")
        return self.header_id == e if e >= 0 else np.zeros(len(self), bool)

    def malformed(self) -> dict[str, Any]:
        """{field name: row indices lacking it}, for fields this dump's era prints.

        A field absent from every non-empty block is the era's, not a defect, and is listed
        under the key ``"absent"`` instead."""
        nonempty = ~self.empty_mask()
        bad = self.bad[nonempty]
        out: dict[str, Any] = {}
        absent: list[str] = []
        rows = np.flatnonzero(nonempty)
        for bit, name in F.BAD_NAMES:
            hit = (bad & bit) != 0
            n = int(hit.sum())
            if n == 0:
                continue
            if bit != F.BAD_ORDER_RANGE and n == len(bad):
                absent.append(name)
            else:
                out[name] = rows[hit]
        out["absent"] = absent
        return out

    def describe(self, i: int) -> dict[str, Any]:
        """The fields of block (row) i as a dict: the parsed header fields (None where the
        block has none), the PFN line's pfn and page migratetype, and the stack split into
        frames (lines starting with a blank), migrate reason, memcg line and other lines."""
        bad = int(self.bad[i])
        hdr = self.headers[self.header_id[i]]
        mask = _MASK_RE.search(hdr)
        frames: list[bytes] = []
        other: list[bytes] = []
        migrate = memcg = None
        for line in self.stacks[self.stack_id[i]].split(b"\n")[:-1]:
            if line.startswith(b" "):
                frames.append(line.strip())
            elif line.startswith(b"Page has been migrated, last migrate reason: "):
                migrate = line.split(b": ", 1)[1]
            elif line.startswith(b"Charged "):
                memcg = line
            else:
                other.append(line)
        mods: list[bytes] = []
        for f in frames:
            m = MODULE_RE.search(f)
            if m and m.group(1) not in mods:
                mods.append(m.group(1))

        def dec(b: bytes | None) -> str | None:
            return None if b is None else b.decode("utf-8", "backslashreplace")
        mt = int(self.migratetype[i])
        return {
            "order": None if bad & F.BAD_ORDER else int(self.order[i]),
            "gfp_mask": None if bad & F.BAD_MASK else int(self.gfp_mask[i]),
            "gfp_flags": dec(mask.group(1)) if mask else None,
            "pid": None if bad & F.BAD_PID else int(self.pid[i]),
            "tgid": None if bad & F.BAD_TGID else int(self.tgid[i]),
            "comm": None if bad & F.BAD_COMM else dec(self.comms[self.comm_id[i]]),
            "ts_ns": None if bad & F.BAD_TS else int(self.ts_ns[i]),
            "free_ts_ns": None if bad & F.BAD_FREE_TS else int(self.free_ts_ns[i]),
            "pfn": None if self.pfn[i] < 0 else int(self.pfn[i]),
            "page_type": F.MIGRATETYPES[mt] if mt >= 0 else None,
            "nr_frames": len(frames),
            "first_frame": dec(frames[0]) if frames else None,
            "last_frame": dec(frames[-1]) if frames else None,
            "modules": [dec(m) for m in mods],
            "migrate_reason": dec(migrate),
            "memcg": dec(memcg),
            "other_lines": [dec(o) for o in other],
        }

    def subset(self, rows: npt.NDArray[Any]) -> Dump:
        """A Dump of the given rows (a boolean mask or indices) of every column; the string
        tables are shared with this one."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        new = copy.copy(self)   # a subclass (a kernel log's reports) keeps its own tables
        new.columns = {k: v[rows] for k, v in self.columns.items()}
        for name, arr in new.columns.items():
            setattr(new, name, arr)
        new.stats = dict(self.stats, blocks=len(rows))
        return new

    def filter(self, *, pid: Any = None, tgid: Any = None, comm: Any = None,
               module: Any = None) -> Dump:
        """The blocks whose pid / tgid / comm / module is one of the given values (each a
        scalar or a list; all given criteria must hold), as a new Dump: the selected rows of
        every column, the string tables shared with this one."""
        return self.subset(sortcull.filter_mask(self, pid=pid, tgid=tgid, comm=comm, module=module))

    def cull(self, keys: str | Iterable[str] | None = ("stacktrace",)) -> GroupTable:
        """Group the blocks as ``page_owner_sort --cull=KEYS`` does: a `GroupTable` with the
        representative row (first loaded member), count and pages of each group. ``keys``:
        any of "stacktrace"/"st", "pid", "tgid", "name"/"comm", "module", "allocator",
        "free" (a tuple or a comma-separated string); ``()`` groups by full text, as
        page_owner_sort does without --cull. Groups come in ascending key order."""
        c = sortcull.cull_keys(keys)
        return GroupTable(self, sortcull.cull(self, np.arange(len(self)), c), c)

    def sort(self, keys: str | Iterable[str | tuple[str, int]] | None = "-times", *,
             cull: str | Iterable[str] | None = ()) -> GroupTable:
        """Cull by ``cull``, then sort stably by ``keys`` ("-times" is page_owner_sort's
        default; e.g. "-pages,pid" or [("pages", -1)]): a `GroupTable`, whose ``text()`` is
        the tool's output."""
        return self.cull(cull).sort(keys)

    def to_pandas(self) -> Any:
        """A pandas DataFrame: every column, plus ``comm``, ``module`` and ``stack`` decoded
        as categoricals (needs the ``pandas`` extra)."""
        from .export import dump_to_pandas
        return dump_to_pandas(self)

    def to_arrow(self) -> Any:
        """A pyarrow Table: the NumPy columns zero-copy, ``comm``/``module``/``stack``
        dictionary-encoded (needs the ``arrow`` extra)."""
        from .export import dump_to_arrow
        return dump_to_arrow(self)

    def to_parquet(self, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """Write `to_arrow()` to a Parquet file; ``kwargs`` go to pyarrow.parquet.write_table."""
        from .export import dump_to_parquet
        dump_to_parquet(self, path, **kwargs)


def load(source: str | bytes | os.PathLike[str] | IO[bytes], *, strip_ts: bool = True,
         pfn_start: int | None = None, progress: _engine.Progress | None = None,
         aggregate: bool = False, threads: int | None = None,
         fold_key: Iterable[str] | None = None) -> Dump:
    """Read a page_owner dump from a path (plain, .gz, .xz, .zst), ``"-"`` (stdin), a binary
    file object, or the kernel's ``/sys/kernel/debug/page_owner`` itself (streamed).

    ``strip_ts`` removes the digits of the first ``ts N ns`` from the collation text, as
    page_owner_sort does unless its first sort key is the allocation time.
    ``aggregate=True`` folds identical blocks (same collation text and allocator) into one
    row with a ``count``: memory then grows with the distinct texts, not the input size;
    per-block values that differ inside a row (``ts_ns``, ``pfn``, ``lineno``) are the first
    block's. ``fold_key`` (with ``aggregate``): fold by these fields only -- the names of a
    cull (``stacktrace``, ``pid``, ``tgid``, ``name``, ``free``, ``module``, ``allocator``)
    and ``block`` (the PFN line's pageblock and types) --; a row is then the first block of
    its key, text and all, with the count and pages of every block of it (blocks that differ
    in order, missing fields or emptiness stay apart). The sort pipeline folds a cull's
    input so. ``threads``: scanner threads for an uncompressed regular file (default: one
    per 32 MiB, at most one per usable CPU, at most 64). ``progress(nbytes)`` is called as
    the input is read.
    """
    _engine.check_threads(threads)
    name = describe(source)
    with open_source(source, pfn_start=pfn_start) as f:
        columns, tables, stats = _engine.scan(f, strip_ts=strip_ts, progress=progress,
                                              aggregate=aggregate, threads=threads,
                                              fold_key=fold_key)
    return Dump(columns, tables, stats, strip_ts=strip_ts, source=name)
