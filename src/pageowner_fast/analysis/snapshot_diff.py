"""`diff`: pages per key in two snapshots, largest growth first."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._engine import Progress
from ..dump import Dump
from ..exceptions import UnsupportedKeyError
from ..stacks import StackFile
from ..timewindow import time_window
from ._load import AnySource, load_sources
from .grouping import Grouped, Time, group_loaded, needs_blocks
from .keys import parse_by, resolve_keys, sort_token
from .table import ResultTable
from .units import PageSize, parse_page_size


def common_by(srcs: list[Dump | StackFile], by: str | Sequence[str] | None) -> tuple[str, ...]:
    """The grouping for all sources; handle keys compare only with handle keys."""
    got = [resolve_keys(s, by) for s in srcs]
    if len(set(got)) > 1:
        hs = [s.source for s, b in zip(srcs, got) if "handle" in b]
        raise UnsupportedKeyError(
            f"{hs[0]} is keyed by stack-depot handle (show_handles): it can be compared only with "
            "another show_handles file (or resolve it with its show_stacks_handles file)")
    return got[0] if got else ("stack",)


def diff(a: AnySource, b: AnySource, by: str | Sequence[str] | None = "stack",
         normalize: bool = False, *, k: int | None = None, page_size: PageSize = 4096,
         since: Time = None, until: Time = None, threads: int | None = None,
         progress: Progress | None = None) -> ResultTable:
    """Pages per key in ``a`` (old) and ``b`` (new): columns key, old_pages, new_pages,
    delta_pages (new - old), ratio (new / old, None when old is 0), old_blocks, new_blocks
    (None for a show_stacks side), old_bytes, new_bytes, delta_bytes (pages x page_size).
    One row per key present in either input, largest growth first. ``normalize`` strips
    ``+0xOFF/0xSIZE``, compiler suffixes and ``_noprof`` from frames so that the same call
    path from two builds matches. ``by``, ``page_size``, ``since``/``until`` (applied to each
    input on its own clock): as in `group_by`."""
    ps = parse_page_size(page_size)
    window = time_window(since, until)

    def count(src: Dump | StackFile) -> tuple[Dump | StackFile, Grouped]:
        # runs in the loading thread: overlaps with the other input's scan
        return src, group_loaded(src, by, page_size=ps, normalize=normalize, window=window)
    (old, go), (new, gn) = load_sources([a, b], threads=threads, then=count, progress=progress,
                                        aggregate=not needs_blocks(parse_by(by), window))
    keys = common_by([old, new], by)
    co, cn = go.to_dict(), gn.to_dict()
    rows: list[dict[str, Any]] = []
    for key in co.keys() | cn.keys():
        ob, op = co.get(key, (0 if not isinstance(old, StackFile) else None, 0))
        nb, np_ = cn.get(key, (0 if not isinstance(new, StackFile) else None, 0))
        rows.append({"key": key, "old_pages": op, "new_pages": np_, "delta_pages": np_ - op,
                     "ratio": (np_ / op) if op else None, "old_blocks": ob, "new_blocks": nb,
                     "old_bytes": op * ps, "new_bytes": np_ * ps, "delta_bytes": (np_ - op) * ps})
    rows.sort(key=lambda r: (-r["delta_pages"], -r["new_pages"], sort_token(r["key"])))
    meta = {"old": go.meta["input"], "new": gn.meta["input"], "normalize": normalize,
            "page_size": ps, "old_total": go.total_pages, "new_total": gn.total_pages,
            "old_total_bytes": go.total_pages * ps, "new_total_bytes": gn.total_pages * ps}
    if window:
        meta["window"] = {"old": go.meta.get("window"), "new": gn.meta.get("window")}
    cols = ["key", "old_pages", "new_pages", "delta_pages", "ratio", "old_blocks", "new_blocks",
            "old_bytes", "new_bytes", "delta_bytes"]
    return ResultTable(cols, rows, by=keys, meta=meta).head(k)
