"""Selects the scanner engine -- the compiled one, or the pure-Python reference -- and runs it.

PAGEOWNER_FAST_PUREPYTHON=1 selects the pure-Python engine (as MSGPACK_PUREPYTHON does for
msgpack). Everything else is an argument: `scan(..., threads=N)`.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib
import io
import mmap
import os
import stat
import warnings
from collections.abc import Callable, Iterable

from ._source import compressed, describe, read_error, read_errors
from ._threads import signals_held, usable_cpus
from .exceptions import UsageError

TYPE_CHECKING = False   # (typing, and what it imports, is not loaded before the scan starts)
if TYPE_CHECKING:
    from typing import IO, Any

    ScanResult = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]

Progress = Callable[[int], None]

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
    except read_errors() as exc:
        raise read_error(exc, describe(f)) from None


def _scan_mapped(fd: int, strip_ts: bool, progress: Progress | None, aggregate: bool,
                 threads: int | None, fold_key: frozenset[str]) -> ScanResult | None:
    """Scan a mapping of the file; None when it cannot be mapped or holds CR bytes."""
    job = _take_prefetch(fd, strip_ts, aggregate, threads, fold_key)
    if job is not None:
        try:
            return job.finish(progress)
        finally:
            _close_prefetch(job)
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


def _open_regular(path: object, min_bytes: int) -> int | None:
    """A read-only fd of `path` if it is a regular file of `min_bytes` or more (at least 1:
    debugfs files say 0), else None. stat first: opening a FIFO or a device would block, or
    take its data."""
    try:
        st = os.stat(path)      # type: ignore[arg-type]
        if not stat.S_ISREG(st.st_mode) or st.st_size < max(min_bytes, 1):
            return None
        return os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) |     # type: ignore[arg-type]
                       getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError, TypeError):
        return None


def key_fold_pays(source: object) -> bool:
    """Whether a cull's sort should fold the blocks by its key while reading (a cull's
    `fold_key`) rather than by their whole text: only when the texts are (nearly) all
    unique -- header lines with `free_ts` (kernels 5.13-6.6), which the text fold cannot
    fold. Elsewhere the text fold leaves few rows (the 1 GiB cgroup shape: 67,001) and the
    cull of those costs less than folding every block once more by the key. Read off the
    first header line of a plain regular file; anything else (a stream, a compressed file,
    no header in the first 64 KiB) keeps the key fold, whose memory is bounded by the keys."""
    fd = _open_regular(source, 1) if isinstance(source, (str, os.PathLike)) and source != "-" else None
    if fd is None:
        return True
    try:
        head = os.pread(fd, 1 << 16, 0) if hasattr(os, "pread") else os.read(fd, 1 << 16)
    except OSError:
        return True
    finally:
        os.close(fd)
    if compressed(head[:8]):
        return True
    at = head.find(b"Page allocated")
    end = head.find(b"\n", at)
    return at < 0 or end < 0 or b"free_ts" in head[at:end]


def cull_fold_key(fold_key: Iterable[str], source: object) -> frozenset[str]:
    """The fold key a cull's sort asks of `load` for `source`: `fold_key` where it pays
    (`key_fold_pays`), else none -- the whole text. The command line's head start asks the
    same, so that the command takes its scan over."""
    key = frozenset(fold_key)
    return key if key and key_fold_pays(source) else frozenset()


# --- the command line's head start ------------------------------------------------------------
# `pageowner-fast sort` on a large plain file starts scanning it (cli/_early.py) before the rest
# of the program -- NumPy above all, ~50 ms -- is imported: the scan's threads run (nogil)
# while the main thread imports. `scan` takes that scan over when it asks the same of the
# same file; anything else waits for it to end and drops it.

PREFETCH_MIN_BYTES = 32 << 20

_prefetched: list[tuple[tuple[int, int, int, int], Any]] = []    # (file, MappedScan)


def _file_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def prefetch(path: str, *, strip_ts: bool, aggregate: bool, fold_key: Iterable[str] = (),
             threads: int | None = None) -> bool:
    """Start scanning the file `path` on threads now, as `scan(open(path, "rb"), ...)` with
    these arguments would; True if it started (the compiled engine, an uncompressed
    regular file of PREFETCH_MIN_BYTES or more, nothing prefetched yet). Any problem is
    left for `scan` to meet and report: this only ever gives up. Ctrl-C is held meanwhile
    (a few milliseconds), so a started scan is always on record for `drop_prefetch`."""
    if _scan_mod is None or _prefetched or not hasattr(os, "pread"):
        return False
    with signals_held():
        return _prefetch(path, strip_ts, aggregate, fold_key, threads)


def _prefetch(path: str, strip_ts: bool, aggregate: bool, fold_key: Iterable[str],
              threads: int | None) -> bool:
    fd = _open_regular(path, PREFETCH_MIN_BYTES)
    if fd is None:
        return False
    job = mm = None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size < max(PREFETCH_MIN_BYTES, 1):
            raise ValueError("not worth it")
        if compressed(os.pread(fd, 8, 0)):
            raise ValueError("compressed")
        mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        with contextlib.suppress(AttributeError, OSError):
            mm.madvise(mmap.MADV_SEQUENTIAL)
        key = frozenset(fold_key) if aggregate and strip_ts else frozenset()
        job = _scan_mod.MappedScan(mm, strip_ts=strip_ts, aggregate=aggregate,
                                   threads=check_threads(threads) or default_threads(st.st_size),
                                   release=True, fold_key=key)
        job.fd = fd
        _prefetched.append((_file_key(st), job))    # on record before any thread starts
        # the imports that follow take a CPU: with none to spare, split the last part late
        job.start(late=job.params[2] >= usable_cpus())
    except Exception:       # whatever it is, `scan` meets it again and reports it
        if job is not None:
            _close_prefetch(job)
        else:
            if mm is not None:
                mm.close()
            os.close(fd)
        return False
    if not getattr(prefetch, "_atexit", False):
        atexit.register(drop_prefetch)
        prefetch._atexit = True      # type: ignore[attr-defined]
    return True


def _take_prefetch(fd: int, strip_ts: bool, aggregate: bool, threads: int | None,
                   fold_key: frozenset[str]) -> Any:
    """The prefetched scan, if it is of this file and asked what `scan` asks now. It stays on
    record until `_close_prefetch` has seen its threads end."""
    if not _prefetched:
        return None
    fkey, job = _prefetched[0]
    try:
        st = os.fstat(fd)
        want = (bool(strip_ts), bool(aggregate), max(1, min(threads or default_threads(st.st_size), 64)),
                _scan_mod.fold_key_mask(fold_key))
        same = _file_key(st) == fkey and job.params == want
    except (OSError, ValueError):
        same = False
    if not same:
        drop_prefetch()
        return None
    return job


def _close_prefetch(job: Any) -> None:
    """Wait for a prefetched scan's threads, close its mapping and its file, and take it off
    the record -- only once no thread of it runs: dropping the last reference to the scan
    frees the mapping and the buffers they work in."""
    try:
        if not job.finished:        # dropped: a late part need not scan to the end
            job.cancel()
        job.wait()
    finally:
        if all(w.finished or w.ident is None for w in job.workers):
            mm, job.mm = job.mm, None
            if mm is not None:
                with contextlib.suppress(BufferError):
                    mm.close()
                with contextlib.suppress(OSError):
                    os.close(job.fd)
            _prefetched[:] = [p for p in _prefetched if p[1] is not job]


def drop_prefetch() -> None:
    """Wait for a prefetched scan nobody took, and free it."""
    while _prefetched:
        _close_prefetch(_prefetched[-1][1])
