"""Writing an output file safely: a regular file is written to a temporary file beside it and
renamed into place at the end, so no half-written output is ever left (docs/compatibility.md,
differences 6 and 10)."""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from types import TracebackType
from typing import IO, Any

from .exceptions import OutputError, OutputOpenError

PathArg = Any  # str, bytes or os.PathLike; "-" is standard output


# file systems where allocating a file's blocks before writing it was measured to pay
# (statfs f_type): ext4 (the magic of ext2/3 too, whose fallocate fails and is ignored).
# Not tmpfs, whose fallocate fills the pages with zeros first (slower by ~5%); XFS and
# btrfs were not measured.
_PREALLOCATE_FS = frozenset({0xEF53})


def _preallocate(fd: int, size: int) -> bool:
    """Allocate the blocks of the file `fd` up to `size` bytes (Linux fallocate(2), mode 0)
    on the file systems of _PREALLOCATE_FS; False where not done. Only a hint: any error
    leaves the file as it was, and the writes report what they meet."""
    if not sys.platform.startswith("linux") or size <= 0:
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        buf = ctypes.create_string_buffer(256)      # struct statfs: f_type comes first
        if libc.fstatfs(fd, buf) != 0:
            return False
        if ctypes.c_long.from_buffer(buf).value & 0xFFFFFFFF not in _PREALLOCATE_FS:
            return False
        # 64-bit offsets: fallocate64, or fallocate where off_t is 64-bit (musl 1.2.4
        # dropped the *64 names)
        fallocate = getattr(libc, "fallocate64", None)
        if fallocate is None and ctypes.sizeof(ctypes.c_long) == 8:
            fallocate = libc.fallocate
        if fallocate is None:
            return False
        fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        fallocate.restype = ctypes.c_int
        return bool(fallocate(fd, 0, 0, size) == 0)
    except (OSError, AttributeError, ValueError, ImportError):
        return False


def _same_file(a: PathArg, b: PathArg) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_not_input(out_path: PathArg, in_path: object) -> None:
    """OutputError if `out_path` names the same file as the input path `in_path`."""
    if out_path == "-" or in_path == "-" or not isinstance(in_path, (str, os.PathLike)):
        return
    if _same_file(out_path, in_path):
        raise OutputError(f"{os.fsdecode(out_path)}: output is the input file; refusing to overwrite it")


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def _set_mode(fd: int, path: str, mode: int) -> None:
    """Give the temporary file the mode the output will have. os.fchmod exists on Windows
    only from Python 3.13; os.chmod by name works everywhere (Windows keeps only the
    read-only bit)."""
    with contextlib.suppress(OSError):
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:
            os.chmod(path, mode)


def _create_temp(d: str, prefix: str) -> tuple[int, str]:
    """A new file `d/<prefix><random>.tmp`, opened O_EXCL with mode 0600: (fd, path).
    (tempfile.mkstemp's job, without the import of tempfile, random and shutil: `sort`
    starts in about 0.1 s, and those are 3 ms of it.)"""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        path = os.path.join(d, prefix + os.urandom(6).hex() + ".tmp")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary name", d)


class AtomicOutput:
    """`with AtomicOutput(path) as f: f.write(...)`; committed only if the block succeeds."""

    def __init__(self, path: PathArg) -> None:
        self.path = path
        self.f: IO[bytes] | None = None
        self.tmp: str | None = None
        self.direct = False

    def __enter__(self) -> AtomicOutput:
        path = self.path
        if path == "-":
            self.f = sys.stdout.buffer
            self.direct = True
            return self
        spath = os.fsdecode(path)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        except OSError as e:
            raise OutputOpenError(f"{spath}: {e.strerror or e}") from None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise OutputOpenError(f"{spath}: is a directory")
        if st is not None and not stat.S_ISREG(st.st_mode):
            # a device or FIFO: write directly (docs/compatibility.md, difference 10)
            try:
                self.f = open(path, "wb")
            except OSError as e:
                raise OutputOpenError(f"{spath}: {e.strerror or e}") from None
            self.direct = True
            return self
        d = os.path.dirname(os.path.abspath(spath))
        if not os.path.isdir(d):
            raise OutputOpenError(f"{spath}: directory {d} does not exist")
        try:
            fd, self.tmp = _create_temp(d, "." + os.path.basename(spath) + ".")
        except OSError as e:
            raise OutputOpenError(f"{spath}: cannot create a file in {d}: {e.strerror or e}") from None
        mode = stat.S_IMODE(st.st_mode) if st is not None else (0o666 & ~_umask())
        try:
            _set_mode(fd, self.tmp, mode)
            self.f = os.fdopen(fd, "wb", buffering=1 << 20)
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(self.tmp)
            raise
        return self

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert self.f is not None, "write() outside the with block"
        try:
            n = self.f.write(data)
            # BufferedWriter reports a partial write (a pipe closed or a disk filled in the
            # middle) by returning the count and keeping the error: write the rest, which
            # raises that error now, instead of silently losing it
            if n is not None and n < len(data):
                rest = memoryview(data)[n:]
                while rest:
                    k = self.f.write(rest)
                    if not k:
                        raise OSError(errno.EIO, "short write")
                    rest = rest[k:]
        except BrokenPipeError:
            if self.path == "-":
                raise           # `... - | head`: the CLI stops quietly (exit 141)
            raise OutputError(f"{os.fsdecode(self.path)}: write error: Broken pipe") from None
        except OSError as e:
            raise OutputError(f"{os.fsdecode(self.path)}: write error: {e.strerror or e}") from None

    def positional(self) -> int | None:
        """Where writes at positions (`pwrite`, from any thread) may start: the end of what
        `write` wrote, once flushed. None when the output is standard output or a device
        (written in order only), or the OS has no pwrite."""
        if self.direct or self.f is None or not hasattr(os, "pwrite"):
            return None
        try:
            self.f.flush()
            return self.f.tell()
        except OSError as e:
            raise OutputError(f"{os.fsdecode(self.path)}: write error: {e.strerror or e}") from None

    def pwrite(self, data: bytes | bytearray | memoryview, offset: int) -> None:
        """Write all of `data` at `offset` of the (temporary) output file; `seek` afterwards
        to where later `write`s go."""
        assert self.f is not None and not self.direct
        view = memoryview(data).cast("B")
        try:
            while view:
                k = os.pwrite(self.f.fileno(), view, offset)
                if k <= 0:
                    raise OSError(errno.EIO, "short write")
                view, offset = view[k:], offset + k
        except OSError as e:
            raise OutputError(f"{os.fsdecode(self.path)}: write error: {e.strerror or e}") from None

    def reserve(self, end: int) -> None:
        """A hint before positional writes: the output will be `end` bytes long. Its blocks
        are allocated now where that pays (`_preallocate`): on ext4 the kernel's copy of a
        940 MB output then took ~90 ms instead of ~150 (no delayed allocation per page)."""
        if not self.direct and self.f is not None:
            _preallocate(self.f.fileno(), end)

    def seek(self, offset: int) -> None:
        """Later `write`s go at `offset` (after positional writes)."""
        assert self.f is not None and not self.direct
        self.f.seek(offset)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self.f is not None
        if self.direct:
            if self.path == "-":
                try:
                    self.f.flush()
                except OSError as e:
                    if exc_type is None and e.errno == errno.EPIPE:
                        raise BrokenPipeError(e.errno, e.strerror) from None   # exit 141
                    if exc_type is None:
                        raise OutputError(f"<stdout>: write error: {e.strerror or e}") from None
                return
            try:
                self.f.close()
            except OSError as e:
                if exc_type is None:
                    raise OutputError(f"{os.fsdecode(self.path)}: write error: {e.strerror or e}") from None
            return
        ok = exc_type is None
        assert self.tmp is not None
        try:
            self.f.close()
        except OSError as e:
            ok_err = OutputError(f"{os.fsdecode(self.path)}: write error: {e.strerror or e}")
            with contextlib.suppress(OSError):
                os.unlink(self.tmp)
            if ok:
                raise ok_err from None
            return
        if not ok:
            with contextlib.suppress(OSError):
                os.unlink(self.tmp)
            return
        try:
            os.replace(self.tmp, self.path)
        except OSError as e:
            with contextlib.suppress(OSError):
                os.unlink(self.tmp)
            raise OutputError(f"{os.fsdecode(self.path)}: {e.strerror or e}") from None
