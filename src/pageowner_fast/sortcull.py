"""Cull (group) and sort, vectorised over the NumPy columns of a Dump (spec §3.7, §3.8, §7).

page_owner_sort sorts its array by the cull key with glibc's stable merge sort, merges equal
neighbours into the first (= earliest loaded) member, then stably sorts by the configured
keys. Here every string compare becomes a compare of integer ranks of the interned values
(`Table.ranks()`), and both sorts become one `np.lexsort` each.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Fixed order in which cull criteria are compared, whatever order --cull listed them in (Q9).
CULL_ORDER = ("stacktrace", "pid", "tgid", "name", "free", "module", "allocator")
SORT_KEYS = ("times", "pages", "pid", "tgid", "name", "stacktrace", "txt", "alloc_ts",
             "allocator", "module", "free_ts")


# Above this many distinct header lines (e.g. -a, where every ts stays in the text) the
# string ranks of whole texts are not computed; only groups that tie under the sort keys
# are put in text order, which is all page_owner_sort's cull order decides.
LAZY_TEXT_RANKS = 200_000


@dataclass
class Groups:
    """The culled records, in output order."""

    rep: np.ndarray     # row index (into the Dump) of each group's representative
    count: np.ndarray   # blocks in the group ("times")
    pages: np.ndarray   # summed pages
    text_order_pending: bool = False  # groups are by id, not yet in text order

    def __len__(self):
        return len(self.rep)


def _text_keys(dump, rows):
    return [dump.headers.ranks()[dump.header_id[rows]], dump.stacks.ranks()[dump.stack_id[rows]]]


def _cull_keys(dump, rows, cull):
    if not cull:
        return _text_keys(dump, rows)
    keys = []
    for c in CULL_ORDER:
        if c not in cull:
            continue
        if c == "stacktrace":
            keys.append(dump.stacks.ranks()[dump.stack_id[rows]])
        elif c == "pid":
            keys.append(dump.pid[rows])
        elif c == "tgid":
            keys.append(dump.tgid[rows])
        elif c == "name":
            keys.append(dump.comms.ranks()[dump.comm_id[rows]])
        elif c == "free":  # 6.1's compare: free_ts == 0 ("RELEASED") first
            keys.append((dump.free_ts_ns[rows] != 0).astype(np.int8))
        elif c == "module":
            keys.append(dump.modules.ranks()[dump.module_id[rows]])
        elif c == "allocator":
            keys.append(dump.allocator[rows])
    return keys


def _lexsort(keys):
    """Stable sort by keys[0], then keys[1], ... (np.lexsort takes the primary key last)."""
    if len(keys) == 1:
        return np.argsort(keys[0], kind="stable")
    return np.lexsort(keys[::-1])


def cull(dump, rows: np.ndarray, cull: frozenset) -> Groups:
    """Group `rows` by the cull key; groups come out in ascending cull-key order."""
    if len(rows) == 0:
        z = np.zeros(0, dtype=np.int64)
        return Groups(z, z.copy(), z.copy())
    lazy = not cull and len(dump.headers) > LAZY_TEXT_RANKS
    if lazy:  # equal texts are equal (header id, stack id) pairs: group by the ids
        hid = dump.header_id[rows]
        if bool(np.all(hid[1:] > hid[:-1])):
            # -a: every row has a header line of its own (ts kept), ids ascending: each row
            # is a group, and the groups are already in id order
            return Groups(rows, dump.count[rows].astype(np.int64),
                          dump.pages[rows].astype(np.int64), text_order_pending=True)
        keys = [(hid.astype(np.int64) << 32) | dump.stack_id[rows].astype(np.int64)]
    else:
        keys = _cull_keys(dump, rows, cull)
    order = _lexsort(keys)
    change = np.zeros(len(order), dtype=bool)
    change[0] = True
    for k in keys:
        ks = k[order]
        change[1:] |= ks[1:] != ks[:-1]
    starts = np.flatnonzero(change)
    rep = rows[order[starts]]
    count = np.add.reduceat(dump.count[rows][order], starts).astype(np.int64)
    pages = np.add.reduceat(dump.pages[rows][order], starts).astype(np.int64)
    return Groups(rep, count, pages, text_order_pending=lazy)


def _sort_key(dump, g: Groups, name: str, sign: int):
    """Key arrays for one comparator, already turned for `sign` (-1 = descending)."""
    r = g.rep
    if name == "times":
        arrs = [g.count]
    elif name == "pages":
        arrs = [g.pages]
    elif name == "pid":
        arrs = [dump.pid[r].astype(np.int64)]
    elif name == "tgid":
        arrs = [dump.tgid[r].astype(np.int64)]
    elif name == "name":
        arrs = [dump.comms.ranks()[dump.comm_id[r]]]
    elif name == "stacktrace":
        arrs = [dump.stacks.ranks()[dump.stack_id[r]]]
    elif name == "txt":
        arrs = _text_keys(dump, r)
    elif name == "allocator":
        arrs = [dump.allocator[r].astype(np.int64)]
    elif name == "module":
        arrs = [dump.modules.ranks()[dump.module_id[r]]]
    elif name in ("alloc_ts", "free_ts"):
        col = dump.ts_ns if name == "alloc_ts" else dump.free_ts_ns
        a = col[r]
        return [a if sign > 0 else ~a]
    else:  # pragma: no cover - guarded by the option parser
        raise ValueError(f"unknown sort key {name!r}")
    return [a if sign > 0 else -a.astype(np.int64) for a in arrs]


def sort(dump, g: Groups, keys) -> Groups:
    """Stable multi-key sort of the groups; `keys` is a sequence of (name, sign)."""
    if len(g) == 0 or not keys:
        return g
    arrs = []
    for name, sign in keys:
        arrs.extend(_sort_key(dump, g, name, sign))
    order = _lexsort(arrs)
    if g.text_order_pending:
        order = _text_order_ties(dump, g, arrs, order)
    return Groups(g.rep[order], g.count[order], g.pages[order])


def _text_order_ties(dump, g: Groups, arrs, order):
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
    order = order.copy()
    edges = np.flatnonzero(np.diff(np.concatenate(([0], same.astype(np.int8), [0]))))
    headers, stacks = dump.headers, dump.stacks
    hid = dump.header_id[g.rep]
    sid = dump.stack_id[g.rep]
    for start, stop in zip(edges[::2].tolist(), (edges[1::2] + 1).tolist()):
        run = order[start:stop].tolist()
        run.sort(key=lambda i: (headers[hid[i]], stacks[sid[i]]))
        order[start:stop] = run
    return order
