"""A `ResultTable` as JSON (one array, one object per line) or CSV."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

from ..analysis import ResultTable
from ..analysis.fragmentation import FragResult

CHUNK = 1 << 20


def iter_json(table: ResultTable, columns: Sequence[str] | None = None) -> Iterator[bytes]:
    """One JSON array, one object per line (stack keys as lists of frames, innermost first)."""
    cols = columns or table.columns
    yield b"["
    sep = b"\n"
    for rec in table.to_records():
        yield sep + json.dumps({c: rec[c] for c in cols}, ensure_ascii=False).encode("utf-8")
        sep = b",\n"
    yield b"\n]\n"


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, tuple):
        return "\n".join(v)
    if isinstance(v, float):
        return repr(v)
    return v


def iter_csv(table: ResultTable, expand_pages: int | None = None) -> Iterator[bytes]:
    """CSV with a header row; a stack key is its frames joined by newlines (innermost first),
    None is an empty field. A grouping by several keys has one column per key, named by the
    key, in place of ``key``. ``expand_pages=n`` turns the list columns ``pages`` and
    ``bytes`` (one value per snapshot) into ``pages_1`` .. ``pages_n``, ``bytes_1`` ..
    ``bytes_n``."""
    sio = io.StringIO()
    w = csv.writer(sio, lineterminator="\n")
    cols = list(table.columns)
    multi = len(table.keys) > 1
    head: list[str] = []
    for c in cols:
        if expand_pages and c in ("pages", "bytes"):
            head.extend(f"{c}_{j}" for j in range(1, expand_pages + 1))
        elif c == "key" and multi:
            head.extend(table.keys)
        else:
            head.append(c)
    w.writerow(head)
    for r in table.rows:
        row: list[Any] = []
        for c in cols:
            if expand_pages and c in ("pages", "bytes"):
                row.extend(r[c])
            elif c == "key" and multi:
                row.extend(_csv_value(v) for v in r[c])
            else:
                row.append(_csv_value(r[c]))
        w.writerow(row)
        if sio.tell() >= CHUNK:
            yield sio.getvalue().encode("utf-8")
            sio.seek(0)
            sio.truncate()
    yield sio.getvalue().encode("utf-8")


def iter_frag_json(result: FragResult, k: int | None = None) -> Iterator[bytes]:
    """``{"pageblocks": [...], "culprits": [...]}`` (the first k culprits with k)."""
    d = result.to_dict()
    if k:
        d["culprits"] = d["culprits"][:k]
    yield json.dumps(d, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


FRAG_CSV = ("table", "block_type", "page_type", "stack", "pageblocks", "mixed", "pages", "bytes",
            "blocks")


def iter_frag_csv(result: FragResult, k: int | None = None) -> Iterator[bytes]:
    """One CSV for both tables: column ``table`` says ``pageblocks`` (a row per pageblock
    type) or ``culprit``; fields a table does not have are empty."""
    sio = io.StringIO()
    w = csv.writer(sio, lineterminator="\n")
    w.writerow(FRAG_CSV)
    for r in result.pageblocks.rows:
        w.writerow(["pageblocks", r["block_type"], "", "", r["pageblocks"], r["mixed"], r["pages"],
                    r["bytes"], ""])
    for r in result.culprits.rows[:k] if k else result.culprits.rows:
        w.writerow(["culprit", r["block_type"], r["page_type"], _csv_value(r["stack"]),
                    r["pageblocks"], "", r["pages"], r["bytes"], r["blocks"]])
    yield sio.getvalue().encode("utf-8")
