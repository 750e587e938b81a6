"""Writing page_owner_sort's default-layout records (`_scan.TextRecords`, made by the C
writer in _native/pof_textout.c) to an output, in one of two ways:

- `write_records`: in order, through ``write(view)``; a second thread writes one buffer while
  the next chunk is made in the other (pipes, standard output, devices);
- `pwrite_records`: in parts at once, for a regular file: each part's bytes are counted
  first (the records know their lengths), then every part is made and written at its own
  offset by its own thread (``pwrite``). With ``-a`` the output is about as large as the
  input, and the kernel's copy of it into the page cache is the largest single cost of the
  run: so it is shared by the CPUs instead of waiting on one.

Both write the same bytes (tests/test_textout.py)."""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ._threads import Worker, join_all, start_all

T = TypeVar("T")


class Records(Protocol):
    def __len__(self) -> int: ...
    def size(self, lo: int, hi: int, /) -> int: ...
    def fill(self, buf: bytearray, lo: int, hi: int, target: int, /) -> tuple[int, int, int]: ...


def write_records(write: Callable[[memoryview], object], recs: Records,
                  chunk: int = 1 << 20) -> None:
    """Write every record through `write(view)` in chunks of about `chunk` bytes. `view` is a
    memoryview of a buffer reused once `write` returns (a file's write copies it)."""
    chunk = max(chunk, 1)
    n = len(recs)
    cap = 2 * chunk + 4096
    bufs: list[bytearray | None] = [bytearray(cap), None]
    behind: _WriteBehind | None = None
    slot, lo = 0, 0
    try:
        while lo < n:
            ba = bufs[slot]
            if behind is not None:
                behind.claim(slot)
                if ba is None:
                    ba = bufs[slot] = bytearray(cap)
            assert ba is not None
            w, nxt, need = recs.fill(ba, lo, n, chunk)
            if need:                    # one record longer than the buffer
                cap = 2 * need
                bufs[slot] = bytearray(cap)
                if behind is not None:
                    behind.release(slot)
                continue
            lo = nxt
            if behind is None:
                if lo >= n:             # the only chunk: written here
                    write(memoryview(ba)[:w])
                    break
                behind = _WriteBehind(write)
                behind.claim(slot)
            behind.put(slot, memoryview(ba)[:w])
            slot ^= 1
    except BaseException:
        if behind is not None:
            behind.close(quiet=True)
        raise
    if behind is not None:
        behind.close()


def pwrite_records(pwrite: Callable[[memoryview, int], object], offset: int, recs: Records,
                   parts: int, chunk: int = 1 << 20,
                   reserve: Callable[[int], object] | None = None) -> int:
    """Write every record as `write_records` does, at `offset` on: the records are cut into
    `parts` runs, each written by its own thread with `pwrite(view, position)` at the
    position its run's bytes start. Returns the position after the last byte. An error of
    `pwrite` (or a bad record) stops the other threads at their next chunk and is raised
    once all have ended. `reserve(end)`, once the size is known and before any write: a
    hint that the output will end at `end`."""
    n = len(recs)
    parts = max(1, min(parts, n))
    bounds = [n * k // parts for k in range(parts + 1)]
    sizes = _each_part(lambda k: recs.size(bounds[k], bounds[k + 1]), parts)
    starts = [offset]
    for size in sizes:
        starts.append(starts[-1] + size)
    if reserve is not None:
        reserve(starts[-1])
    stop = threading.Event()
    chunk = max(chunk, 1)

    def part(k: int) -> None:
        lo, hi, at = bounds[k], bounds[k + 1], starts[k]
        buf = bytearray(2 * chunk + 4096)
        while lo < hi and not stop.is_set():
            w, nxt, need = recs.fill(buf, lo, hi, chunk)
            if need:
                buf = bytearray(2 * need)
                continue
            pwrite(memoryview(buf)[:w], at)
            at, lo = at + w, nxt
        if lo >= hi and at != starts[k + 1]:
            raise RuntimeError(f"internal error: part {k} of the output wrote {at - starts[k]} "
                               f"bytes, {starts[k + 1] - starts[k]} counted")

    _each_part(part, parts, stop)
    return starts[-1]


def _each_part(fn: Callable[[int], T], parts: int, stop: threading.Event | None = None) -> list[T]:
    """[fn(k) for k in range(parts)], parts 1.. on threads and part 0 on this one. The first
    error (by part) is raised once every thread has ended; `stop` is set on an error (or an
    interruption) so that the other parts end early."""
    results: list[Any] = [None] * parts
    errors: list[BaseException | None] = [None] * parts

    def run(k: int) -> None:
        try:
            results[k] = fn(k)
        except BaseException as e:
            errors[k] = e
            if stop is not None:
                stop.set()

    threads = [Worker(target=run, args=(k,), name=f"pageowner-fast write {k}")
               for k in range(1, parts)]
    try:
        start_all(threads)
        run(0)
    except BaseException:               # interrupted while the threads were started
        if stop is not None:
            stop.set()
        raise
    finally:
        try:
            if stop is not None and errors[0] is not None:
                stop.set()
        finally:
            join_all(threads, stop.set if stop is not None else None)
    for err in errors:
        if err is not None:
            raise err
    return results


class _WriteBehind:
    """A thread that calls write(view) for the views put to it, in order, while the caller
    fills the other of two buffers: claim(slot) waits until the slot's last view is written.
    An error of write() is raised by the next claim() or by close()."""

    def __init__(self, write: Callable[[memoryview], object]) -> None:
        self.write = write
        self.error: BaseException | None = None
        self.todo: queue.SimpleQueue[tuple[int, memoryview] | None] = queue.SimpleQueue()
        self.free = [threading.Semaphore(1), threading.Semaphore(1)]
        self.thread = threading.Thread(target=self._run, name="pageowner-fast write",
                                       daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.todo.get()
            if item is None:
                return
            slot, view = item
            try:
                if self.error is None:
                    self.write(view)
            except BaseException as e:
                self.error = e
            finally:
                del view
                self.free[slot].release()

    def claim(self, slot: int) -> None:
        self.free[slot].acquire()
        if self.error is not None:
            self.free[slot].release()
            raise self.error

    def release(self, slot: int) -> None:
        self.free[slot].release()

    def put(self, slot: int, view: memoryview) -> None:
        self.todo.put((slot, view))

    def close(self, quiet: bool = False) -> None:
        self.todo.put(None)
        self.thread.join()
        if self.error is not None and not quiet:
            e, self.error = self.error, None
            raise e
