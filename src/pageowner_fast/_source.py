"""Open any input as a binary stream: a path, `-` (stdin), a file object, compressed or not.

Compression is recognised by magic bytes, not by the file name, so a `.txt` that is really
gzip'd works and a plain file named `.gz` does not fail. Every decompressor's errors (gzip,
xz, zstandard, Python 3.14's compression.zstd) become one `InputError`, "corrupt or truncated
compressed input", through `read_error()`.
"""
from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterator

from .exceptions import InputError, InputOpenError

# The decompressors (gzip, lzma) and typing are imported where they are used: a plain dump
# needs neither, and the command line starts its scan before it has imported them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    Source = str | bytes | os.PathLike[str] | IO[bytes]
else:
    def __getattr__(name: str) -> object:
        if name == "Source":    # for the modules that build on it at run time
            from typing import IO
            return str | bytes | os.PathLike[str] | IO[bytes]
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

CHUNK = 1 << 20

_GZIP = b"\x1f\x8b"
_XZ = b"\xfd7zXZ\x00"
_ZSTD = b"\x28\xb5\x2f\xfd"


def compressed(head: bytes) -> bool:
    """Whether a file starting with `head` is read through a decompressor."""
    return head.startswith((_GZIP, _XZ, _ZSTD))


class CorruptCompressedData(ValueError):
    """A decompressor's own error, under one name (see `read_errors`)."""


def _decompress_errors() -> tuple[type[BaseException], ...]:
    """The errors of a stream cut short and of the decompressors loaded (one that was never
    imported raises nothing)."""
    errors: tuple[type[BaseException], ...] = (EOFError, CorruptCompressedData)
    if "zlib" in sys.modules:
        errors += (sys.modules["zlib"].error,)
    if "lzma" in sys.modules:
        errors += (sys.modules["lzma"].LZMAError,)
    if "gzip" in sys.modules:
        errors += (sys.modules["gzip"].BadGzipFile,)
    return errors


def read_errors() -> tuple[type[BaseException], ...]:
    """What reading an input may raise (``except read_errors() as e:``, then `read_error`):
    OS errors, and those of `_decompress_errors`."""
    return (OSError, *_decompress_errors())


def read_error(exc: BaseException, name: str) -> InputError:
    """The one-line InputError for an exception raised while reading input `name`."""
    if isinstance(exc, InputError):
        return exc
    if isinstance(exc, _decompress_errors()):
        return InputError(f"{name}: corrupt or truncated compressed input ({exc})")
    if isinstance(exc, OSError) and exc.strerror:
        return InputError(f"{name}: read error: {exc.strerror}")
    return InputError(f"{name}: read error: {exc}")


class _Guarded(io.RawIOBase):
    """A decompressing reader whose own exception class (`errors`) is raised as
    CorruptCompressedData, so that the readers' callers need to know no decompressor."""

    def __init__(self, f: Any, errors: tuple[type[BaseException], ...], name: str) -> None:
        self._f = f
        self._errors = errors
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            data = self._f.read(len(b))
        except self._errors as e:
            raise CorruptCompressedData(str(e) or type(e).__name__) from None
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._f.close()
        super().close()


class _Zstandard(io.RawIOBase):
    """The frames of a zstd stream, decoded with the `zstandard` package's decompressobj,
    one frame after another; input that ends inside a frame is an error (its stream_reader
    would end there without a word)."""

    def __init__(self, f: IO[bytes], zstandard: Any, name: str) -> None:
        self._f = f
        self._z = zstandard
        self._dobj: Any = None
        self._out = memoryview(b"")
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._out:
            raw = self._f.read(CHUNK)
            if not raw:
                if self._dobj is not None:
                    raise CorruptCompressedData("the input ends inside a zstd frame")
                return 0
            self._out = memoryview(self._decode(raw))
        n = min(len(b), len(self._out))
        b[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _decode(self, raw: bytes) -> bytes:
        parts = []
        try:
            while raw:
                if self._dobj is None:
                    self._dobj = self._z.ZstdDecompressor().decompressobj()
                parts.append(self._dobj.decompress(raw))
                if not self._dobj.eof:
                    break
                raw = self._dobj.unused_data   # the next frame starts here
                self._dobj = None
        except self._z.ZstdError as e:
            raise CorruptCompressedData(str(e)) from None
        return b"".join(parts)


def _zstd_reader(f: IO[bytes], name: str) -> IO[bytes]:
    try:  # Python 3.14+
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
        return io.BufferedReader(_Guarded(zstd.ZstdFile(f), (zstd.ZstdError,), name), CHUNK)
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError:
        raise InputError("input is zstd-compressed: install the 'zstandard' package "
                         "(pip install pageowner-fast[zstd])") from None
    return io.BufferedReader(_Zstandard(f, zstandard, name), CHUNK)


def describe(source: object) -> str:
    """A name for `source` in messages."""
    if isinstance(source, (str, bytes, os.PathLike)):
        return os.fsdecode(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<stream>"


def _peek(f: IO[bytes], n: int = 6) -> bytes:
    if hasattr(f, "peek"):
        try:
            return bytes(f.peek(n)[:n])
        except InputError:
            raise               # what Prefixed says of an ill-behaved file object
        except (OSError, ValueError):
            return b""
    if f.seekable():
        pos = f.tell()
        head = f.read(n)
        f.seek(pos)
        return head
    return b""


def wrap_decompress(f: IO[bytes]) -> IO[bytes]:
    """Return a binary stream that yields the decompressed bytes of `f`."""
    head = _peek(f)
    if head.startswith(_GZIP):
        import gzip
        return gzip.GzipFile(fileobj=f, mode="rb")     # type: ignore[return-value]
    if head.startswith(_XZ):
        import lzma
        return _named(lzma.LZMAFile(f), f)
    if head.startswith(_ZSTD):
        return _zstd_reader(f, describe(f))
    return f


def _named(f: Any, raw: IO[bytes]) -> IO[bytes]:
    """Give a decompressor the file's name, for error messages (LZMAFile has none)."""
    name = getattr(raw, "name", None)
    if isinstance(name, str) and not isinstance(getattr(f, "name", None), str):
        with contextlib.suppress(AttributeError, TypeError):
            f.name = name
    return f


def stat_input(path: str | bytes | os.PathLike[str]) -> os.stat_result:
    """os.stat of an input path, or InputOpenError (exit code 1, as page_owner_sort's fopen)."""
    name = os.fsdecode(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputOpenError(f"{name}: no such file") from None
    except PermissionError:
        raise InputOpenError(f"{name}: permission denied") from None
    except OSError as e:
        raise InputOpenError(f"{name}: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputOpenError(f"{name}: is a directory")
    return st


@contextlib.contextmanager
def open_source(source: Source, *, pfn_start: int | None = None) -> Iterator[IO[bytes]]:
    """Context manager yielding a readable binary stream for `source`.

    `source` is a path (str/PathLike), ``"-"`` for standard input, or a binary file object
    (left open on exit). `pfn_start` seeks the kernel's page_owner file to that PFN (the
    debugfs file interprets the file position as a PFN); on a regular file it is an error.
    """
    owned: list[IO[bytes]] = []
    raw: IO[bytes]
    try:
        if isinstance(source, (str, bytes, os.PathLike)) and os.fsdecode(source) == "-":
            raw = sys.stdin.buffer
        elif isinstance(source, (str, bytes, os.PathLike)):
            st = stat_input(source)
            try:
                raw = open(source, "rb", buffering=CHUNK)
            except OSError as e:
                raise InputOpenError(f"{os.fsdecode(source)}: {e.strerror or e}") from None
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
                raw = io.BufferedReader(Prefixed(b"", raw), CHUNK)
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


def _seekable(f: Any) -> bool:
    try:
        return bool(f.seekable())
    except Exception:
        return False


class Prefixed(io.RawIOBase):
    """`head`, then the rest of an object with read(n), as a raw stream that can be buffered
    and peeked. A read(n) that returns more than n bytes is kept for the next reads."""

    def __init__(self, head: bytes, f: Any) -> None:
        self._head = memoryview(head)
        self._f = f

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if not self._head:
            data = self._f.read(len(b)) or b""
            if isinstance(data, str):
                raise InputError(f"{describe(self._f)}: read() returned str, not bytes "
                                 "(a file opened in text mode?)")
            self._head = memoryview(data)
        n = min(len(b), len(self._head))
        b[:n] = self._head[:n]
        self._head = self._head[n:]
        return n
