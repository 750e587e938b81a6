"""Selects the scanner engine: the compiled Cython one, or the pure-Python reference.

Set PAGEOWNER_FAST_PUREPYTHON=1 to force the pure-Python engine.
"""
from __future__ import annotations

import contextlib
import io
import mmap
import os
import stat
import warnings

from ._source import READ_ERRORS, read_error, describe

_force_py = os.environ.get("PAGEOWNER_FAST_PUREPYTHON", "") not in ("", "0")
_scan_mod = None
if not _force_py:
    try:
        from . import _scan as _scan_mod  # type: ignore[no-redef]
    except ImportError as exc:  # pragma: no cover - depends on the build
        warnings.warn(f"pageowner_fast: compiled scanner unavailable ({exc}); using the slow "
                      "pure-Python engine", RuntimeWarning, stacklevel=2)
        _scan_mod = None

NAME = "cython" if _scan_mod is not None else "python"


def info() -> dict:
    """Which engine runs; for the compiled one also its hash, block splitter and build
    (``_scan.info()``: hash, simd, debug, compiler, ...)."""
    return {"engine": NAME, **(_scan_mod.info() if _scan_mod is not None else {})}


def summary() -> str:
    """One line for --version: "cython engine, xxh3-128, avx2 splitter" or "python engine"."""
    i = info()
    if NAME != "cython":
        return "python engine"
    return f"cython engine, {i['hash']}, {i['simd']} splitter" + (", debug build" if i["debug"] else "")


def _mappable(f):
    """The file descriptor of `f` if it is an uncompressed regular file read from its start."""
    try:
        raw = f.raw if isinstance(f, io.BufferedReader) else f
        if not isinstance(raw, io.FileIO) or f.tell() != 0:
            return None
        st = os.fstat(raw.fileno())
        return raw.fileno() if stat.S_ISREG(st.st_mode) and st.st_size > 0 else None
    except (OSError, ValueError, AttributeError):
        return None


def threads_for(size: int) -> int:
    env = os.environ.get("PAGEOWNER_FAST_THREADS", "").strip()
    if env.isdigit():
        return max(1, min(int(env), 64))
    return min(2, os.cpu_count() or 1) if size >= (32 << 20) else 1


def scan(f, *, strip_ts: bool, progress=None, aggregate: bool = False):
    """(columns, tables, stats) of the dump in `f`. The pure-Python engine ignores
    `aggregate` (its rows are always single blocks, which every caller accepts).

    A plain regular file is memory-mapped and scanned by up to two threads; anything else
    (pipes, stdin, compressed files, CRLF files) is streamed in 1 MiB chunks."""
    try:
        fd = _mappable(f) if _scan_mod is not None else None
        if fd is not None:
            try:
                mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                mm = None
            if mm is not None:
                try:
                    with contextlib.suppress(AttributeError, OSError):
                        mm.madvise(mmap.MADV_SEQUENTIAL)
                    res = _scan_mod.scan_mapped(mm, strip_ts=strip_ts, progress=progress,
                                                aggregate=aggregate, threads=threads_for(len(mm)),
                                                release=True)
                finally:
                    with contextlib.suppress(BufferError):
                        mm.close()
                if res is not None:
                    return res
                f.seek(0)
        if _scan_mod is not None:
            return _scan_mod.scan_stream(f, strip_ts=strip_ts, progress=progress,
                                         aggregate=aggregate)
        from . import _pyscan
        chunks = []
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            chunks.append(b)
            if progress is not None:
                progress(len(b))
        return _pyscan.scan_bytes(b"".join(chunks), strip_ts=strip_ts)
    except READ_ERRORS as exc:
        raise read_error(exc, describe(f)) from None
