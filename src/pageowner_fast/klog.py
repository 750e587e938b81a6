"""page_owner reports in kernel logs: `KernelLog`, the reports of a dmesg / console log or a
syzbot / KASAN report, read as blocks of a dump.

When the kernel reports a bad page (``dump_page()``, KASAN's "The buggy address belongs to
the physical page", ``VM_BUG_ON_PAGE``), mm/page_owner.c's ``__dump_page_owner()`` prints
what page_owner knows about that page::

    page_owner tracks the page as allocated
    page last allocated via order 0, migratetype Unmovable, gfp_mask 0xcc0(GFP_KERNEL), pid 1, \
        tgid 1 (swapper/0), ts 1234, free_ts 0         (one line)
     post_alloc_hook+0x1f3/0x230
     ...
    page last free pid 9 tgid 9 stack trace:
     free_unref_page+0x1/0x2
     ...
    page has been migrated, last migrate reason: compaction

(older kernels: ``page allocated via order ...`` without ``last``, no pid or tgid, ``page last
free stack trace:``). Each report becomes one block of ``2**order`` pages with its
allocation stack, fields and the free stack (`KernelLog.free_stacks`,
``free_stack_id`` column), so that every analysis of a dump works on a log: ``--by stack``
groups many reports by allocation site.

Lines may carry the log's prefixes -- ``<1>``, ``[   12.345678]``, ``[    T123]``, a host
timestamp before them -- which are taken off; a symboliser's source locations
(``mm/page_alloc.c:1850``) are dropped from frames, and its extra ``[inline]`` frames (which
an unsymbolised log of the same kernel does not have) are left out, so that reports from a
raw and a decoded log group together. A report ends at the first line that is none of its
own. The reader is linear in the input: string searches from a moving position, no pattern
that can backtrack.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from . import _fields as F
from ._engine import Progress
from ._pyscan import MODULE_RE, MT_INDEX, _Interner, is_vmalloc
from ._table import Table
from .dump import Dump

__all__ = ["KernelLog", "parse_log", "looks_like_log", "ANCHORS"]

ANCHORS = ("page last allocated via order ", "page allocated via order ")
_TRACKS = "page_owner tracks the page as "
_FREE = "page last free "
_MIGRATED = "page has been migrated, last migrate reason: "
_MISSING = ("page_owner allocation stack trace missing", "page_owner free stack trace missing")
_MAX_PREFIX_GROUPS = 4
_DIGITS = re.compile(r"[0-9]+")   # matched at a position: linear
_HEX = re.compile(r"[0-9a-fA-F]+")


class KernelLog(Dump):
    """The page_owner reports of a kernel log, as a `Dump` (one row per report; every column
    of a dump, PFN-line ones empty) plus ``free_stacks`` (a `Table` of free-stack texts) and
    the columns ``free_stack_id`` (-1: none printed), ``free_pid``, ``free_tgid`` (-1) and
    ``freed`` (1 "tracks the page as freed", 0 "as allocated", -1 not said)."""

    kind = "kernel_log"
    free_stacks: Table


def _digits(s: str, pos: int) -> tuple[int | None, int]:
    m = _DIGITS.match(s, pos)
    if m is None:
        return None, pos
    return F.bounded_int(m.group(0), F.U64_MAX) if len(m.group(0)) < 40 else None, m.end()


def _after(s: str, word: str, start: int = 0) -> int:
    """The position after the first `word` at or after `start`, -1 if none."""
    k = s.find(word, start)
    return -1 if k < 0 else k + len(word)


def strip_generic(line: str) -> int:
    """Where the message of a log line starts: after ``<N>`` and up to four ``[...]`` groups
    (printk time, caller id, ``dmesg -T`` date), and the one blank printk puts after them."""
    pos = 0
    if line.startswith("<"):
        j = line.find(">", 1, 6)
        if j > 0 and line[1:j].isdigit():
            pos = j + 1
    groups = 0
    while groups < _MAX_PREFIX_GROUPS and line.startswith("[", pos):
        j = line.find("]", pos, pos + 64)
        if j < 0:
            break
        pos = j + 1
        groups += 1
    if groups and line.startswith(" ", pos):
        pos += 1
    return pos


def clean_frame(frame: str) -> str | None:
    """A stack line's frame without its source location (``mm/page_alloc.c:1850``); None for a
    symboliser's ``[inline]`` frame."""
    toks = frame.split()
    if not toks:
        return None
    if toks[-1] == "[inline]":
        return None
    keep = 2 if toks[0].startswith("[<") and len(toks) > 1 else 1
    out = toks[:keep]
    if len(toks) > keep and toks[keep].startswith("[") and toks[keep].endswith("]"):
        out.append(toks[keep])
    return " ".join(out)


class _Report:
    __slots__ = (
        "fields",
        "frames",
        "free",
        "free_pid",
        "free_tgid",
        "header",
        "in_free",
        "lineno",
        "migrate",
        "state",
    )

    def __init__(self, header: str, lineno: int, state: int) -> None:
        self.header = header
        self.fields = parse_header(header)
        self.frames: list[str] = []
        self.free: list[str] | None = None
        self.free_pid = self.free_tgid = -1
        self.migrate: str | None = None
        self.state = state
        self.lineno = lineno
        self.in_free = False


def parse_header(h: str) -> dict[str, Any]:
    """The fields of a ``page [last ]allocated via order ...`` line (None where absent)."""
    f: dict[str, Any] = {}
    k = _after(h, "order ")
    f["order"] = _digits(h, k)[0] if k >= 0 else None
    k = _after(h, ", migratetype ")
    f["migratetype"] = h[k:h.find(",", k) if h.find(",", k) >= 0 else len(h)].strip() if k >= 0 else None
    k = _after(h, "gfp_mask ")
    f["gfp"] = None
    if k >= 0 and h.startswith("0x", k):
        m = _HEX.match(h, k + 2)
        if m is not None and len(m.group(0)) <= 16:
            f["gfp"] = int(m.group(0), 16)
    k = _after(h, ", pid ")
    f["pid"] = _digits(h, k)[0] if k >= 0 else None
    k = _after(h, ", tgid ")
    f["tgid"], end = _digits(h, k) if k >= 0 else (None, -1)
    f["comm"] = None
    if f["tgid"] is not None and h.startswith(" (", end):
        close = h.rfind("), ts ")
        if close >= end + 2:
            f["comm"] = h[end + 2:close]
    k = h.rfind("), ts ") if f["comm"] is not None else -1
    k = k + len("), ts ") if k >= 0 else _after(h, ", ts ")
    f["ts"] = _digits(h, k)[0] if k >= 0 else None
    k = _after(h, ", free_ts ")
    f["free_ts"] = _digits(h, k)[0] if k >= 0 else None
    return f


def parse_lines(lines: Iterable[str]) -> list[_Report]:
    """The page_owner reports in the lines of a log (without their newlines)."""
    reports: list[_Report] = []
    cur: _Report | None = None
    fixed: int | None = None      # the prefix length of the current report's lines, if not generic
    state = -1                    # from a "tracks the page as" line just before the header
    for lineno, line in enumerate(lines, 1):
        if cur is not None:
            pos = fixed if fixed is not None else strip_generic(line)
            msg = line[pos:] if pos <= len(line) else ""
            if msg.startswith(" ") and msg.strip():
                fr = clean_frame(msg)
                if fr is not None:
                    (cur.free if cur.in_free and cur.free is not None else cur.frames).append(fr)
                continue
            if msg.startswith(_FREE):
                cur.in_free = True
                cur.free = []
                k = _after(msg, " pid ")
                if k >= 0:
                    cur.free_pid = _digits(msg, k)[0] or -1
                k = _after(msg, " tgid ")
                if k >= 0:
                    cur.free_tgid = _digits(msg, k)[0] or -1
                continue
            if msg.startswith(_MIGRATED):
                cur.migrate = msg[len(_MIGRATED):].strip()
                continue
            if msg.startswith(_MISSING):
                continue
            cur = None
            fixed = None
        k = -1
        for a in ANCHORS:
            k = line.find(a)
            if k >= 0:
                break
        if k < 0:
            t = line.find(_TRACKS)
            state = -1 if t < 0 else (1 if line.startswith("freed", t + len(_TRACKS)) else 0)
            continue
        gen = strip_generic(line)
        fixed = None if gen == k else k
        cur = _Report(line[k:].rstrip(), lineno, state)
        reports.append(cur)
        state = -1
    return reports


def _lines(f: IO[bytes], progress: Progress | None) -> Iterable[str]:
    for raw in f:
        if progress is not None:
            progress(len(raw))
        yield raw.decode("utf-8", "backslashreplace").rstrip("\r\n")


def looks_like_log(head: bytes) -> bool:
    """True for the first bytes of a kernel log: a page_owner report anchor, printk time
    stamps (``[   12.345678]``) or the lines of a kernel report (KASAN, BUG, Call Trace)."""
    if any(a.encode() in head for a in ANCHORS):
        return True
    first = next((ln for ln in head.split(b"\n")[:20] if ln.strip()), b"")
    s = first.decode("utf-8", "replace")
    pos = strip_generic(s)
    if pos and "." in s[:pos] and any(c.isdigit() for c in s[:pos]):
        return True
    return any(m in head for m in (b"BUG: KASAN", b"Call Trace:", b"page dumped because",
                                   b"BUG: Bad page", b"page_owner tracks the page"))


def parse_log(f: IO[bytes] | Iterable[str], source: str = "<log>", *,
              progress: Progress | None = None) -> KernelLog:
    """Read the page_owner reports of a kernel log (a binary stream, or an iterable of
    lines) into a `KernelLog`."""
    lines = _lines(f, progress) if hasattr(f, "read") else f   # type: ignore[arg-type]
    reports = parse_lines(lines)
    n = len(reports)
    cols = {name: np.empty(n, dtype=dt) for name, dt in F.COLUMNS}
    extra: dict[str, npt.NDArray[Any]] = {
        "free_stack_id": np.full(n, -1, np.int32), "free_pid": np.full(n, -1, np.int32),
        "free_tgid": np.full(n, -1, np.int32), "freed": np.full(n, -1, np.int8)}
    tabs = {t: _Interner() for t in ("headers", "stacks", "comms", "modules", "free")}

    def intern(t: str, b: bytes) -> int:
        return int(tabs[t](b))
    for r, rep in enumerate(reports):
        f_ = rep.fields
        order, pages, bad = F.order_pages(f_["order"])
        bad |= F.BAD_PFN
        for name, bit, dflt in (("pid", F.BAD_PID, -1), ("tgid", F.BAD_TGID, -1)):
            v = f_[name]
            if v is None or v > F.I64_MAX:
                bad |= bit
                v = dflt
            cols[name][r] = ((v + (1 << 31)) % (1 << 32)) - (1 << 31)
        for name, col, bit in (("ts", "ts_ns", F.BAD_TS), ("free_ts", "free_ts_ns", F.BAD_FREE_TS)):
            v = f_[name]
            if v is None:
                bad |= bit
                v = F.U64_MAX
            cols[col][r] = v
        if f_["comm"] is None:
            bad |= F.BAD_COMM
        if f_["gfp"] is None:
            bad |= F.BAD_MASK
        stack_lines = [f" {fr}\n" for fr in rep.frames]
        if rep.migrate is not None:
            stack_lines.append(f"Page has been migrated, last migrate reason: {rep.migrate}\n")
        stack = "".join(stack_lines).encode("utf-8", "surrogateescape")
        header = (rep.header + "\n").encode("utf-8", "surrogateescape")
        m = MODULE_RE.search(stack)
        module = m.group(1)[:63] if m else b"vmlinux"
        cols["order"][r] = order
        cols["pages"][r] = pages
        cols["count"][r] = 1
        cols["pfn"][r] = -1
        cols["gfp_mask"][r] = f_["gfp"] or 0
        cols["migratetype"][r] = MT_INDEX.get((f_["migratetype"] or "").encode(), -1)
        cols["allocator"][r] = F.ALLOC_VMALLOC if is_vmalloc(header + stack) else F.ALLOC_OTHERS
        cols["header_id"][r] = intern("headers", header)
        cols["stack_id"][r] = intern("stacks", stack)
        cols["comm_id"][r] = intern("comms", (f_["comm"] or "").encode("utf-8", "surrogateescape"))
        cols["module_id"][r] = intern("modules", module)
        cols["bad"][r] = bad
        cols["lineno"][r] = rep.lineno
        cols["block"][r] = -1
        cols["block_migratetype"][r] = -1
        if rep.free:   # none printed, or "page_owner free stack trace missing": None
            extra["free_stack_id"][r] = intern(
                "free", "".join(f" {fr}\n" for fr in rep.free).encode("utf-8", "surrogateescape"))
        extra["free_pid"][r] = rep.free_pid
        extra["free_tgid"][r] = rep.free_tgid
        extra["freed"][r] = rep.state
    cols.update(extra)
    stats = {"blocks": n, "bytes": 0, "nul_bytes": 0, "cr_removed": 0, "truncated": False,
             "reports": n}
    log = KernelLog(cols, {t: tabs[t].items for t in ("headers", "stacks", "comms", "modules")},
                    stats, strip_ts=False, source=source)
    log.free_stacks = Table(tabs["free"].items)
    return log
