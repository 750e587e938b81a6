"""The Python face of a scanned dump: `Dump` (NumPy columns + interned tables) and `load()`."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from . import _fields as F
from ._source import open_source, describe


class Table(Sequence):
    """Interned byte strings: `table[i]` is the bytes of id i; ids follow first appearance.

    Built from a list of bytes, or from the scanner's packed form ``(arena, offsets)``
    (value i = ``arena[offsets[i]:offsets[i+1]]``), which is turned into a list only if
    something needs every value as an object."""

    def __init__(self, items):
        if isinstance(items, tuple):
            self._arena, self._offs = items
            self._list = None
        else:
            self._arena = self._offs = None
            self._list = list(items)
        self._ranks = None
        self._index = None

    @property
    def _items(self) -> list:
        if self._list is None:
            a, o = memoryview(self._arena), self._offs.tolist()
            self._list = [a[o[i]:o[i + 1]].tobytes() for i in range(len(o) - 1)]
        return self._list

    def packed(self):
        """(arena bytes, int64 offsets) of the values."""
        if self._arena is None:
            lens = np.fromiter((len(v) for v in self._list), dtype=np.int64, count=len(self._list))
            offs = np.zeros(len(self._list) + 1, dtype=np.int64)
            np.cumsum(lens, out=offs[1:])
            self._arena, self._offs = b"".join(self._list), offs
        return self._arena, self._offs

    def __len__(self):
        return len(self._list) if self._list is not None else len(self._offs) - 1

    def __getitem__(self, i):
        if self._list is not None:
            return self._list[i]
        if isinstance(i, slice):
            return self._items[i]
        n = len(self._offs) - 1
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("Table index out of range")
        return bytes(memoryview(self._arena)[int(self._offs[i]):int(self._offs[i + 1])])

    def __iter__(self):
        return iter(self._items)

    def __repr__(self):
        return f"Table({len(self)} items)"

    def ranks(self) -> np.ndarray:
        """rank[id] = position of the value in bytewise (strcmp) order; equal values share none
        (values are unique), so comparing ranks is comparing the strings."""
        if self._ranks is None:
            order = sorted(range(len(self._items)), key=self._items.__getitem__)
            r = np.empty(len(self._items), dtype=np.int64)
            r[np.asarray(order, dtype=np.int64)] = np.arange(len(self._items), dtype=np.int64)
            self._ranks = r
        return self._ranks

    def id_of(self, value: bytes) -> int:
        """The id of `value`, or -1 if it never occurs."""
        if self._index is None:
            if len(self) > 100_000:  # a one-off look-up needs no index of a huge table
                if self._list is None:
                    a, o = self._arena, self._offs
                    if value and not isinstance(a, bytes):
                        a = memoryview(a).tobytes()
                    k = a.find(value) if value else -1
                    while k >= 0:  # a value starts at an offset and ends at the next one
                        i = int(np.searchsorted(o, k))
                        if i < len(o) - 1 and o[i] == k and o[i + 1] - k == len(value):
                            return i
                        k = a.find(value, k + 1)
                    if not value:
                        hits = np.flatnonzero(o[1:] == o[:-1])
                        return int(hits[0]) if len(hits) else -1
                    return -1
                try:
                    return self._list.index(value)
                except ValueError:
                    return -1
            self._index = {v: i for i, v in enumerate(self._items)}
        return self._index.get(value, -1)

    def text(self, i) -> str:
        return self._items[i].decode("utf-8", "backslashreplace")


_MODULE_RE = __import__("re").compile(rb"\+0x[0-9a-f]+/0x[0-9a-f]+\s*\[([a-zA-Z0-9_-]+)\]")


class Dump:
    """A scanned page_owner dump.

    Columns (NumPy arrays, one entry per block, in file order): ``order``, ``pages``, ``pid``,
    ``tgid``, ``ts_ns``, ``free_ts_ns``, ``pfn``, ``gfp_mask``, ``migratetype``, ``allocator``,
    ``header_id``, ``stack_id``, ``comm_id``, ``module_id``, ``bad``, ``lineno``. Tables:
    ``headers``, ``stacks``, ``comms``, ``modules`` (``Table`` of bytes). ``stats`` holds
    ``blocks``, ``bytes``, ``nul_bytes``, ``cr_removed``, ``truncated``.
    """

    def __init__(self, columns: dict, tables: dict, stats: dict, *, strip_ts: bool = True,
                 source: str = "<dump>"):
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

    def __len__(self):
        """Rows: blocks, or groups of identical blocks for an aggregated load (see `count`)."""
        return len(self.order)

    @property
    def nblocks(self) -> int:
        """Blocks in the dump (the sum of `count`)."""
        return int(self.count.sum())

    def __repr__(self):
        return (f"Dump({self.source!r}, {len(self)} blocks, {len(self.stacks)} stacks, "
                f"{len(self.comms)} comms, {len(self.modules)} modules)")

    def text(self, i: int) -> bytes:
        """The collation text of block i (ts digits removed when strip_ts)."""
        return self.headers[self.header_id[i]] + self.stacks[self.stack_id[i]]

    def empty_mask(self) -> np.ndarray:
        """Blocks with no text at all (extra blank lines; PFN-only blocks)."""
        e = self.headers.id_of(b"")
        return self.header_id == e if e >= 0 else np.zeros(len(self), bool)

    def malformed(self):
        """{field name: row indices lacking it}, for fields this dump's era prints.

        A field absent from every non-empty block is the era's, not a defect, and is listed
        under the key ``"absent"`` instead."""
        nonempty = ~self.empty_mask()
        bad = self.bad[nonempty]
        out = {}
        absent = []
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

    # -- analysis API (implemented in analysis.py / export.py) --------------------------------

    def describe(self, i: int) -> dict:
        """The fields of block (row) i as a dict: the parsed header fields (None where the
        block has none), the PFN line's pfn and page migratetype, and the stack split into
        frames (lines starting with a blank), migrate reason, memcg line and other lines."""
        import re
        bad = int(self.bad[i])
        hdr = self.headers[self.header_id[i]]
        mask = re.search(rb"mask\s*0x[0-9a-fA-F]+\(([^)\n]*)\)", hdr)
        frames, other = [], []
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
        mods = []
        for f in frames:
            m = _MODULE_RE.search(f)
            if m and m.group(1) not in mods:
                mods.append(m.group(1))
        dec = (lambda b: None if b is None else b.decode("utf-8", "backslashreplace"))
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

    def filter(self, *, pid=None, tgid=None, comm=None, module=None) -> "Dump":
        """The blocks whose pid / tgid / comm / module is one of the given values (each a
        scalar or a list; all given criteria must hold), as a new Dump: the selected rows of
        every column, the string tables shared with this one."""
        from .analysis import filter_dump
        return filter_dump(self, pid=pid, tgid=tgid, comm=comm, module=module)

    def cull(self, keys=("stacktrace",)):
        """Group the blocks as ``page_owner_sort --cull=KEYS`` does: a `GroupTable` with the
        representative row (first loaded member), count and pages of each group. ``keys``:
        any of "stacktrace"/"st", "pid", "tgid", "name"/"comm", "module", "allocator",
        "free" (a tuple or a comma-separated string); ``()`` groups by full text, as
        page_owner_sort does without --cull."""
        from .analysis import cull_dump
        return cull_dump(self, keys)

    def sort(self, keys="-times", *, cull=()):
        """Cull by ``cull``, then sort stably by ``keys`` ("-times" is page_owner_sort's
        default; e.g. "-pages,pid" or [("pages", -1)]): a `GroupTable`, whose ``text()`` is
        the tool's output."""
        from .analysis import sort_dump
        return sort_dump(self, keys, cull)

    def to_pandas(self):
        """A pandas DataFrame: every column, plus ``comm``, ``module`` and ``stack`` decoded
        as categoricals (needs the ``pandas`` extra)."""
        from .export import dump_to_pandas
        return dump_to_pandas(self)

    def to_arrow(self):
        """A pyarrow Table: the NumPy columns zero-copy, ``comm``/``module``/``stack``
        dictionary-encoded (needs the ``arrow`` extra)."""
        from .export import dump_to_arrow
        return dump_to_arrow(self)

    def to_parquet(self, path, **kwargs) -> None:
        """Write `to_arrow()` to a Parquet file; ``kwargs`` go to pyarrow.parquet.write_table."""
        from .export import dump_to_parquet
        dump_to_parquet(self, path, **kwargs)


def engine_scan(f, *, strip_ts: bool, progress=None, aggregate: bool = False):
    """Scan an open binary stream with the loaded engine."""
    from . import _engine
    return _engine.scan(f, strip_ts=strip_ts, progress=progress, aggregate=aggregate)


def load(source, *, strip_ts: bool = True, pfn_start=None, progress=None,
         aggregate: bool = False) -> Dump:
    """Read a page_owner dump from a path (plain, .gz, .xz, .zst), ``"-"`` (stdin), a binary
    file object, or the kernel's ``/sys/kernel/debug/page_owner`` itself (streamed).

    ``strip_ts`` removes the digits of the first ``ts N ns`` from the collation text, as
    page_owner_sort does unless its first sort key is the allocation time.
    ``aggregate=True`` folds identical blocks (same collation text and allocator) into one
    row with a ``count``: memory then grows with the distinct texts, not the input size;
    per-block values that differ inside a row (``ts_ns``, ``pfn``, ``lineno``) are the first
    block's.
    """
    name = describe(source)
    with open_source(source, pfn_start=pfn_start) as f:
        columns, tables, stats = engine_scan(f, strip_ts=strip_ts, progress=progress,
                                             aggregate=aggregate)
    return Dump(columns, tables, stats, strip_ts=strip_ts, source=name)
