"""Threads that work on memory their caller owns (the compiled scanner's parts, the sort's
buckets, the output's parts): every thread started is joined before the caller goes on,
even when Ctrl-C arrives while they are being started or joined; and how many threads the
sort may use (`limit`, set by ``--threads``): ``on_threads(fn, 3)`` runs fn(1) and fn(2) on
threads and fn(0) on the caller's, and returns when all three have ended.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence

TYPE_CHECKING = False   # (typing is not loaded before the command line's scan starts)
if TYPE_CHECKING:
    from typing import Any

_HELD = {signal.SIGINT, signal.SIGTERM}
_limit: contextvars.ContextVar[int | None] = contextvars.ContextVar("pageowner_fast_threads",
                                                                   default=None)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        with contextlib.suppress(OSError):
            return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


@contextlib.contextmanager
def limit(threads: int | None) -> Iterator[None]:
    """Meanwhile (in this thread and context) `budget()` is at most `threads`; None: no limit."""
    token = _limit.set(threads)
    try:
        yield
    finally:
        _limit.reset(token)


def budget() -> int:
    """Threads a parallel step may use: the usable CPUs, or fewer under `limit`."""
    cap = _limit.get()
    cpus = usable_cpus()
    return max(1, min(cpus, cap) if cap else cpus)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM in this thread meanwhile (POSIX, main thread): a
    Ctrl-C cannot land between a thread's start and its caller's note of it, and the
    threads started meanwhile inherit the mask (Python handles signals on the main thread
    only). Another thread that does not block them may still take one, and Python would
    then run its handler here: meanwhile the handlers only note it. A signal that came
    meanwhile is raised again when the block ends, to its own handler."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    handlers = {}
    try:
        for sig in _HELD:
            handlers[sig] = signal.signal(sig, lambda n, _f: came.append(n))
        yield
    finally:
        # signal.signal() runs a signal that another thread took meanwhile, with the handler
        # just put back: an interruption raised there must not leave the rest undone (the
        # mask held for good, a handler that only notes)
        raised: BaseException | None = None
        for sig, h in handlers.items():
            try:
                signal.signal(sig, h)
            except BaseException as e:
                raised = raised or e
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        if raised is not None:
            raise raised
        for n in dict.fromkeys(came):
            signal.raise_signal(n)


class Worker(threading.Thread):
    """A thread whose end can be waited for without `Thread.join`: on Python 3.10-3.12 a join
    that Ctrl-C interrupts may mark a thread that still runs as ended (the interrupted join
    releases the lock the running thread holds, and every later join returns at once), and
    the caller would free memory the thread still reads. `finished` is set when the target
    has returned, by the thread itself, so `join_all` can wait on it."""

    def __init__(self, target: Callable[..., object], args: tuple[Any, ...] = (),
                 name: str | None = None, daemon: bool | None = None) -> None:
        super().__init__(target=target, args=args, name=name, daemon=daemon)
        self.finished = False

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.finished = True


def start_all(threads: Sequence[threading.Thread]) -> None:
    """Start every thread, signals held (see `signals_held`). Call it inside the ``try``
    whose ``finally`` calls `join_all` on the same threads."""
    with signals_held():
        for t in threads:
            t.start()


def join_all(threads: Sequence[Worker], on_interrupt: Callable[[], object] | None = None) -> None:
    """Wait for every thread that was started to end, even when Ctrl-C interrupts the wait:
    they work on memory the caller frees afterwards. on_interrupt() is called at each
    interruption (to ask the threads to end early); the first interruption is raised once
    all have ended. A thread has ended when `Worker.finished` is set (see `Worker`); once a
    join was interrupted, that flag is polled every millisecond or so."""
    pending: BaseException | None = None
    for t in threads:
        if t.ident is None:         # never started (start_all failed before it)
            continue
        while not t.finished:
            try:
                if pending is None:
                    t.join()        # at once when the thread has ended ...
                if not t.finished:  # ... or when an interrupted join or is_alive() marked it so
                    time.sleep(0.001)
            except BaseException as e:
                pending = pending or e
                if on_interrupt is not None:
                    with contextlib.suppress(BaseException):
                        on_interrupt()
    if pending is not None:
        raise pending


def on_threads(fn: Callable[[int], object], parts: int, name: str = "pageowner-fast") -> None:
    """fn(k) for k in 1..parts-1, each on a thread of its own, and fn(0) on this one; returns
    (or raises fn(0)'s error, or an interruption) once every thread has ended."""
    helpers = [Worker(target=fn, args=(k,), name=f"{name} {k}") for k in range(1, parts)]
    try:
        start_all(helpers)
        fn(0)
    finally:
        join_all(helpers)
