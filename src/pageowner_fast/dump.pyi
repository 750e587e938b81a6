"""Typed stubs of pageowner_fast.dump (the Dump API)."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, overload

import numpy as np
import numpy.typing as npt

from .analysis import GroupTable

_Source = str | bytes | os.PathLike[str] | IO[bytes]
_OneOrMany = Any  # a scalar or an iterable of scalars

class Table(Sequence[bytes]):
    """Interned byte strings: ``table[i]`` is the bytes of id i."""
    def __init__(self, items: Iterable[bytes] | tuple[bytes, npt.NDArray[np.int64]]) -> None: ...
    def packed(self) -> tuple[bytes, npt.NDArray[np.int64]]: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, i: int) -> bytes: ...
    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def ranks(self) -> npt.NDArray[np.int64]: ...
    def id_of(self, value: bytes) -> int: ...
    def text(self, i: int) -> str: ...

class Dump:
    """A scanned page_owner dump: NumPy columns (one row per block, or per group of identical
    blocks for an aggregated load) and interned string tables."""
    columns: dict[str, np.ndarray]
    order: npt.NDArray[np.int16]
    pages: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]
    pid: npt.NDArray[np.int32]
    tgid: npt.NDArray[np.int32]
    ts_ns: npt.NDArray[np.uint64]
    free_ts_ns: npt.NDArray[np.uint64]
    pfn: npt.NDArray[np.int64]
    gfp_mask: npt.NDArray[np.uint64]
    migratetype: npt.NDArray[np.int8]
    allocator: npt.NDArray[np.uint8]
    header_id: npt.NDArray[np.int32]
    stack_id: npt.NDArray[np.int32]
    comm_id: npt.NDArray[np.int32]
    module_id: npt.NDArray[np.int32]
    bad: npt.NDArray[np.uint16]
    lineno: npt.NDArray[np.int64]
    headers: Table
    stacks: Table
    comms: Table
    modules: Table
    stats: dict[str, Any]
    strip_ts: bool
    source: str

    def __init__(self, columns: dict[str, np.ndarray], tables: dict[str, list[bytes]],
                 stats: dict[str, Any], *, strip_ts: bool = ..., source: str = ...) -> None: ...
    def __len__(self) -> int: ...
    @property
    def nblocks(self) -> int: ...
    def text(self, i: int) -> bytes: ...
    def empty_mask(self) -> npt.NDArray[np.bool_]: ...
    def malformed(self) -> dict[str, Any]: ...
    def describe(self, i: int) -> dict[str, Any]: ...
    def filter(self, *, pid: _OneOrMany = ..., tgid: _OneOrMany = ..., comm: _OneOrMany = ...,
               module: _OneOrMany = ...) -> Dump: ...
    def cull(self, keys: str | Iterable[str] = ...) -> GroupTable: ...
    def sort(self, keys: str | Iterable[str | tuple[str, int]] = ..., *,
             cull: str | Iterable[str] = ...) -> GroupTable: ...
    def to_pandas(self) -> Any: ...
    def to_arrow(self) -> Any: ...
    def to_parquet(self, path: str | os.PathLike[str], **kwargs: Any) -> None: ...

def engine_scan(f: IO[bytes], *, strip_ts: bool, progress: Callable[[int], None] | None = ...,
                aggregate: bool = ...) -> tuple[dict[str, np.ndarray], dict[str, list[bytes]], dict[str, Any]]: ...
def load(source: _Source, *, strip_ts: bool = ..., pfn_start: int | None = ...,
         progress: Callable[[int], None] | None = ..., aggregate: bool = ...) -> Dump: ...
