"""`Table`: interned byte strings (a dump's header lines, stacks, comms, modules), by id."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import numpy as np
import numpy.typing as npt

Packed = tuple[bytes, npt.NDArray[np.int64]]


class Table(Sequence[bytes]):
    """Interned byte strings: ``table[i]`` is the bytes of id i; ids follow first appearance.

    Built from a list of bytes, or from the scanner's packed form ``(arena, offsets)``
    (value i = ``arena[offsets[i]:offsets[i+1]]``), which is turned into a list only if
    something needs every value as an object."""

    def __init__(self, items: Iterable[bytes] | Packed) -> None:
        self._arena: bytes | None
        self._offs: npt.NDArray[np.int64] | None
        self._list: list[bytes] | None
        if isinstance(items, tuple):
            self._arena, self._offs = items
            self._list = None
        else:
            self._arena = self._offs = None
            self._list = list(items)
        self._ranks: npt.NDArray[np.int64] | None = None
        self._index: dict[bytes, int] | None = None

    @property
    def _items(self) -> list[bytes]:
        if self._list is None:
            assert self._arena is not None and self._offs is not None
            a, o = memoryview(self._arena), self._offs.tolist()
            self._list = [a[o[i]:o[i + 1]].tobytes() for i in range(len(o) - 1)]
        return self._list

    def packed(self) -> Packed:
        """(arena bytes, int64 offsets) of the values."""
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
        assert self._arena is not None and self._offs is not None
        n = len(self._offs) - 1
        i = int(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("Table index out of range")
        return bytes(memoryview(self._arena)[int(self._offs[i]):int(self._offs[i + 1])])

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"Table({len(self)} items)"

    def ranks(self) -> npt.NDArray[np.int64]:
        """rank[id] = position of the value in bytewise (strcmp) order; values are unique, so
        comparing ranks is comparing the strings."""
        if self._ranks is None:
            items = self._items
            order = sorted(range(len(items)), key=items.__getitem__)
            r = np.empty(len(items), dtype=np.int64)
            r[np.asarray(order, dtype=np.int64)] = np.arange(len(items), dtype=np.int64)
            self._ranks = r
        return self._ranks

    def id_of(self, value: bytes) -> int:
        """The id of `value`, or -1 if it never occurs."""
        if self._index is None:
            if len(self) > 100_000:  # a one-off look-up needs no index of a huge table
                return self._find(value)
            self._index = {v: i for i, v in enumerate(self._items)}
        return self._index.get(value, -1)

    def _find(self, value: bytes) -> int:
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

    def text(self, i: int) -> str:
        """Value i decoded as UTF-8 (invalid bytes as ``\\xNN``)."""
        return self._items[i].decode("utf-8", "backslashreplace")
