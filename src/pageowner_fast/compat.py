"""page_owner_sort's output text, byte for byte (docs/compatibility.md, "Output text").

Without ``--cull`` each group prints as ``N times, P pages, allocated by A :`` followed by its
text (header line and stack) and an empty line; with ``--cull`` as one line of the culled
columns, followed by the stack when culling by stacktrace.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np

from . import _fields as F
from ._engine import usable_cpus
from ._types import DumpLike
from .sortcull import Groups, SortOptions

Write = Callable[[bytes | memoryview], object]


def allocator_text(bits: int) -> bytes:
    """``allocated by CMA SLAB `` -- each name followed by a space, as page_owner_sort prints."""
    return b"allocated by " + b"".join(n.encode() + b" " for n in F.allocator_names(bits))


_ALLOC_TEXT = [allocator_text(i) for i in range(256)]


class Positional(Protocol):
    """An output that can also be written at positions from several threads at once
    (`_output.AtomicOutput`)."""

    def positional(self) -> int | None: ...
    def pwrite(self, data: memoryview, offset: int, /) -> None: ...
    def seek(self, offset: int, /) -> None: ...


# records from which the default layout is written in parts at once (when the output can
# be written at positions), and at most this many parts
PARTS_MIN_RECORDS = 20_000
MAX_PARTS = 8


def write_text(write: Write, dump: DumpLike, groups: Groups, opts: SortOptions, *,
               out: Positional | None = None, threads: int | None = None) -> None:
    """Write page_owner_sort's output text for `groups` through `write(data)`; `data` may be
    a view of a buffer that is reused after `write` returns (a file's write copies it).
    With `out` (an output that can be written at positions) and many records, the default
    layout is written in `threads` parts at once instead (default: one per usable CPU)."""
    if not opts.cull and groups.pages.dtype != object:
        try:
            from ._scan import TextRecords
        except ImportError:
            pass        # the pure-Python engine: the writer below
        else:
            from ._textwrite import pwrite_records, write_records
            rep = groups.rep
            tpl = dump.headers.templated()
            harena, hoffs = (tpl[0], tpl[1]) if tpl is not None else dump.headers.packed()
            recs = TextRecords(harena, hoffs, *dump.stacks.packed(),
                               np.ascontiguousarray(groups.count, dtype=np.int64),
                               np.ascontiguousarray(groups.pages, dtype=np.int64),
                               np.ascontiguousarray(dump.allocator[rep], dtype=np.uint8),
                               np.ascontiguousarray(dump.header_id[rep], dtype=np.int32),
                               np.ascontiguousarray(dump.stack_id[rep], dtype=np.int32),
                               templated=tpl[2:] if tpl is not None else None)
            parts = min(threads or usable_cpus(), MAX_PARTS) if len(recs) >= PARTS_MIN_RECORDS else 1
            start = out.positional() if out is not None and parts > 1 else None
            if out is not None and start is not None:
                out.seek(pwrite_records(out.pwrite, start, recs, parts))
            else:
                write_records(write, recs)
            return
    for chunk in iter_text(dump, groups, opts):
        write(chunk)


def _chunked(pieces: Iterator[bytes], chunk_bytes: int) -> Iterator[bytes]:
    out: list[bytes] = []
    size = 0
    for piece in pieces:
        out.append(piece)
        size += len(piece)
        if size >= chunk_bytes:
            yield b"".join(out)
            out, size = [], 0
    if out:
        yield b"".join(out)


def iter_text(dump: DumpLike, groups: Groups, opts: SortOptions,
              chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
    """Yield the output file's bytes in chunks of about `chunk_bytes`."""
    pieces = _records(dump, groups) if not opts.cull else _culled_lines(dump, groups, opts)
    return _chunked(pieces, chunk_bytes)


def _records(dump: DumpLike, groups: Groups) -> Iterator[bytes]:
    rep = groups.rep
    headers, stacks = dump.headers, dump.stacks
    for n, p, a, h, s in zip(groups.count.tolist(), groups.pages.tolist(),
                             dump.allocator[rep].tolist(), dump.header_id[rep].tolist(),
                             dump.stack_id[rep].tolist()):
        yield b"%d times, %d pages, %b:\n%b%b\n" % (n, p, _ALLOC_TEXT[a], headers[h], stacks[s])


def _culled_lines(dump: DumpLike, groups: Groups, opts: SortOptions) -> Iterator[bytes]:
    cull = opts.cull
    # a filter adds its column to the line, culled by it or not
    show_pid = "pid" in cull or opts.pids is not None
    show_tgid = "tgid" in cull or opts.tgids is not None
    show_comm = "name" in cull or opts.names is not None
    show_mod = "module" in cull or opts.modules is not None
    show_alloc = "allocator" in cull
    show_free = "free" in cull
    show_st = "stacktrace" in cull
    rep = groups.rep
    count, pages = groups.count.tolist(), groups.pages.tolist()
    alloc = dump.allocator[rep].tolist()
    stack_id = dump.stack_id[rep].tolist()
    pid = dump.pid[rep].tolist()
    tgid = dump.tgid[rep].tolist()
    comm_id = dump.comm_id[rep].tolist()
    mod_id = dump.module_id[rep].tolist()
    released = (dump.free_ts_ns[rep] == 0).tolist()
    comms, modules, stacks = dump.comms, dump.modules, dump.stacks
    for i in range(len(rep)):
        parts = [b"%d times, %d pages" % (count[i], pages[i])]
        if show_pid:
            parts.append(b", PID %d" % pid[i])
        if show_tgid:
            parts.append(b", TGID %d" % tgid[i])
        if show_comm:
            parts.append(b", task_comm_name: " + comms[comm_id[i]])
        if show_mod:
            parts.append(b", module: " + modules[mod_id[i]])
        if show_alloc:
            parts.append(b", " + _ALLOC_TEXT[alloc[i]])
        if show_free:
            parts.append(b" (RELEASED)" if released[i] else b" (UNRELEASED)")
        if show_st:
            parts.append(b":\n" + stacks[stack_id[i]])
        parts.append(b"\n")
        yield b"".join(parts)
