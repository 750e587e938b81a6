"""`diff`: pages per key in two snapshots, largest growth first."""
from __future__ import annotations

from typing import Any

from ..dump import Dump
from ..exceptions import UnsupportedKeyError
from ..stacks import StackFile
from ._describe import describe_source
from ._load import AnySource, load_sources
from .keys import Counts, counts, resolve_by, tie_key
from .table import ResultTable


def common_by(srcs: list[Dump | StackFile], by: str | None) -> str:
    """The grouping for all sources; handle keys compare only with handle keys."""
    got = [resolve_by(s, by) for s in srcs]
    if len(set(got)) > 1:
        hs = [s.source for s, b in zip(srcs, got) if b == "handle"]
        raise UnsupportedKeyError(
            f"{hs[0]} is keyed by stack-depot handle (show_handles): it can be compared only with "
            "another show_handles file (or resolve it with its show_stacks_handles file)")
    return got[0] if got else (by or "stack")


def diff(a: AnySource, b: AnySource, by: str | None = "stack", normalize: bool = False, *,
         k: int | None = None, threads: int | None = None) -> ResultTable:
    """Pages per key in ``a`` (old) and ``b`` (new): columns key, old_pages, new_pages,
    delta_pages (new - old), ratio (new / old, None when old is 0), old_blocks, new_blocks
    (None for a show_stacks side). One row per key present in either input, largest growth
    first. ``normalize`` strips ``+0xOFF/0xSIZE`` and compiler suffixes from frames so that
    the same call path from two builds matches."""
    def count(src: Dump | StackFile) -> tuple[Dump | StackFile, Counts]:
        # runs in the loading thread: overlaps with the other input's scan
        return src, counts(src, resolve_by(src, by), normalize)
    (old, co), (new, cn) = load_sources([a, b], threads=threads, then=count)
    by = common_by([old, new], by)
    rows: list[dict[str, Any]] = []
    for key in co.keys() | cn.keys():
        ob, op = co.get(key, (0 if not isinstance(old, StackFile) else None, 0))
        nb, np_ = cn.get(key, (0 if not isinstance(new, StackFile) else None, 0))
        rows.append({"key": key, "old_pages": op, "new_pages": np_, "delta_pages": np_ - op,
                     "ratio": (np_ / op) if op else None, "old_blocks": ob, "new_blocks": nb})
    rows.sort(key=lambda r: (-r["delta_pages"], -r["new_pages"], tie_key(r["key"])))
    meta = {"old": describe_source(old), "new": describe_source(new), "normalize": normalize,
            "old_total": sum(v[1] for v in co.values()), "new_total": sum(v[1] for v in cn.values())}
    cols = ["key", "old_pages", "new_pages", "delta_pages", "ratio", "old_blocks", "new_blocks"]
    return ResultTable(cols, rows, by=by, meta=meta).head(k)
