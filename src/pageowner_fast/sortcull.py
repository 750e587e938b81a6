"""page_owner_sort's rules: key spellings, filters, cull (group) and sort, vectorised over the
NumPy columns of a dump (docs/compatibility.md, "Cull and sort").

page_owner_sort sorts its array by the cull key with glibc's stable merge sort, merges equal
neighbours into the first (= earliest loaded) member, then stably sorts by the configured
keys. Here every string compare becomes a compare of integer ranks of the interned values
(`Table.ranks()`), and both sorts become one `np.lexsort` each. Page sums are exact: int64
while no sum can pass 2**63-1, Python integers beyond.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _fields as F
from ._table import rank_together
from ._threads import budget
from ._types import DumpLike
from .exceptions import UsageError

IntArray = npt.NDArray[np.int64]

# Key spellings, exactly as page_owner_sort accepts them (case-sensitive): _fields.py
KEYS = F.KEYS
CULL_KEYS = F.CULL_KEYS
SORT_KEYS = F.SORT_KEYS
# The order in which cull criteria are compared, whatever order --cull listed them in.
CULL_ORDER = ("stacktrace", "pid", "tgid", "name", "free", "module", "allocator")

# The Python API also takes these spellings.
_API_CULL = {"comm": "name", "task_comm_name": "name", "stack": "stacktrace"}
_API_SORT = {"times": "times", "t": "times", "count": "times", "pages": "pages", "m": "pages",
             "comm": "name", "stack": "stacktrace"}

# Above this many distinct header lines (e.g. -a, where every ts stays in the text) the
# string ranks of whole texts are not computed; only groups that tie under the sort keys
# are put in text order, which is all page_owner_sort's cull order decides.
LAZY_TEXT_RANKS = 20_000
# ... unless more groups than this tie: then the whole tables' ranks are cheaper than
# sorting the ties' texts one run at a time.
TIES_BY_RANKS = 20_000


def cull_keys(keys: str | Iterable[str] | None) -> frozenset[str]:
    """("stacktrace", "pid") or "st,pid" -> a cull set (page_owner_sort's spellings, plus
    "comm" and "stack")."""
    if keys is None:
        return frozenset()
    if isinstance(keys, str):
        keys = [k for k in keys.split(",") if k]
    out = set()
    for k in keys:
        name = KEYS.get(_API_CULL.get(k, k))
        if name not in CULL_KEYS:
            raise UsageError(f"unknown cull key {k!r} (use pid, tgid, name/comm, stacktrace, "
                             "allocator, module, free)")
        out.add(name)
    return frozenset(out)


def sort_keys(keys: str | Iterable[str | tuple[str, int]] | None) -> list[tuple[str, int]]:
    """"-pages,pid" or [("pages", -1)] -> [(name, sign)]; None is page_owner_sort's default,
    times descending."""
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
        name = _API_SORT.get(name, KEYS.get(name, name))
        if name not in SORT_KEYS:
            raise UsageError(f"unknown sort key {name!r}")
        out.append((name, -1 if sign < 0 else 1))
    return out


@dataclass
class SortOptions:
    """What page_owner_sort is asked to do: filters, cull set, sort keys (and -d)."""

    cull: frozenset[str] = frozenset()
    sort: list[tuple[str, int]] = field(default_factory=lambda: [("times", -1)])
    pids: list[int] | None = None
    tgids: list[int] | None = None
    names: list[str] | None = None
    modules: list[str] | None = None
    debug: bool = False          # -d: one line per failed field
    free_filter: bool = False    # legacy -f

    @property
    def strip_ts(self) -> bool:
        """ts digits are cut from the text unless the first sort key is alloc_ts."""
        return not (self.sort and self.sort[0][0] == "alloc_ts")

    def fold_key(self) -> frozenset[str]:
        """What a folded load may fold blocks by for these options (`dump.load`'s
        ``fold_key``): the cull's fields and the filters'; empty -- the whole text -- when
        nothing is culled. Each group's first block is its row's, as the cull keeps it.
        A cull by free_ts alone folds by the text: on a dump without free_ts the sort drops
        that cull (`without_free_ts`) and compares whole texts."""
        if not self.cull - {"free"}:
            return frozenset()
        filters = {"pid": self.pids, "tgid": self.tgids, "name": self.names,
                   "module": self.modules}
        return self.cull | {k for k, v in filters.items() if v is not None}

    def uses_free_ts(self) -> bool:
        return self.free_filter or "free" in self.cull or any(k == "free_ts" for k, _ in self.sort)

    def without_free_ts(self) -> SortOptions:
        """These options with the legacy free_ts ones dropped (for a dump without free_ts)."""
        return replace(self, free_filter=False, cull=frozenset(c for c in self.cull if c != "free"),
                       sort=[k for k in self.sort if k[0] != "free_ts"] or [("times", -1)])

    def rows(self, dump: DumpLike) -> IntArray:
        """The rows that pass the filters, in load order."""
        keep = filter_mask(dump, pid=self.pids, tgid=self.tgids, comm=self.names,
                           module=self.modules)
        if self.free_filter:
            # 6.1's -f: drop a block freed after it was allocated (never one without free_ts)
            has = (dump.bad & F.BAD_FREE_TS) == 0
            keep &= ~(has & (dump.free_ts_ns != 0) & (dump.ts_ns < dump.free_ts_ns))
        return np.flatnonzero(keep)


def _as_list(v: Any) -> list[Any] | None:
    if v is None:
        return None
    if isinstance(v, (str, bytes, int, np.integer)):
        return [v]
    return list(v)


def _enc(v: str | bytes) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode("utf-8", "surrogateescape")


def filter_mask(dump: DumpLike, *, pid: Any = None, tgid: Any = None, comm: Any = None,
                module: Any = None) -> npt.NDArray[np.bool_]:
    """Rows whose pid / tgid / comm / module is one of the given values (each a scalar or a
    list; all given criteria must hold)."""
    keep = np.ones(len(dump), dtype=bool)
    for col, want in ((dump.pid, _as_list(pid)), (dump.tgid, _as_list(tgid))):
        if want is not None:
            keep &= np.isin(col, np.asarray([int(v) for v in want], dtype=np.int64))
    for ids, table, want in ((dump.comm_id, dump.comms, _as_list(comm)),
                             (dump.module_id, dump.modules, _as_list(module))):
        if want is not None:
            keep &= np.isin(ids, np.asarray([table.id_of(_enc(v)) for v in want], dtype=np.int64))
    return keep


@dataclass
class Groups:
    """The culled records, in output order."""

    rep: IntArray       # row index (into the dump) of each group's representative
    count: IntArray     # blocks in the group ("times")
    pages: npt.NDArray[Any]  # summed pages: int64, or Python ints where a sum passes 2**63-1
    text_order_pending: bool = False  # groups are by id, not yet in text order

    def __len__(self) -> int:
        return len(self.rep)

    def __getitem__(self, i: slice) -> Groups:
        return Groups(self.rep[i], self.count[i], self.pages[i])


def exact_sums(values: npt.NDArray[Any], starts: IntArray) -> npt.NDArray[Any]:
    """The sums of the runs of `values` that begin at `starts`: int64 when no sum can pass
    2**63-1, else Python integers (an object array), so that no sum wraps."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    bound = max(abs(int(values.min())), abs(int(values.max()))) * len(values)
    if bound <= F.I64_MAX:
        return np.add.reduceat(values.astype(np.int64), starts)
    return np.add.reduceat(values.astype(object), starts)


def exact_total(values: npt.NDArray[Any]) -> int:
    """The sum of `values` as a Python integer (never wrapped)."""
    return int(exact_sums(values, np.zeros(1, dtype=np.int64))[0]) if len(values) else 0


def _take(col: npt.NDArray[Any], rows: IntArray | None) -> npt.NDArray[Any]:
    """col[rows]; rows None means all of them."""
    return col if rows is None else col[rows]


def _text_keys(dump: DumpLike, rows: IntArray | None) -> list[npt.NDArray[Any]]:
    rank_together([dump.headers, dump.stacks], budget())
    return [dump.headers.rank_of(_take(dump.header_id, rows)),
            dump.stacks.ranks()[_take(dump.stack_id, rows)]]


def _cull_keys(dump: DumpLike, rows: IntArray | None,
               cull: frozenset[str]) -> list[npt.NDArray[Any]]:
    if not cull:
        return list(_text_keys(dump, rows))
    keys: list[npt.NDArray[Any]] = []
    for c in CULL_ORDER:
        if c not in cull:
            continue
        if c == "stacktrace":
            keys.append(dump.stacks.ranks()[_take(dump.stack_id, rows)])
        elif c == "pid":
            keys.append(_take(dump.pid, rows))
        elif c == "tgid":
            keys.append(_take(dump.tgid, rows))
        elif c == "name":
            keys.append(dump.comms.ranks()[_take(dump.comm_id, rows)])
        elif c == "free":  # 6.1's compare: free_ts == 0 ("RELEASED") first
            keys.append((_take(dump.free_ts_ns, rows) != 0).astype(np.int8))
        elif c == "module":
            keys.append(dump.modules.ranks()[_take(dump.module_id, rows)])
        elif c == "allocator":
            keys.append(_take(dump.allocator, rows))
    return keys


# Below this many rows NumPy's sorts are as fast as packing the keys.
PACK_MIN_ROWS = 1 << 15


def _packed_key(keys: list[npt.NDArray[Any]]) -> npt.NDArray[np.uint64] | None:
    """The keys (integers) as one uint64 per row that orders as they do, or None when
    their ranges need more than 64 bits together."""
    parts = []
    total = 0
    for k in keys:
        if k.dtype.kind not in "iub" or len(k) == 0:
            return None
        lo, hi = int(k.min()), int(k.max())
        bits = (hi - lo).bit_length()
        total += bits
        if total > 64:
            return None
        parts.append((k, lo, bits))
    out = np.zeros(len(keys[0]), dtype=np.uint64)
    for k, lo, bits in parts:
        if bits == 0:
            continue
        out <<= np.uint64(bits)
        # k - lo, exact: the difference is below 2**bits, computed modulo 2**64
        out |= k.astype(np.uint64) - np.uint64(lo % (1 << 64))
    return out


def _group_u64(key: npt.NDArray[np.uint64], count: npt.NDArray[Any],
               pages: npt.NDArray[Any]) -> tuple[IntArray, IntArray, IntArray] | None:
    """(first row, count sum, page sum) of each run of equal keys, in key order; None where
    the compiled helper is missing, or a page sum would pass 2**63-1."""
    try:
        from ._scan import group_u64
    except ImportError:
        return None
    if count.dtype != np.int64 or pages.dtype != np.int64:
        return None
    return group_u64(key, np.ascontiguousarray(count), np.ascontiguousarray(pages))


def _argsort_u64(key: npt.NDArray[np.uint64]) -> IntArray:
    try:
        from ._scan import argsort_u64
    except ImportError:
        return np.argsort(key, kind="stable")
    return argsort_u64(key, threads=budget())


def _lexsort(keys: list[npt.NDArray[Any]]) -> IntArray:
    """Stable sort by keys[0], then keys[1], ... (np.lexsort takes the primary key last).
    Many rows: the keys packed into one uint64 where they fit, radix-sorted."""
    if len(keys[0]) >= PACK_MIN_ROWS:
        if len(keys) == 1 and keys[0].dtype == np.uint64:
            return _argsort_u64(keys[0])    # one key that orders as it is (-a: the ts)
        packed = _packed_key(keys)
        if packed is not None:
            return _argsort_u64(packed)
    if len(keys) == 1:
        return np.argsort(keys[0], kind="stable")
    return np.lexsort(keys[::-1])


def cull(dump: DumpLike, rows: IntArray, cull: frozenset[str]) -> Groups:
    """Group `rows` by the cull key; groups come out in ascending cull-key order."""
    if len(rows) == 0:
        z = np.zeros(0, dtype=np.int64)
        return Groups(z, z.copy(), z.copy())
    lazy = (not cull and len(dump.headers) > LAZY_TEXT_RANKS
            and not getattr(dump.headers, "in_text_order", lambda: False)())
    keys: list[npt.NDArray[Any]]
    # all rows in order (rows is arange): no copies through it
    every = len(rows) == len(dump) and bool(np.all(rows[1:] > rows[:-1]))
    if lazy:  # equal texts are equal (header id, stack id) pairs: group by the ids
        hid = _take(dump.header_id, None if every else rows)
        if bool(np.all(hid[1:] > hid[:-1])):
            # -a: every row has a header line of its own (ts kept), ids ascending: each row
            # is a group, and the groups are already in id order
            return Groups(rows, _take(dump.count, None if every else rows).astype(np.int64),
                          _take(dump.pages, None if every else rows).astype(np.int64),
                          text_order_pending=True)
        keys = [(hid.astype(np.int64) << 32) | dump.stack_id[rows].astype(np.int64)]
    else:
        keys = _cull_keys(dump, None if every else rows, cull)
    packed = _packed_key(keys) if len(rows) >= PACK_MIN_ROWS else None
    counts = dump.count if every else dump.count[rows]
    pages = dump.pages if every else dump.pages[rows]
    if packed is not None:
        got = _group_u64(packed, counts, pages)
        if got is not None:     # the sort and the sums in one pass, nothing permuted
            first, count, page_sums = got
            return Groups(first if every else rows[first], count, page_sums,
                          text_order_pending=lazy)
    change = np.empty(len(rows), dtype=bool)
    change[0] = True
    if packed is not None:
        order = _argsort_u64(packed)
        ks = packed[order]
        np.not_equal(ks[1:], ks[:-1], out=change[1:])
        del ks
    else:
        order = _lexsort(keys)
        change[1:] = False
        for k in keys:
            ks = k[order]
            change[1:] |= ks[1:] != ks[:-1]
    del keys, packed
    starts = np.flatnonzero(change)
    rep = rows[order[starts]]
    count = np.add.reduceat(counts[order], starts).astype(np.int64, copy=False)
    return Groups(rep, count, exact_sums(pages[order], starts), text_order_pending=lazy)


def _orderable(a: npt.NDArray[Any]) -> IntArray:
    """int64 keys that order like `a` (Python integers become their ranks)."""
    if a.dtype == object:
        return np.unique(a, return_inverse=True)[1].reshape(-1).astype(np.int64)
    return a.astype(np.int64)


def _sort_key(dump: DumpLike, g: Groups, name: str, sign: int) -> list[npt.NDArray[Any]]:
    """Key arrays for one comparator, already turned for `sign` (-1 = descending). Integers
    compare by value: no comparator overflows (docs/compatibility.md, difference 11)."""
    r = g.rep
    if name in ("alloc_ts", "free_ts"):
        a = (dump.ts_ns if name == "alloc_ts" else dump.free_ts_ns)[r]
        return [a if sign > 0 else ~a]
    if name == "txt":
        arrs = _text_keys(dump, r)
    elif name == "times":
        arrs = [g.count]
    elif name == "pages":
        arrs = [_orderable(g.pages)]
    elif name in ("pid", "tgid", "allocator"):
        arrs = [getattr(dump, name)[r].astype(np.int64)]
    elif name == "name":
        arrs = [dump.comms.ranks()[dump.comm_id[r]]]
    elif name == "stacktrace":
        arrs = [dump.stacks.ranks()[dump.stack_id[r]]]
    elif name == "module":
        arrs = [dump.modules.ranks()[dump.module_id[r]]]
    else:  # pragma: no cover - guarded by sort_keys() and the option parser
        raise UsageError(f"unknown sort key {name!r}")
    return [a if sign > 0 else -a for a in arrs]


def sort(dump: DumpLike, g: Groups, keys: list[tuple[str, int]], *,
         consume: bool = False) -> Groups:
    """Stable multi-key sort of the groups; `keys` is a sequence of (name, sign).
    consume=True: `g` is not used afterwards -- its arrays are replaced one at a time (the
    memory of one array at most in flight, not of three)."""
    if len(g) == 0 or (not keys and not g.text_order_pending):
        return g
    arrs = []
    for name, sign in keys:
        arrs.extend(_sort_key(dump, g, name, sign))
    order = _lexsort(arrs) if arrs else np.arange(len(g), dtype=np.int64)
    if g.text_order_pending:
        order = _text_order_ties(dump, g, arrs, order)
    del arrs
    if consume:
        g.rep = g.rep[order]
        g.count = g.count[order]
        g.pages = g.pages[order]
        g.text_order_pending = False
        return g
    return Groups(g.rep[order], g.count[order], g.pages[order])


def _text_order_ties(dump: DumpLike, g: Groups, arrs: list[npt.NDArray[Any]],
                     order: IntArray) -> IntArray:
    """Within each run of groups that tie under every sort key, put them in text order
    (page_owner_sort's cull sort left them so before its stable final sort)."""
    n = len(order)
    if n < 2:
        return order
    same = np.ones(n - 1, dtype=bool)
    for a in arrs:
        s = a[order]
        same &= s[1:] == s[:-1]
    if not same.any():
        return order
    edges = np.flatnonzero(np.diff(np.concatenate(([0], same.astype(np.int8), [0]))))
    if int((edges[1::2] - edges[::2]).sum()) + len(edges) // 2 > TIES_BY_RANKS:
        # many ties: a stable sort by the keys and then the texts (distinct per group)
        return _lexsort(arrs + _text_keys(dump, g.rep))
    order = order.copy()
    headers, stacks = dump.headers, dump.stacks
    hid = dump.header_id[g.rep]
    sid = dump.stack_id[g.rep]
    for start, stop in zip(edges[::2].tolist(), (edges[1::2] + 1).tolist()):
        run = order[start:stop].tolist()
        run.sort(key=lambda i: (headers[int(hid[i])], stacks[int(sid[i])]))
        order[start:stop] = run
    return order
