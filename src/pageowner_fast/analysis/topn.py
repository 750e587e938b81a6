"""`top`: pages per key, largest first."""
from __future__ import annotations

from ..stacks import StackFile
from ._describe import describe_source
from ._load import AnySource, load_sources
from .keys import counts, resolve_by, tie_key
from .table import ResultTable


def top(source: AnySource, by: str = "comm", *, page_size: int = 4096, k: int | None = None,
        normalize: bool = False, threads: int | None = None) -> ResultTable:
    """Pages per key, largest first: columns key, blocks (None for a show_stacks file),
    pages, bytes (pages x page_size) and share (of all pages)."""
    (src,) = load_sources([source], threads=threads)
    by = resolve_by(src, by)
    c = counts(src, by, normalize)
    total = sum(v[1] for v in c.values())
    rows = [{"key": key, "blocks": b, "pages": p, "bytes": p * page_size,
             "share": (p / total) if total else 0.0} for key, (b, p) in c.items()]
    rows.sort(key=lambda r: (-r["pages"], -(r["blocks"] or 0), tie_key(r["key"])))
    blocks = None if isinstance(src, StackFile) else sum(v[0] for v in c.values())
    meta = {"input": describe_source(src), "page_size": page_size, "total_pages": total,
            "total_blocks": blocks}
    return ResultTable(["key", "blocks", "pages", "bytes", "share"], rows, by=by, meta=meta).head(k)
