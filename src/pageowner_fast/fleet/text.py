"""Fleet results as text: the tables of `top`, `outliers` and `growth`, and the line that sums
up an ingest. Each function yields str pieces (the command line writes them); JSON and CSV
are `render.data`'s, as for every other table."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..analysis import ResultTable
from ..render.numbers import size as human
from .ingest import IngestResult

SHOW = 20   # rows shown in text without --top


def _num(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.1f}"
    return f"{int(v):,}"


def key_text(row: dict[str, Any], keys: tuple[str, ...]) -> str:
    """A key on one line: a stack as its label and the start of its hash."""
    key = row["key"]
    vals = key if len(keys) > 1 else (key,)
    out = []
    for name, v in zip(keys, vals):
        if name == "stack" and v is not None:
            out.append(f"{row.get('label') or '?'} [{str(v)[:12]}]")
        else:
            out.append("(none)" if v is None else str(v))
    return " | ".join(out)


def _limit(table: ResultTable, k: int | None) -> tuple[list[dict[str, Any]], int]:
    rows = table.rows if k else table.rows[:SHOW]
    return rows, len(table.rows) - len(rows)


def _more(n: int) -> Iterator[str]:
    if n > 0:
        yield f"... {n:,} more rows (--top K, or --format json/csv for all)\n"


def top_text(table: ResultTable, k: int | None = None) -> Iterator[str]:
    rows, more = _limit(table, k)
    yield f"{'pages':>14} {'bytes':>10} {'blocks':>12} {'dumps':>6}  {table.by}\n"
    for r in rows:
        yield (f"{_num(r['pages']):>14} {human(r['bytes']):>10} {_num(r['blocks']):>12} "
               f"{r['dumps']:>6}  {key_text(r, table.keys)}\n")
    yield from _more(more)


def outliers_text(table: ResultTable, k: int | None = None) -> Iterator[str]:
    across = table.meta.get("across", "machine")
    rows, more = _limit(table, k)
    yield (f"{'score':>8} {'pages':>12} {'median':>12}  {across:<20} {table.by}  "
           f"({table.meta.get('machines', 0)} {across} values; pages per dump)\n")
    for r in rows:
        yield (f"{r['score']:>8.1f} {_num(r['pages']):>12} {_num(r['median_pages']):>12}  "
               f"{r[across]!s:<20} {key_text(r, table.keys)}\n")
    if not table.rows:
        yield f"(no {across} is an outlier at score >= {table.meta.get('threshold', '')})\n"
    yield from _more(more)


def growth_text(table: ResultTable, k: int | None = None) -> Iterator[str]:
    across = table.meta.get("across", "machine")
    unit = table.meta.get("time_unit", "time")
    rows, more = _limit(table, k)
    yield (f"{'slope':>12} {'first':>12} {'last':>12} {'dumps':>6}  {across:<20} {table.by}  "
           f"(pages per {unit})\n")
    for r in rows:
        yield (f"{r['slope']:>+12,.2f} {_num(r['first_pages']):>12} {_num(r['last_pages']):>12} "
               f"{r['dumps']:>6}  {r[across]!s:<20} {key_text(r, table.keys)}\n")
    yield from _more(more)


def ingest_summary(r: IngestResult) -> str:
    """``ingested 18 dumps (1.2 GiB, 4,321 rows) in 3.1 s on ...; 2 skipped; 1 failed``."""
    parts = [f"ingested {len(r.ingested):,} dump{'s' if len(r.ingested) != 1 else ''} "
             f"({human(r.bytes_read)} read, {r.rows:,} rows) in {r.seconds:.1f} s {r.where}".rstrip()]
    if r.skipped:
        parts.append(f"{len(r.skipped):,} already present, skipped")
    if r.failed:
        parts.append(f"{len(r.failed):,} failed (nothing written for them)")
    return "; ".join(parts) + f" -> {r.dataset}\n"
