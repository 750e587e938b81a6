"""The Python face of a scanned dump: `Dump` (NumPy columns + interned tables) and `load()`."""
from __future__ import annotations

import os
from typing import Iterable, Sequence

import numpy as np

from . import _fields as F
from ._source import open_source, describe


class Table(Sequence):
    """Interned byte strings: `table[i]` is the bytes of id i; ids follow first appearance."""

    def __init__(self, items: list):
        self._items = items
        self._ranks = None
        self._index = None

    def __len__(self):
        return len(self._items)

    def __getitem__(self, i):
        return self._items[i]

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
            self._index = {v: i for i, v in enumerate(self._items)}
        return self._index.get(value, -1)

    def text(self, i) -> str:
        return self._items[i].decode("utf-8", "backslashreplace")


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
