"""What a report shows, computed with the analyses: the flame graphs' rows (pages per stack,
per key and stack, old and new pages per stack), the tables (top stacks, comms, modules,
allocators; what grew; the timeline's fastest growers) and the header's facts.

Everything is aggregated here: the page receives distinct stacks and sums, never blocks. A
stack is sent once, as indices into one table of frame texts; rows name stacks by index.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .._version import __version__
from ..analysis import (
    Grouped,
    diff,
    group_loaded,
    load_sources,
    parse_page_size,
    short_label,
    timeline,
)
from ..analysis._load import AnySource
from ..analysis.units import PageSize
from ..dump import Dump
from ..exceptions import UnsupportedKeyError, UsageError
from ..pprof.build import available_keys  # which keys a dump has (see its docstring)
from ..stacks import StackFile
from .facts import facts

__all__ = ["ROOT_KEYS", "TABLE_KEYS", "DEFAULT_MAX_STACKS", "build"]

# what the flame graph's root can be grouped by, and the tables beside the top stacks
ROOT_KEYS = ("comm", "module", "allocator", "memcg", "migratetype")
TABLE_KEYS = ("comm", "module", "allocator")
# rows of a flame graph kept as they are; smaller ones are summed into one "(N smaller
# stacks)" row, so that a page stays a few MB whatever the dump
DEFAULT_MAX_STACKS = 20_000
TIMELINE_SERIES = 10
NO_VALUE = {"memcg": "(no memcg)"}


class _Stacks:
    """The frame texts and the stacks (frame indices, innermost first) a page refers to."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.stacks: list[list[int]] = []
        self.labels: list[str] = []
        self._frame: dict[str, int] = {}
        self._stack: dict[tuple[str, ...], int] = {}

    def __call__(self, frames: tuple[str, ...], label: str | None = None) -> int:
        i = self._stack.get(frames)
        if i is None:
            i = self._stack[frames] = len(self.stacks)
            self.stacks.append([self._frame_id(f) for f in frames])
            self.labels.append(label if label is not None else short_label(frames))
        return i

    def _frame_id(self, text: str) -> int:
        j = self._frame.get(text)
        if j is None:
            j = self._frame[text] = len(self.frames)
            self.frames.append(text)
        return j

    def other(self, n: int, what: str = "stacks") -> int:
        """The pseudo-stack that holds the rows left out."""
        text = f"({n:,} smaller {what})"
        return self((text,), text)


def _blocks(g: Grouped) -> list[int | None]:
    return [None] * len(g) if g.blocks is None else [int(b) for b in g.blocks.tolist()]


def _flame_rows(g: Grouped, st: _Stacks, max_rows: int) -> list[list[Any]]:
    """[stack, pages, blocks] per stack, largest first; past `max_rows`, one row of the rest."""
    pages, blocks = g.pages.tolist(), _blocks(g)
    order = g.ranked()
    rows = [[st(g.keys[i][0]), int(pages[i]), blocks[i]] for i in order[:max_rows]]
    rest = order[max_rows:]
    if rest:
        b = None if g.blocks is None else sum(blocks[i] or 0 for i in rest)
        rows.append([st.other(len(rest)), sum(int(pages[i]) for i in rest), b])
    return rows


def _root_rows(g: Grouped, key: str, st: _Stacks, max_rows: int) -> dict[str, Any]:
    """{values: [key value text], rows: [[value, stack, pages, blocks]]} of a (key, stack)
    grouping; past `max_rows`, the rest of each value in one row."""
    pages, blocks = g.pages.tolist(), _blocks(g)
    values: list[str] = []
    index: dict[str, int] = {}

    def value(v: Any) -> int:
        text = NO_VALUE.get(key, "(none)") if v is None else str(v)
        j = index.get(text)
        if j is None:
            j = index[text] = len(values)
            values.append(text)
        return j

    order = g.ranked()
    rows = [[value(g.keys[i][0]), st(g.keys[i][1]), int(pages[i]), blocks[i]] for i in order[:max_rows]]
    rest: dict[int, list[int]] = {}
    for i in order[max_rows:]:
        acc = rest.setdefault(value(g.keys[i][0]), [0, 0, 0])
        acc[0] += int(pages[i])
        acc[1] += blocks[i] or 0
        acc[2] += 1
    for v, (p, b, n) in rest.items():
        rows.append([v, st.other(n), p, b])
    return {"values": values, "rows": rows}


def _stack_row(st: _Stacks, frames: tuple[str, ...], **kw: Any) -> dict[str, Any]:
    return {"stack": st(frames), "label": short_label(frames), "frames": list(frames), **kw}


def _name(src: AnySource | Dump | StackFile) -> str:
    s = src.source if isinstance(src, (Dump, StackFile)) else src
    return os.path.basename(str(s)) or str(s)


def build(source: AnySource, *, baseline: AnySource | None = None,
          snapshots: Sequence[AnySource] = (), page_size: PageSize = 4096, normalize: bool = False,
          top: int = 50, max_stacks: int = DEFAULT_MAX_STACKS, title: str | None = None,
          threads: int | None = None) -> dict[str, Any]:
    """The report's content: ``payload`` (what the page's script draws, JSON-ready) and the
    tables and facts its template writes. See `pageowner_fast.htmlreport.report`."""
    ps = parse_page_size(page_size)
    if top < 1 or max_stacks < 1:
        raise UsageError("top and max_stacks must be at least 1")
    loaded = load_sources([source] + ([baseline] if baseline is not None else []),
                          threads=threads, aggregate=False)
    src, old = loaded[0], (loaded[1] if baseline is not None else None)
    st = _Stacks()
    g = group_loaded(src, None if isinstance(src, StackFile) else "stack", page_size=ps,
                     normalize=normalize)
    if g.by != ("stack",):
        raise UnsupportedKeyError(f"{src.source} is a show_handles file (no frames): a report "
                                  "needs stacks")
    total = g.total_pages
    payload: dict[str, Any] = {"page_size": ps, "total_pages": total,
                               "flame": _flame_rows(g, st, max_stacks), "roots": {}}
    for key in available_keys(src, ROOT_KEYS):
        gk = group_loaded(src, [key, "stack"], page_size=ps, normalize=normalize)
        payload["roots"][key] = _root_rows(gk, key, st, max_stacks)

    tables: list[dict[str, Any]] = []
    rows = g.rows()
    tables.append({"key": "stack", "title": "Top stacks", "rows": [
        _stack_row(st, r["key"], pages=r["pages"], bytes=r["bytes"], share=r["share"], blocks=r["blocks"])
        for r in rows[:top]], "count": len(rows)})
    for key in available_keys(src, TABLE_KEYS):
        rows = group_loaded(src, key, page_size=ps).rows()
        tables.append({"key": key, "title": f"Top {key}s", "count": len(rows), "rows": [
            {"value": NO_VALUE.get(key, "(none)") if r["key"] is None else str(r["key"]),
             "pages": r["pages"], "bytes": r["bytes"], "share": r["share"], "blocks": r["blocks"]}
            for r in rows[:top]]})

    page: dict[str, Any] = {"title": title or f"page_owner report: {_name(source)}",
                            "version": __version__, "page_size": ps, "normalize": normalize,
                            "inputs": [facts(src, ps)], "tables": tables, "diff": None,
                            "timeline": None, "max_stacks": max_stacks, "truncated": len(g) > max_stacks}
    if old is not None:
        page["inputs"].append(facts(old, ps, role="baseline"))
        d = diff(old, src, "stack", normalize, page_size=ps, threads=threads)
        order = sorted(range(len(d)), key=lambda i: -max(d[i]["new_pages"], d[i]["old_pages"]))
        drows = [[st(d[i]["key"]), d[i]["old_pages"], d[i]["new_pages"]] for i in order[:max_stacks]]
        rest = order[max_stacks:]
        if rest:
            drows.append([st.other(len(rest)), sum(d[i]["old_pages"] for i in rest),
                          sum(d[i]["new_pages"] for i in rest)])
        payload["diff"] = {"rows": drows, "old_total": d.meta["old_total"], "new_total": d.meta["new_total"]}
        grew = [r for r in d.rows if r["delta_pages"] > 0]
        page["diff"] = {"old_total": d.meta["old_total"], "new_total": d.meta["new_total"],
                        "old_bytes": d.meta["old_total_bytes"], "new_bytes": d.meta["new_total_bytes"],
                        "grew_count": len(grew),
                        "shrank_count": sum(1 for r in d.rows if r["delta_pages"] < 0),
                        "rows": [_stack_row(st, r["key"], delta_pages=r["delta_pages"],
                                            delta_bytes=r["delta_bytes"], ratio=r["ratio"],
                                            old_pages=r["old_pages"], new_pages=r["new_pages"])
                                 for r in grew[:top]]}
    if snapshots:
        snaps: list[Any] = list(snapshots)
        if not any(str(s) == str(src.source) for s in snaps):
            snaps.append(src)
        t = timeline(snaps, "stack", normalize, page_size=ps, threads=threads,
                     labels=[_name(s) for s in snaps])
        series = [_stack_row(st, r["key"], pages=r["pages"], slope=r["slope"],
                             delta_pages=r["delta_pages"], delta_bytes=r["delta_bytes"])
                  for r in t.rows[:TIMELINE_SERIES] if r["slope"] > 0 or r["delta_pages"] > 0]
        payload["timeline"] = {"labels": t.meta["labels"], "totals": t.meta["totals"],
                               "series": [[s["stack"], s["pages"], s["slope"]] for s in series]}
        page["timeline"] = {"labels": t.meta["labels"], "totals": t.meta["totals"], "rows": series}
    payload.update(frames=st.frames, stacks=st.stacks, labels=st.labels,
                   root_keys=list(payload["roots"]))
    page["payload"] = payload
    return page
