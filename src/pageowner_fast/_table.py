"""`Table`: interned byte strings (a dump's header lines, stacks, comms, modules), by id."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from ._threads import on_threads

Packed = tuple[bytes, npt.NDArray[np.int64]]
# Header lines as templates (the compiled scanner's `_templated`):
# {"templates": (arena, offsets, q), "entries": (template, digit count, digits' value),
#  "packer": a function of the six arrays that makes every text at once (or absent),
#  "text_order": whether the ids are in text order (absent: they are)}
Templated = dict[str, Any]


def _digits(n: int, v: int) -> bytes:
    return b"%0*d" % (n, v)


# Above this many values ranks() sorts the packed texts natively (below it a Python sort of a
# few bytes objects is as fast).
NATIVE_RANKS_MIN = 256


def _rank_texts() -> Any:
    """The compiled ranking of packed texts, or None without the extension."""
    try:
        from ._scan import rank_texts
    except ImportError:
        return None
    return rank_texts


class Table(Sequence[bytes]):
    """Interned byte strings: ``table[i]`` is the bytes of id i; ids follow first appearance.

    Built from a list of bytes, or from the scanner's packed form ``(arena, offsets)``
    (value i = ``arena[offsets[i]:offsets[i+1]]``), which is turned into a list only if
    something needs every value as an object; or from templated header lines (`Templated`:
    value i is a template with digits put in; a folded scan's ids are in text order, -a's
    in order of appearance), whose texts are made only when asked for."""

    def __init__(self, items: Iterable[bytes] | Packed | Templated) -> None:
        self._arena: Any        # bytes, or a uint8 array from the scanner
        self._offs: npt.NDArray[np.int64] | None
        self._list: list[bytes] | None
        self._tpl: tuple[Any, ...] | None = None
        self._packer: Any = None
        self._ranks: npt.NDArray[np.int64] | None = None
        self._text_order = False
        if isinstance(items, dict):
            self._tpl = (*items["templates"], *items["entries"])
            self._packer = items.get("packer")
            self._arena = self._offs = None
            self._list = None
            self._text_order = bool(items.get("text_order", True))
            if self._text_order:
                self._ranks = np.arange(len(self._tpl[3]), dtype=np.int64)
        elif isinstance(items, tuple):
            self._arena, self._offs = items
            self._list = None
        else:
            self._arena = self._offs = None
            self._list = list(items)
        self._index: dict[bytes, int] | None = None

    def in_text_order(self) -> bool:
        """Whether the ids order as the texts do (a folded scan's templated header lines)."""
        return self._text_order

    def templated(self) -> tuple[Any, ...] | None:
        """(arena, offsets, q, template, digit count, digits' value) of a templated table
        (value i is template[i] with the digits put in at its q), or None."""
        return self._tpl

    def _tpl_value(self, i: int) -> bytes:
        assert self._tpl is not None
        arena, offs, q, etpl, edn, edv = self._tpl
        t = int(etpl[i])
        base = bytes(memoryview(arena)[int(offs[t]):int(offs[t + 1])])
        n = int(edn[i])
        if n < 0:
            return base
        k = int(q[t])
        return base[:k] + _digits(n, int(edv[i])) + base[k:]

    @property
    def _items(self) -> list[bytes]:
        if self._list is None:
            if self._arena is None and self._tpl is not None:
                self.packed()
            assert self._arena is not None and self._offs is not None
            a, o = memoryview(self._arena), self._offs.tolist()
            self._list = [a[o[i]:o[i + 1]].tobytes() for i in range(len(o) - 1)]
        return self._list

    def packed(self) -> Packed:
        """(arena bytes, int64 offsets) of the values."""
        if (self._arena is None or self._offs is None) and self._tpl is not None:
            if self._packer is not None:
                self._arena, self._offs = self._packer(*self._tpl)
                return self._arena, self._offs
            self._list = [self._tpl_value(i) for i in range(len(self))]
        if self._arena is None or self._offs is None:
            items = self._items
            lens = np.fromiter((len(v) for v in items), dtype=np.int64, count=len(items))
            offs = np.zeros(len(items) + 1, dtype=np.int64)
            np.cumsum(lens, out=offs[1:])
            self._arena, self._offs = b"".join(items), offs
        return self._arena, self._offs

    def __len__(self) -> int:
        if self._list is not None:
            return len(self._list)
        if self._tpl is not None and self._offs is None:
            return len(self._tpl[3])
        assert self._offs is not None
        return len(self._offs) - 1

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if self._list is not None:
            return self._list[i]
        if isinstance(i, slice):
            return self._items[i]
        n = len(self)
        i = int(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("Table index out of range")
        if self._arena is None and self._tpl is not None:
            return self._tpl_value(i)
        assert self._arena is not None and self._offs is not None
        return bytes(memoryview(self._arena)[int(self._offs[i]):int(self._offs[i + 1])])

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._items)

    def take(self, ids: Iterable[int]) -> list[bytes]:
        """[self[i] for i in ids], for many ids at once (the values are made once, as a
        list, on the first call: a value look-up is then a list index)."""
        items = self._items
        return [items[i] for i in ids]

    def __repr__(self) -> str:
        return f"Table({len(self)} items)"

    def ranks(self) -> npt.NDArray[np.int64]:
        """rank[id] = position of the value in bytewise (strcmp) order; values are unique, so
        comparing ranks is comparing the strings."""
        if self._ranks is None:
            native = _rank_texts() if len(self) > NATIVE_RANKS_MIN else None
            if native is not None:  # a merge sort over the packed texts: no bytes objects
                arena, offs = self.packed()
                self._ranks = native(arena, offs)
                return self._ranks
            items = self._items
            order = sorted(range(len(items)), key=items.__getitem__)
            r = np.empty(len(items), dtype=np.int64)
            r[np.asarray(order, dtype=np.int64)] = np.arange(len(items), dtype=np.int64)
            self._ranks = r
        return self._ranks

    def rank_of(self, ids: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.integer[Any]]:
        """ranks()[ids] (integers that order as the texts do), without the look-up (the ids
        themselves) when the ids are in text order."""
        if self._text_order:
            return ids
        return self.ranks()[ids]

    def id_of(self, value: bytes) -> int:
        """The id of `value`, or -1 if it never occurs."""
        if self._index is None:
            # a one-off look-up needs no index of a huge table (nor of a templated one:
            # a binary search in text order, or a look at the templates; nor the empty
            # value of a packed one: two equal offsets)
            if (len(self) > 100_000 or (self._tpl is not None and self._list is None)
                    or (not value and self._list is None)):
                return self._find(value)
            self._index = {v: i for i, v in enumerate(self._items)}
        return self._index.get(value, -1)

    def _find(self, value: bytes) -> int:
        if self._tpl is not None and self._list is None and not self._text_order:
            return self._find_entry(value)
        if self._tpl is not None and self._list is None:
            # ids in text order: a binary search, a handful of texts made
            lo, hi = 0, len(self)
            while lo < hi:
                mid = (lo + hi) // 2
                if self._tpl_value(mid) < value:
                    lo = mid + 1
                else:
                    hi = mid
            return lo if lo < len(self) and self._tpl_value(lo) == value else -1
        if self._list is not None:
            try:
                return self._list.index(value)
            except ValueError:
                return -1
        assert self._arena is not None and self._offs is not None
        a, o = self._arena, self._offs
        if not value:
            hits = np.flatnonzero(o[1:] == o[:-1])
            return int(hits[0]) if len(hits) else -1
        if not isinstance(a, bytes):
            a = memoryview(a).tobytes()
        k = a.find(value)
        while k >= 0:  # a value starts at an offset and ends at the next one
            i = int(np.searchsorted(o, k))
            if i < len(o) - 1 and o[i] == k and o[i + 1] - k == len(value):
                return i
            k = a.find(value, k + 1)
        return -1

    def _find_entry(self, value: bytes) -> int:
        """_find in a templated table whose ids are not in text order: the templates that
        `value` fits, then the first entry of one of them with value's digits."""
        assert self._tpl is not None
        arena, offs, q, etpl, edn, edv = self._tpl
        mv, n = memoryview(arena), len(value)
        tlen = np.diff(offs)
        fits = np.where(q < 0, tlen == n, (n - tlen >= 1) & (n - tlen <= 19))
        best = -1
        for t in np.flatnonzero(fits).tolist():
            base = bytes(mv[int(offs[t]):int(offs[t + 1])])
            k, d = int(q[t]), n - len(base)
            if k < 0:
                if base != value:
                    continue
                hit = (etpl == t) & (edn < 0)
            else:
                digits = value[k:k + d]
                if not (1 <= d <= 19 and digits.isdigit() and value[:k] == base[:k]
                        and value[k + d:] == base[k:]):
                    continue
                hit = (etpl == t) & (edn == d) & (edv == np.uint64(int(digits)))
            ids = np.flatnonzero(hit)
            if len(ids) and (best < 0 or int(ids[0]) < best):
                best = int(ids[0])
        return best

    def text(self, i: int) -> str:
        """Value i decoded as UTF-8 (invalid bytes as ``\\xNN``)."""
        return self[i].decode("utf-8", "backslashreplace")


def rank_together(tables: Sequence[Table], threads: int) -> None:
    """Make the ranks (`Table.ranks`) that `tables` lack at once, a table per thread (at most
    `threads`): the compiled ranking runs without the GIL, and two tables of long texts (a
    folded dump's header lines and stacks) cost milliseconds each (cgroup-heavy 1 GiB: its
    cull 6.9 -> 5.4 ms on 2 CPUs)."""
    todo = [t for t in tables
            if t._ranks is None and not t._text_order and len(t) > NATIVE_RANKS_MIN]
    parts = min(len(todo), threads)
    if parts < 2 or _rank_texts() is None:
        return
    for t in todo:          # packing may make Python objects: here, not on the threads
        t.packed()
    on_threads(lambda k: [t.ranks() for t in todo[k::parts]], parts, "pageowner-fast ranks")
