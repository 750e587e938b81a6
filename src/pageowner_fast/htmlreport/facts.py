"""The facts a report's header states about an input: what it is, the kernel era its fields
say it comes from, its blocks, pages and bytes, its ts range, and the warnings
`diagnose` has about it."""
from __future__ import annotations

from typing import Any

from .. import _fields as F
from .. import diagnose
from ..dump import Dump
from ..sortcull import exact_total
from ..stacks import StackFile

__all__ = ["facts", "kernel_era"]


def kernel_era(src: Dump | StackFile) -> str:
    """Which kernels print an input like this one, from the fields its blocks have (the
    eras of pageowner_fast.gen, whose docstring lists each era's layout): e.g. ``"6.10 or
    later (tgid and comm, no free_ts, _noprof allocator frames)"``."""
    if isinstance(src, StackFile):
        return f"page_owner_stacks file ({src.kind}; kernels 6.10 and later)"
    if len(src) == 0:
        return "unknown (no blocks)"
    absent = set(src.malformed()["absent"])
    if "order" in absent:
        return "unknown (no block has an order field: not a page_owner dump)"
    if "pid" in absent:
        return "4.6 to 5.10 (no pid, no ts)"
    if "tgid" in absent or "comm" in absent:
        if "free_ts" in absent:
            return "5.11 or 5.12 (pid and ts, no tgid, no free_ts)"
        return "5.13 to 5.17 (pid, ts and free_ts, no tgid or comm)"
    if "free_ts" not in absent:
        return "5.18 to 6.6 (tgid and comm, free_ts)"
    if any(b"_noprof+" in s for s in src.stacks):
        return "6.10 or later (tgid and comm, no free_ts, _noprof allocator frames)"
    return "6.7 or later (tgid and comm, no free_ts)"


def _ts_range(dump: Dump) -> tuple[int, int] | None:
    ok = ~dump.empty_mask() & ((dump.bad & F.BAD_TS) == 0)
    if not ok.any():
        return None
    ts = dump.ts_ns[ok]
    return int(ts.min()), int(ts.max())


def facts(src: Dump | StackFile, page_size: int, *, role: str = "input") -> dict[str, Any]:
    """{role, source, kind, era, blocks (None for a show_stacks file), records, pages, bytes,
    page_size, ts_min_ns, ts_max_ns (None without timestamps), warnings (lines)}."""
    if isinstance(src, StackFile):
        pages = src.total_pages()
        blocks, records, ts = None, len(src), None
    else:
        pages = exact_total(src.pages)
        blocks, records, ts = src.nblocks, len(src), _ts_range(src)
    return {"role": role, "source": str(src.source), "kind": src.kind, "era": kernel_era(src),
            "blocks": blocks, "records": records, "pages": int(pages),
            "bytes": int(pages) * page_size, "page_size": page_size,
            "ts_min_ns": None if ts is None else ts[0], "ts_max_ns": None if ts is None else ts[1],
            "warnings": [m.removeprefix("warning: ").removeprefix("note: ")
                         for m in diagnose.messages(src)]}

