"""Selects the scanner engine -- the compiled one, or the pure-Python reference -- and runs it.

PAGEOWNER_FAST_PUREPYTHON=1 selects the pure-Python engine (as MSGPACK_PUREPYTHON does for
msgpack). Everything else is an argument: `scan(..., threads=N)`.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import mmap
import os
import stat
import warnings
from collections.abc import Callable, Iterable
from typing import IO, Any

from ._source import READ_ERRORS, describe, read_error
from ._threads import usable_cpus
from .exceptions import UsageError

Progress = Callable[[int], None]
ScanResult = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]

_force_py = os.environ.get("PAGEOWNER_FAST_PUREPYTHON", "") not in ("", "0")
_scan_mod: Any = None   # the compiled scanner (untyped until it ships a .pyi)
if not _force_py:
    try:
        _scan_mod = importlib.import_module(f"{__package__}._scan")
    except ImportError as exc:  # pragma: no cover - depends on the build
        # one line, without a source line under it (warn_explicit names no file that exists)
        warnings.warn_explicit(f"pageowner_fast: compiled scanner unavailable ({exc}); using "
                               "the slow pure-Python engine (see the README's Install)",
                               RuntimeWarning, filename="pageowner_fast", lineno=0,
                               module="pageowner_fast._engine")

NAME = "cython" if _scan_mod is not None else "python"

MAX_THREADS = 64
BYTES_PER_THREAD = 32 << 20   # below this a thread of its own does not pay


def info() -> dict[str, Any]:
    """Which engine is loaded and how it runs: ``engine`` ("cython" or "python"), ``hash``
    (the hash of the interner: "xxh3-128", or "fallback+verify" when XXH3 could not be bound
    from the xxhash wheel; None for the Python engine, which uses dicts) and ``simd`` (the
    block splitter's instruction set, None where not reported)."""
    if _scan_mod is None:
        return {"engine": NAME, "hash": None, "simd": None}
    got = dict(_scan_mod.info()) if hasattr(_scan_mod, "info") else {}
    got.setdefault("hash", getattr(_scan_mod, "HASH", None))
    got.setdefault("simd", getattr(_scan_mod, "SIMD", None))
    got["engine"] = NAME
    return got


def check_threads(threads: int | None) -> int | None:
    """`threads` if it is None or a whole number from 1 to 64; else UsageError."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
        raise UsageError(f"threads must be a whole number from 1 to {MAX_THREADS}, not {threads!r}")
    return threads


def default_threads(size: int, cpus: int | None = None) -> int:
    """Scanner threads for a mapped input of `size` bytes: one per 32 MiB, at most one per
    usable CPU, at most 64, at least 1."""
    cpus = usable_cpus() if cpus is None else cpus
    return max(1, min(cpus, size // BYTES_PER_THREAD, MAX_THREADS))


def _mappable(f: IO[bytes]) -> int | None:
    """The file descriptor of `f` if it is an uncompressed regular file read from its start."""
    try:
        raw = f.raw if isinstance(f, io.BufferedReader) else f
        if not isinstance(raw, io.FileIO) or f.tell() != 0:
            return None
        st = os.fstat(raw.fileno())
        return raw.fileno() if stat.S_ISREG(st.st_mode) and st.st_size > 0 else None
    except (OSError, ValueError, AttributeError):
        return None


def scan(f: IO[bytes], *, strip_ts: bool, progress: Progress | None = None,
         aggregate: bool = False, threads: int | None = None,
         fold_key: Iterable[str] | None = None) -> ScanResult:
    """(columns, tables, stats) of the dump in `f`. The pure-Python engine ignores
    `aggregate` and `fold_key` (its rows are always single blocks, which every caller
    accepts).

    A plain regular file is memory-mapped and scanned by `threads` threads (default:
    `default_threads`); anything else (pipes, stdin, compressed files, CRLF files) is
    streamed in 1 MiB chunks."""
    threads = check_threads(threads)
    key = frozenset(fold_key or ()) if aggregate and strip_ts else frozenset()
    try:
        fd = _mappable(f) if _scan_mod is not None else None
        if fd is not None:
            res = _scan_mapped(fd, strip_ts, progress, aggregate, threads, key)
            if res is not None:
                return res
            f.seek(0)
        if _scan_mod is not None:
            return _scan_mod.scan_stream(f, strip_ts=strip_ts, progress=progress,
                                         aggregate=aggregate, fold_key=key)
        from . import _pyscan
        return _pyscan.scan_stream(f, strip_ts=strip_ts, progress=progress)
    except READ_ERRORS as exc:
        raise read_error(exc, describe(f)) from None


def _scan_mapped(fd: int, strip_ts: bool, progress: Progress | None, aggregate: bool,
                 threads: int | None, fold_key: frozenset[str]) -> ScanResult | None:
    """Scan a mapping of the file; None when it cannot be mapped or holds CR bytes."""
    try:
        mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    try:
        with contextlib.suppress(AttributeError, OSError):
            mm.madvise(mmap.MADV_SEQUENTIAL)
        return _scan_mod.scan_mapped(
            mm, strip_ts=strip_ts, progress=progress, aggregate=aggregate,
            threads=threads or default_threads(len(mm)), release=True, fold_key=fold_key)
    finally:
        with contextlib.suppress(BufferError):
            mm.close()
