"""Open any input as a binary stream: a path, `-` (stdin), a file object, compressed or not.

Compression is recognised by magic bytes, not by the file name, so a `.txt` that is really
gzip'd works and a plain file named `.gz` does not fail. Reading errors of the decompressors
are turned into InputError by `read_errors()`.
"""
from __future__ import annotations

import contextlib
import io
import lzma
import os
import stat
import sys
import zlib
import gzip

from .exceptions import InputError

CHUNK = 1 << 20

_GZIP = b"\x1f\x8b"
_XZ = b"\xfd7zXZ\x00"
_ZSTD = b"\x28\xb5\x2f\xfd"


def _zstd_reader(f):
    try:  # Python 3.14+
        from compression import zstd  # type: ignore
        return zstd.ZstdFile(f)
    except ImportError:
        pass
    try:
        import zstandard  # type: ignore
    except ImportError:
        raise InputError("input is zstd-compressed: install the 'zstandard' package "
                         "(pip install pageowner-fast[zstd])") from None
    return zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)


def describe(source) -> str:
    if isinstance(source, (str, bytes, os.PathLike)):
        return os.fsdecode(source)
    return getattr(source, "name", "<stream>") if not isinstance(getattr(source, "name", None), int) else "<stream>"


def _peek(f, n=6) -> bytes:
    if hasattr(f, "peek"):
        try:
            return f.peek(n)[:n]
        except (OSError, ValueError):
            return b""
    if f.seekable():
        pos = f.tell()
        head = f.read(n)
        f.seek(pos)
        return head
    return b""


def wrap_decompress(f):
    """Return a binary stream that yields the decompressed bytes of `f`."""
    head = _peek(f)
    if head.startswith(_GZIP):
        return gzip.GzipFile(fileobj=f, mode="rb")
    if head.startswith(_XZ):
        return _named(lzma.LZMAFile(f), f)
    if head.startswith(_ZSTD):
        return _named(_zstd_reader(f), f)
    return f


def _named(f, raw):
    """Give a decompressor the file's name, for error messages (LZMAFile has none)."""
    name = getattr(raw, "name", None)
    if isinstance(name, str) and not isinstance(getattr(f, "name", None), str):
        with contextlib.suppress(AttributeError, TypeError):
            f.name = name
    return f


def unopenable(message: str) -> InputError:
    """An input that cannot be opened: exit code 1, as page_owner_sort's failed fopen."""
    e = InputError(message)
    e.exit_code = 1
    return e


def stat_input(path) -> os.stat_result:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise unopenable(f"{os.fsdecode(path)}: no such file") from None
    except PermissionError:
        raise unopenable(f"{os.fsdecode(path)}: permission denied") from None
    except OSError as e:
        raise unopenable(f"{os.fsdecode(path)}: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise unopenable(f"{os.fsdecode(path)}: is a directory")
    return st


@contextlib.contextmanager
def open_source(source, *, pfn_start: int | None = None):
    """Context manager yielding a readable binary stream for `source`.

    `source` is a path (str/PathLike), ``"-"`` for standard input, or a binary file object
    (left open on exit). `pfn_start` seeks the kernel's page_owner file to that PFN (the
    debugfs file interprets the file position as a PFN); on a regular file it is an error.
    """
    owned = []
    try:
        if isinstance(source, (str, bytes, os.PathLike)) and os.fsdecode(source) == "-":
            raw = sys.stdin.buffer
        elif isinstance(source, (str, bytes, os.PathLike)):
            st = stat_input(source)
            try:
                raw = open(source, "rb", buffering=CHUNK)
            except OSError as e:
                raise unopenable(f"{os.fsdecode(source)}: {e.strerror or e}") from None
            owned.append(raw)
            if pfn_start is not None:
                if stat.S_ISREG(st.st_mode) and st.st_size > 0:
                    raise InputError("pfn_start= only applies to the kernel's page_owner file "
                                     "(a regular file has no PFN positions)")
                try:
                    os.lseek(raw.fileno(), int(pfn_start), os.SEEK_SET)
                    raw = open(os.dup(raw.fileno()), "rb", buffering=CHUNK)
                    owned.append(raw)
                except OSError as e:
                    raise InputError(f"cannot seek to PFN {pfn_start}: {e.strerror or e}") from None
        elif hasattr(source, "read"):
            raw = source
            if not hasattr(raw, "peek") and not _seekable(raw):
                raw = io.BufferedReader(_RawAdapter(raw), CHUNK)
        else:
            raise TypeError(f"cannot read a page_owner dump from {type(source).__name__}")
        f = wrap_decompress(raw)
        if f is not raw:
            owned.append(f)
        yield f
    finally:
        for o in reversed(owned):
            with contextlib.suppress(Exception):
                o.close()


def _seekable(f) -> bool:
    try:
        return bool(f.seekable())
    except Exception:
        return False


class _RawAdapter(io.RawIOBase):
    """Adapts an object with read() to RawIOBase so that it can be buffered and peeked."""

    def __init__(self, f):
        self._f = f
        self._rest = b""        # what a read() returned beyond the size asked for

    def readable(self):
        return True

    def readinto(self, b):
        data = self._rest or self._f.read(len(b))
        if isinstance(data, str):
            raise InputError(f"{describe(self._f)}: read() returned str, not bytes "
                             "(a file opened in text mode?)")
        n = min(len(data), len(b))
        b[:n] = data[:n]
        self._rest = data[n:]
        return n


READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)


def read_error(exc: BaseException, name: str) -> InputError:
    if isinstance(exc, InputError):
        return exc
    if isinstance(exc, (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile)):
        return InputError(f"{name}: corrupt or truncated compressed input ({exc})")
    if isinstance(exc, OSError) and exc.strerror:
        return InputError(f"{name}: read error: {exc.strerror}")
    return InputError(f"{name}: read error: {exc}")
