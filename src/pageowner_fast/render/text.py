"""Analysis results as text: the summaries of `top`, `diff` and `timeline`, show_stacks text,
a plain per-key table, and folded stacks (flame-graph input). Each function yields str pieces."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..analysis import ResultTable, short_label, stacks_table
from ..analysis._load import AnySource


def key_text(key: Any, by: str) -> str:
    """A key on one line: a stack by its first frame that is not allocator machinery."""
    if isinstance(key, tuple):
        return short_label(key)
    if by == "handle":
        return f"handle {key}"
    if isinstance(key, str) and key == "":
        return '""'
    return str(key)


def _frames_text(key: Any, indent: str) -> str:
    if not isinstance(key, tuple):
        return ""
    return "".join(f"{indent}{fr}\n" for fr in key)


def human(nbytes: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if nbytes >= 1 << shift:
            return f"{nbytes / (1 << shift):.1f} {unit}"
    return f"{nbytes} B"


def _n(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def show_stacks(table: ResultTable) -> Iterator[str]:
    """Rows of a `stacks_table` as the kernel's show_stacks prints them: frames (one leading
    blank), ``handle:`` where known, ``nr_base_pages:`` (or the input's own count line name)
    and an empty line."""
    for r in table.rows:
        parts: list[str] = []
        if isinstance(r["key"], tuple):
            parts.extend(f" {fr}\n" for fr in r["key"])
        if r["handle"] is not None:
            parts.append(f"handle: {r['handle']}\n")
        if r["pages"] is not None:
            parts.append(f"{r.get('label') or 'nr_base_pages'}: {r['pages']}\n")
        parts.append("\n")
        yield "".join(parts)


def render_show_stacks(src: AnySource, *, threshold: int = 0, normalize: bool = False) -> bytes:
    """show_stacks text of any source, records by pages descending, those with fewer than
    max(1, threshold) pages left out (as with the kernel's count_threshold)."""
    table = stacks_table(src, threshold=threshold, normalize=normalize)
    return "".join(show_stacks(table)).encode("utf-8", "surrogateescape")


def simple(table: ResultTable) -> Iterator[str]:
    """pages, blocks and key, one row a line."""
    yield f"{'pages':>12} {'blocks':>10}  {table.by}\n"
    for r in table.rows:
        yield f"{_n(r['pages']):>12} {_n(r['blocks']):>10}  {key_text(r['key'], table.by)}\n"


def folded(table: ResultTable) -> Iterator[str]:
    """``outer;...;inner pages`` per stack: the input of flame-graph tools."""
    for r in table.rows:
        if r["pages"] is None:
            continue
        key = r["key"]
        if isinstance(key, tuple):
            name = ";".join(reversed(key)) if key else "(no frames)"
        else:
            name = key_text(key, table.by)
        yield f"{name} {r['pages']}\n"


def diff_summary(full: ResultTable, shown: ResultTable, top: int | None) -> Iterator[str]:
    """A header per input, the totals, then the changed keys (all of `shown` with --top)."""
    m = full.meta
    for side in ("old", "new"):
        d = m[side]
        extra = (f", {d['blocks']:,} blocks" if d.get("blocks") is not None
                 else f", {d.get('records', 0):,} records")
        yield f"# {side}: {d['source']} ({d['kind']}{extra}, {d['pages']:,} {d['unit'] or 'pages'})\n"
    changed = sum(1 for r in full.rows if r["delta_pages"])
    delta = m["new_total"] - m["old_total"]
    yield (f"# total: {m['old_total']:,} -> {m['new_total']:,} pages ({delta:+,}); {changed} of "
           f"{len(full)} keys changed" + (" (normalized frames)" if m["normalize"] else "") + "\n")
    yield f"{'delta':>10} {'old':>10} {'new':>10} {'ratio':>8}  {full.by}\n"
    n = 0
    for r in shown.rows:
        if r["delta_pages"] == 0 and top is None:
            continue
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3g}"
        yield (f"{r['delta_pages']:>+10,} {r['old_pages']:>10,} {r['new_pages']:>10,} {ratio:>8}  "
               f"{key_text(r['key'], full.by)}\n")
        yield _frames_text(r["key"], " " * 12)
        n += 1
    if n < len(full):
        yield f"# {len(full) - n} more keys not shown (unchanged, or beyond --top)\n"


def timeline_summary(table: ResultTable) -> Iterator[str]:
    """The snapshots' labels, then slope and pages per snapshot for each key."""
    labels = table.meta["labels"]
    for i, lab in enumerate(labels, 1):
        yield f"# #{i}: {lab}\n"
    yield (f"{'slope':>10} " + " ".join(f"{'#' + str(i):>9}" for i in range(1, len(labels) + 1))
           + f"  {table.by}\n")
    for r in table.rows:
        yield (f"{r['slope']:>+10.1f} " + " ".join(f"{v:>9}" for v in r["pages"]) +
               f"  {key_text(r['key'], table.by)}\n")
        yield _frames_text(r["key"], " " * 12)


def top_summary(full: ResultTable, shown: ResultTable) -> Iterator[str]:
    """The total, then pages, size, share and blocks per key; what --top left out."""
    m = full.meta
    ps = m["page_size"]
    blocks = f" in {m['total_blocks']:,} blocks" if m.get("total_blocks") is not None else ""
    yield (f"# {m['input']['source']}: {m['total_pages']:,} pages = {human(m['total_pages'] * ps)} "
           f"({ps // 1024} KiB pages){blocks}; by {full.by}\n")
    yield f"{'pages':>12} {'size':>11} {'share':>7} {'blocks':>10}  {full.by}\n"
    for r in shown.rows:
        yield (f"{r['pages']:>12,} {human(r['bytes']):>11} {r['share'] * 100:>6.1f}% "
               f"{_n(r['blocks']):>10}  {key_text(r['key'], full.by)}\n")
        yield _frames_text(r["key"], " " * 14)
    if len(shown) < len(full):
        rest = full.rows[len(shown):]
        yield f"# {len(rest)} more keys: {sum(r['pages'] for r in rest):,} pages\n"
