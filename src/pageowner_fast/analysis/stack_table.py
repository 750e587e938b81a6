"""`stacks`: pages per allocation stack (or handle, comm, ...) of any source, as show_stacks
would list them."""
from __future__ import annotations

from typing import Any

from ..exceptions import UsageError
from ..stacks import StackFile
from ._describe import describe_source
from ._load import AnySource, load_sources
from .keys import counts, normalize_stack, resolve_by, tie_key
from .table import ResultTable


def stacks_table(source: AnySource, by: str | None = None, *, threshold: int = 0,
                 normalize: bool = False, stacks_handles: AnySource | None = None,
                 k: int | None = None, threads: int | None = None) -> ResultTable:
    """Pages per stack (the default; per handle for a show_handles file, or any other key of
    a dump), largest first, keys with fewer than max(1, threshold) pages left out as the
    kernel's count_threshold does: columns key, pages, blocks (None for a show_stacks file),
    handle. Each row also has ``label``, the name of its count line in the input
    (``nr_base_pages``, or ``stack_count`` in v6.9-rc files). ``stacks_handles``: the
    show_stacks_handles file that maps the handles of a show_handles input to stacks. A
    show_stacks_handles input (no counts) lists its stacks with their handles, in file order."""
    (src,) = load_sources([source], threads=threads)
    if stacks_handles is not None:
        if not isinstance(src, StackFile):
            raise UsageError(f"--stacks-handles: {src.source} is a dump, not a show_handles file")
        (sh,) = load_sources([stacks_handles], threads=threads)
        if not isinstance(sh, StackFile):
            raise UsageError(f"--stacks-handles: {sh.source} is a dump, not a "
                             "show_stacks_handles file")
        src = src.resolve_handles(sh)
    by = resolve_by(src, by)
    rows: list[dict[str, Any]]
    if isinstance(src, StackFile) and not src.has_counts:
        rows = [{"key": fr if by == "stack" else h, "blocks": None, "pages": None, "handle": h,
                 "label": None} for fr, h in zip(src.frames, src.handles)]
    else:
        labels: dict[Any, str] = {}
        handles: dict[Any, int] = {}
        if isinstance(src, StackFile):  # keep each record's own count line name and handle
            keys = src.handles if by == "handle" else (
                [normalize_stack(f) for f in src.frames] if normalize else src.frames)
            for key, lab, h in zip(keys, src.labels, src.handles):
                if lab is not None:
                    labels[key] = lab if labels.get(key, lab) == lab else "nr_base_pages"
                if by == "stack" and not normalize and h is not None:
                    handles[key] = h
        c = counts(src, by, normalize)
        rows = [{"key": key, "blocks": b, "pages": pg,
                 "handle": key if by == "handle" else handles.get(key),
                 "label": labels.get(key, "nr_base_pages")}
                for key, (b, pg) in c.items() if pg >= max(1, threshold)]
        rows.sort(key=lambda r: (-r["pages"], tie_key(r["key"])))
    return ResultTable(["key", "pages", "blocks", "handle"], rows, by=by,
                       meta={"input": describe_source(src)}).head(k)
