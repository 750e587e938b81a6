"""`top`: blocks, pages and bytes per key, largest first."""
from __future__ import annotations

from collections.abc import Sequence

from .._engine import Progress
from ..timewindow import time_window
from ._load import AnySource, load_sources
from .grouping import Time, group_loaded, needs_blocks
from .keys import parse_by
from .table import ResultTable
from .units import PageSize


def top(source: AnySource, by: str | Sequence[str] | None = "comm", *, page_size: PageSize = 4096,
        k: int | None = None, normalize: bool = False, since: Time = None, until: Time = None,
        threads: int | None = None, progress: Progress | None = None) -> ResultTable:
    """Pages per key, largest first: columns key, blocks (None for a show_stacks file),
    pages, bytes (pages x page_size) and share (of all pages); ``comm`` too for a grouping
    by pid or tgid (the comm holding most of the key's pages). ``by``: one key or several
    (``"comm,module"``; the key is then a tuple), see `group_by` for the keys, the page size
    and the time window (``since``/``until``)."""
    window = time_window(since, until)
    (src,) = load_sources([source], threads=threads, progress=progress,
                          aggregate=not needs_blocks(parse_by(by), window))
    g = group_loaded(src, by, page_size=page_size, normalize=normalize, window=window)
    cols = ["key", "blocks", "pages", "bytes", "share"] + (["comm"] if g.comms is not None else [])
    meta = dict(g.meta, total_pages=g.total_pages, total_blocks=g.total_blocks,
                total_bytes=g.total_pages * g.page_size)
    return ResultTable(cols, g.rows(), by=g.by, meta=meta).head(k)
