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
    def reserve(self, end: int, /) -> None: ...
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
            many = len(recs) >= PARTS_MIN_RECORDS
            parts = min(threads or usable_cpus(), MAX_PARTS) if many else 1
            start = out.positional() if out is not None and many else None
            if out is not None and start is not None and parts > 1:
                out.seek(pwrite_records(out.pwrite, start, recs, parts, reserve=out.reserve))
            else:
                if out is not None and start is not None:   # one thread: reserved alike
                    out.reserve(start + recs.size(0, len(recs)))
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


def _culled_lines(dump: DumpLike, groups: Groups, opts: SortOptions,
                  batch: int = 4096) -> Iterator[bytes]:
    """The cull's lines, `batch` rows at a time: one format made for the columns the line
    shows, applied to each row's values (one %-format per row, not a join of parts)."""
    cull = opts.cull
    rep = groups.rep
    fmt = [b"%d times, %d pages"]
    cols: list[Callable[[slice], list]] = [
        lambda r: groups.count[r].tolist(), lambda r: groups.pages[r].tolist()]
    # a filter adds its column to the line, culled by it or not
    if "pid" in cull or opts.pids is not None:
        fmt.append(b", PID %d")
        cols.append(lambda r: dump.pid[rep[r]].tolist())
    if "tgid" in cull or opts.tgids is not None:
        fmt.append(b", TGID %d")
        cols.append(lambda r: dump.tgid[rep[r]].tolist())
    if "name" in cull or opts.names is not None:
        fmt.append(b", task_comm_name: %b")
        cols.append(lambda r: dump.comms.take(dump.comm_id[rep[r]].tolist()))
    if "module" in cull or opts.modules is not None:
        fmt.append(b", module: %b")
        cols.append(lambda r: dump.modules.take(dump.module_id[rep[r]].tolist()))
    if "allocator" in cull:
        fmt.append(b", %b")
        cols.append(lambda r: [_ALLOC_TEXT[a] for a in dump.allocator[rep[r]].tolist()])
    if "free" in cull:
        fmt.append(b"%b")
        cols.append(lambda r: [b" (RELEASED)" if x else b" (UNRELEASED)"
                               for x in (dump.free_ts_ns[rep[r]] == 0).tolist()])
    if "stacktrace" in cull:
        fmt.append(b":\n%b")
        cols.append(lambda r: dump.stacks.take(dump.stack_id[rep[r]].tolist()))
    line = b"".join(fmt) + b"\n"
    for start in range(0, len(rep), batch):
        r = slice(start, start + batch)
        yield from [line % t for t in zip(*(c(r) for c in cols))]
