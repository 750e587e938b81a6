"""A dump's columns and tables, declared: what the rules (sortcull, compat, export) need of a
dump. `Dump` (dump.py) derives from `DumpLike`; the rules name this class instead of
importing the model, so that imports only point down (docs/architecture.md).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._table import Table


class DumpLike:
    """NumPy columns, one row per block (or group of identical blocks), and string tables."""

    columns: dict[str, npt.NDArray[Any]]
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
    block: npt.NDArray[np.int64]
    block_migratetype: npt.NDArray[np.int8]
    headers: Table
    stacks: Table
    comms: Table
    modules: Table
    stats: dict[str, Any]
    strip_ts: bool
    source: str

    def __len__(self) -> int:
        raise NotImplementedError
