"""Analysis results as text: the summaries of `top`, `diff`, `timeline` and `frag`,
show_stacks text, a plain per-key table, and folded stacks (flame-graph input). Each
function yields str pieces. Numbers follow one style (`numbers`): thousands separators,
sizes in KiB/MiB/GiB beside pages, ratios with two decimals, slopes with their unit."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..analysis import ResultTable, short_label, stacks_table
from ..analysis._load import AnySource
from . import numbers as N

DEFAULT_FRAMES = 8    # frames of a stack key shown under its row in top/diff/timeline text
INDENT = " " * 14
STACK_KEYS = ("stack", "free_stack")


def value_text(value: Any, name: str, comm: str | None = None) -> str:
    """One key value on one line: a stack by its first frame that is not allocator
    machinery, a pid or tgid with its comm (``1234 (bash)``), None as ``(none)``."""
    if isinstance(value, tuple):
        return short_label(value)
    if value is None:
        return "(none)"
    if name == "handle":
        return f"handle {value}"
    if name in ("pid", "tgid") and comm is not None:
        return f"{value} ({comm})"
    if isinstance(value, str) and value == "":
        return '""'
    return str(value)


def key_text(key: Any, by: str | Sequence[str], comm: str | None = None) -> str:
    """A row's key on one line; several keys joined by `` | ``."""
    names = by.split(",") if isinstance(by, str) else list(by)
    if len(names) == 1:
        return value_text(key, names[0], comm)
    return " | ".join(value_text(v, n, comm) for v, n in zip(key, names))


def frames_text(key: Any, by: str | Sequence[str], frames: int | None = DEFAULT_FRAMES,
                indent: str = INDENT) -> str:
    """The frames of the stack values of a key, innermost first, at most ``frames`` of each
    (None or 0: all), then ``… (+M frames)``."""
    names = by.split(",") if isinstance(by, str) else list(by)
    values = [key] if len(names) == 1 else list(key)
    out = []
    stacks = [(n, v) for n, v in zip(names, values) if n in STACK_KEYS and isinstance(v, tuple)]
    for n, v in stacks:
        if len(stacks) > 1 or n == "free_stack":
            out.append(f"{indent}{n}:\n")
        shown = v if not frames else v[:frames]
        out.extend(f"{indent}{fr}\n" for fr in shown)
        if len(v) > len(shown):
            more = len(v) - len(shown)
            out.append(f"{indent}… (+{more} frame{'s' if more > 1 else ''})\n")
    return "".join(out)


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


def simple(table: ResultTable, frames: int | None = DEFAULT_FRAMES) -> Iterator[str]:
    """pages, size, blocks and key, one row a line (stack values' frames below)."""
    yield f"{'pages':>12} {'size':>11} {'blocks':>10}  {table.by}\n"
    for r in table.rows:
        yield (f"{N.count(r['pages']):>12} {N.size(r.get('bytes')):>11} {N.count(r['blocks']):>10}  "
               f"{key_text(r['key'], table.keys, r.get('comm'))}\n")
        yield frames_text(r["key"], table.keys, frames)


def folded(table: ResultTable) -> Iterator[str]:
    """``outer;...;inner pages`` per stack: the input of flame-graph tools."""
    for r in table.rows:
        if r["pages"] is None:
            continue
        key = r["key"]
        if isinstance(key, tuple) and len(table.keys) == 1:
            name = ";".join(reversed(key)) if key else "(no frames)"
        else:
            name = key_text(key, table.keys, r.get("comm"))
        yield f"{name} {r['pages']}\n"


def _window_line(meta: dict[str, Any]) -> str:
    w = meta.get("window")
    if not w:
        return ""
    hi = "the end" if w["until_ns"] is None else f"{w['until_ns']:,} ns"
    extra = (f"; {w['blocks_without_ts']:,} blocks without a ts left out"
             if w.get("blocks_without_ts") else "")
    return (f"# time window: ts in [{w['since_ns']:,} ns, {hi}) (newest ts {w['newest_ts_ns']:,} ns): "
            f"{w['blocks']:,} blocks{extra}\n")


def _more(n: int, what: str = "keys") -> str:
    return f"{n:,} more {what}"


def diff_summary(full: ResultTable, top: int | None = 20, frames: int | None = DEFAULT_FRAMES,
                 unchanged: bool = False) -> Iterator[str]:
    """A header per input, the totals, then the first ``top`` (None: all) changed keys --
    or the first ``top`` keys, changed or not, with ``unchanged``."""
    m = full.meta
    ps = m.get("page_size", 4096)
    for side in ("old", "new"):
        d = m[side]
        extra = (f", {d['blocks']:,} blocks" if d.get("blocks") is not None
                 else f", {d.get('records', 0):,} records")
        unit = d["unit"] or "pages"
        total = f"{d['pages']:,} {unit}" + (f" = {N.size(d['pages'] * ps)}" if unit == "pages" else "")
        yield f"# {side}: {d['source']} ({d['kind'].replace('_', ' ')}{extra}, {total})\n"
        w = (m.get("window") or {}).get(side)
        if w:
            yield _window_line({"window": w})
    changed = sum(1 for r in full.rows if r["delta_pages"])
    delta = m["new_total"] - m["old_total"]
    yield (f"# total: {m['old_total']:,} -> {m['new_total']:,} pages ({N.signed(delta)} pages, "
           f"{N.signed_size(delta * ps)}; {N.page_size(ps)} pages); {changed:,} of {len(full):,} "
           "keys changed" + (" (normalized frames)" if m["normalize"] else "") + "\n")
    yield (f"{'delta':>11} {'delta size':>12} {'old':>11} {'new':>11} {'ratio':>9}  {full.by}\n")
    n = 0
    for r in full.rows:
        if top and n >= top:
            break
        if r["delta_pages"] == 0 and not unchanged:
            continue
        yield (f"{N.signed(r['delta_pages']):>11} {N.signed_size(r['delta_bytes']):>12} "
               f"{N.count(r['old_pages']):>11} {N.count(r['new_pages']):>11} "
               f"{N.ratio(r['new_pages'], r['old_pages']):>9}  {key_text(r['key'], full.keys)}\n")
        yield frames_text(r["key"], full.keys, frames)
        n += 1
    if n < (len(full) if unchanged else changed):
        rest = (len(full) if unchanged else changed) - n
        yield f"# {_more(rest, 'changed keys' if not unchanged else 'keys')} not shown; --top 0 shows all\n"


def timeline_summary(table: ResultTable, frames: int | None = DEFAULT_FRAMES) -> Iterator[str]:
    """The snapshots' labels, then the slope (pages and bytes per snapshot) and pages per
    snapshot for each key."""
    labels = table.meta["labels"]
    ps = table.meta.get("page_size", 4096)
    for i, lab in enumerate(labels, 1):
        yield f"# #{i}: {lab}\n"
    yield f"# slope: least-squares growth per snapshot, in pages and in bytes ({N.page_size(ps)} pages)\n"
    yield (f"{'pages/snap':>12} {'bytes/snap':>12} " +
           " ".join(f"{'#' + str(i):>11}" for i in range(1, len(labels) + 1)) + f"  {table.by}\n")
    for r in table.rows:
        yield (f"{N.slope(r['slope']):>12} {N.signed_size(r['slope_bytes']):>12} " +
               " ".join(f"{N.count(v):>11}" for v in r["pages"]) +
               f"  {key_text(r['key'], table.keys)}\n")
        yield frames_text(r["key"], table.keys, frames)


def top_summary(full: ResultTable, shown: ResultTable,
                frames: int | None = DEFAULT_FRAMES) -> Iterator[str]:
    """The total, then pages, size, share and blocks per key; what --top left out."""
    m = full.meta
    ps = m["page_size"]
    blocks = f" in {m['total_blocks']:,} blocks" if m.get("total_blocks") is not None else ""
    yield (f"# {m['input']['source']}: {m['total_pages']:,} pages = {N.size(m['total_pages'] * ps)} "
           f"({N.page_size(ps)} pages){blocks}; by {full.by}\n")
    yield _window_line(m)
    yield f"{'pages':>12} {'size':>11} {'share':>7} {'blocks':>10}  {full.by}\n"
    for r in shown.rows:
        yield (f"{N.count(r['pages']):>12} {N.size(r['bytes']):>11} {N.share(r['share']):>7} "
               f"{N.count(r['blocks']):>10}  {key_text(r['key'], full.keys, r.get('comm'))}\n")
        yield frames_text(r["key"], full.keys, frames)
    if len(shown) < len(full):
        rest = full.rows[len(shown):]
        pages = sum(r["pages"] for r in rest)
        yield f"# {_more(len(rest))}: {pages:,} pages ({N.size(pages * ps)}); --top 0 shows all\n"


def frag_summary(result: Any, top: int | None, frames: int | None = DEFAULT_FRAMES) -> Iterator[str]:
    """Pageblocks per type (seen, mixed) and the culprits: per (stack, page type, block
    type), the pageblocks polluted and the pages."""
    m = result.meta
    ps = m["page_size"]
    yield (f"# {m['input']['source']}: {m['pageblocks']:,} pageblocks seen, {m['mixed']:,} mixed "
           f"(holding an allocation whose migratetype differs from the pageblock's); sizes in "
           f"{N.page_size(ps)} pages\n")
    yield _window_line(m)
    yield f"{'block type':<12} {'pageblocks':>11} {'mixed':>9} {'pages':>12} {'size':>11}\n"
    for r in result.pageblocks.rows:
        yield (f"{r['block_type']:<12} {N.count(r['pageblocks']):>11} {N.count(r['mixed']):>9} "
               f"{N.count(r['pages']):>12} {N.size(r['bytes']):>11}\n")
    cul = result.culprits
    if not cul.rows:
        yield "# no culprits: every allocation is in a pageblock of its own migratetype\n"
        return
    yield "\n# culprits: allocations in pageblocks of another migratetype, by pageblocks polluted\n"
    yield f"{'pageblocks':>11} {'pages':>10} {'size':>11}  {'page -> block type':<24} stack\n"
    shown = cul.rows if not top else cul.rows[:top]
    for r in shown:
        types = f"{r['page_type']} -> {r['block_type']}"
        yield (f"{N.count(r['pageblocks']):>11} {N.count(r['pages']):>10} {N.size(r['bytes']):>11}  "
               f"{types:<24} {value_text(tuple(r['stack']), 'stack')}\n")
        yield frames_text(tuple(r["stack"]), ("stack",), frames)
    if len(shown) < len(cul.rows):
        yield f"# {_more(len(cul.rows) - len(shown), 'culprits')} not shown; --top 0 shows all\n"
