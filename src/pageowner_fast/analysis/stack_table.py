"""`stacks`: pages per allocation stack (or handle, comm, ...) of any source, as show_stacks
would list them."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._engine import Progress
from ..exceptions import UsageError
from ..stacks import StackFile
from ..timewindow import time_window
from ._load import AnySource, load_sources
from .grouping import Time, group_loaded, needs_blocks
from .keys import normalize_stack, parse_by, resolve_keys, sort_token
from .table import ResultTable
from .units import PageSize, parse_page_size


def stacks_table(source: AnySource, by: str | Sequence[str] | None = None, *, threshold: int = 0,
                 normalize: bool = False, stacks_handles: AnySource | None = None,
                 k: int | None = None, page_size: PageSize = 4096, since: Time = None,
                 until: Time = None, threads: int | None = None,
                 progress: Progress | None = None) -> ResultTable:
    """Pages per stack (the default; per handle for a show_handles file, or any other key of
    a dump or kernel log), largest first, keys with fewer than max(1, threshold) pages left
    out as the kernel's count_threshold does: columns key, pages, bytes, blocks (None for a
    show_stacks file), handle. Each row also has ``label``, the name of its count line in
    the input (``nr_base_pages``, or ``stack_count`` in v6.9-rc files). ``stacks_handles``:
    the show_stacks_handles file that maps the handles of a show_handles input to stacks. A
    show_stacks_handles input (no counts) lists its stacks with their handles, in file
    order. ``page_size``, ``since``/``until``: as in `group_by`."""
    ps = parse_page_size(page_size)
    window = time_window(since, until)
    (src,) = load_sources([source], threads=threads, progress=progress,
                          aggregate=not needs_blocks(parse_by(by), window))
    if stacks_handles is not None:
        if not isinstance(src, StackFile):
            raise UsageError(f"--stacks-handles: {src.source} is a dump, not a show_handles file")
        (sh,) = load_sources([stacks_handles], threads=threads)
        if not isinstance(sh, StackFile):
            raise UsageError(f"--stacks-handles: {sh.source} is a dump, not a "
                             "show_stacks_handles file")
        src = src.resolve_handles(sh)
    keys = resolve_keys(src, by)
    rows: list[dict[str, Any]]
    cols = ["key", "pages", "bytes", "blocks", "handle"]
    if isinstance(src, StackFile) and not src.has_counts:
        if window:
            group_loaded(src, keys, window=window)   # raises: no timestamps
        rows = [{"key": fr if keys == ("stack",) else h, "blocks": None, "pages": None,
                 "bytes": None, "handle": h, "label": None}
                for fr, h in zip(src.frames, src.handles)]
        return ResultTable(cols, rows, by=keys, meta={"input": {"source": src.source,
                           "kind": src.kind, "unit": None, "records": len(src), "pages": 0},
                           "page_size": ps}).head(k)
    labels: dict[Any, str] = {}
    handles: dict[Any, int] = {}
    if isinstance(src, StackFile):  # keep each record's own count line name and handle
        rkeys = src.handles if keys == ("handle",) else (
            [normalize_stack(f) for f in src.frames] if normalize else src.frames)
        for key, lab, h in zip(rkeys, src.labels, src.handles):
            if lab is not None:
                labels[key] = lab if labels.get(key, lab) == lab else "nr_base_pages"
            if keys == ("stack",) and not normalize and h is not None:
                handles[key] = h
    g = group_loaded(src, keys, page_size=ps, normalize=normalize, window=window)
    rows = [{"key": key, "blocks": b, "pages": pg, "bytes": nb,
             "handle": key if keys == ("handle",) else handles.get(key),
             "label": labels.get(key, "nr_base_pages")}
            for key, b, pg, nb in g.items() if pg >= max(1, threshold)]
    rows.sort(key=lambda r: (-r["pages"], sort_token(r["key"])))
    meta = dict(g.meta)
    return ResultTable(cols, rows, by=keys, meta=meta).head(k)
