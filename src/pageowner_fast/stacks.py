"""The model of a page_owner_stacks file (`StackFile`), and `load_any()`, which reads either
kind of input: a full page_owner dump or a page_owner_stacks file.

The kernel's ``/sys/kernel/debug/page_owner_stacks/`` directory (v6.9+) prints three files:

* ``show_stacks``: per allocation stack its frames (one leading blank each), ``nr_base_pages: N``
  and an empty line. v6.9-rc prototypes printed ``stack_count: N`` instead, counting
  *allocations*, not pages; those files are read too (``StackFile.unit == "allocations"``).
* ``show_handles``: ``handle: H`` + ``nr_base_pages: N`` per stack (no frames): keyed by handle.
* ``show_stacks_handles``: frames + ``handle: H`` (no counts): the map from handle to stack.

`load_any()` tells these apart from a full page_owner dump by content, so every analysis
(``stacks``, ``diff``, ``timeline``, ``top``) takes any of them. A frame is a stack line
without its leading blank, innermost first, as show_stacks prints them.
"""
from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Union

from . import _fields as F
from ._engine import Progress
from ._source import Prefixed, describe, open_source, read_error, read_errors
from .dump import Dump, load
from .exceptions import DumpFormatError, UnsupportedKeyError

if TYPE_CHECKING:
    from .klog import KernelLog

__all__ = ["StackFile", "load_stacks", "load_any", "parse_stacks", "frames_of", "detect",
           "KernelLog"]


def __getattr__(name: str) -> Any:
    """`KernelLog`, imported when asked for (the kernel-log reader is not needed to read a
    dump or a show_stacks file)."""
    if name == "KernelLog":
        from .klog import KernelLog
        return KernelLog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_HEAD_BYTES = 1 << 16

StackSource = Union[str, bytes, "os.PathLike[str]", IO[bytes]]


@dataclass
class StackFile:
    """A parsed page_owner_stacks file.

    ``kind`` is ``"show_stacks"``, ``"show_handles"`` or ``"show_stacks_handles"``; ``unit`` is
    ``"pages"`` (``nr_base_pages:``), ``"allocations"`` (``stack_count:`` of v6.9-rc
    prototypes), ``"mixed"`` (both; seen in documentation excerpts) or ``None``
    (show_stacks_handles: no counts). Per record: ``frames`` (tuple of
    frame strings without the leading blank, innermost first; ``()`` for show_handles),
    ``pages`` (int, or None without a count line), ``handles`` (int or None), ``linenos``
    (1-based line of the record's first line), ``labels`` (``"nr_base_pages"``,
    ``"stack_count"`` or None: the count line's name). ``malformed``: records kept without a
    count or handle whose value was too large (above 2**63-1).
    """

    kind: str
    unit: str | None
    frames: list[tuple[str, ...]] = field(default_factory=list)
    pages: list[int | None] = field(default_factory=list)
    handles: list[int | None] = field(default_factory=list)
    linenos: list[int] = field(default_factory=list)
    source: str = "<stacks>"
    labels: list[str | None] = field(default_factory=list)
    malformed: int = 0

    def __post_init__(self) -> None:
        if not self.labels:
            lab = "stack_count" if self.unit == "allocations" else "nr_base_pages"
            self.labels = [lab if p is not None else None for p in self.pages]

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return (f"StackFile({self.source!r}, {self.kind}, {len(self)} records, "
                f"{self.total_pages()} {self.unit or 'pages'})")

    def total_pages(self) -> int:
        return sum(p for p in self.pages if p is not None)

    @property
    def has_counts(self) -> bool:
        return self.unit is not None

    def records(self) -> Iterator[dict[str, Any]]:
        """One dict per record: ``frames`` (list), ``pages``, ``handle``."""
        for fr, p, h in zip(self.frames, self.pages, self.handles):
            yield {"frames": list(fr), "pages": p, "handle": h}

    def resolve_handles(self, stacks_handles: StackFile) -> StackFile:
        """A show_handles file with each handle replaced by its frames, taken from the
        show_stacks_handles file of the same boot: gives a show_stacks-like file."""
        if self.kind != "show_handles":
            raise UnsupportedKeyError(f"{self.source}: only a show_handles file has handles to resolve")
        if stacks_handles.kind != "show_stacks_handles":
            raise UnsupportedKeyError(f"{stacks_handles.source}: not a show_stacks_handles file "
                                      "(frames + handle: lines)")
        m = {h: fr for fr, h in zip(stacks_handles.frames, stacks_handles.handles)}
        missing = [h for h in self.handles if h not in m]
        if missing:
            raise DumpFormatError(f"{self.source}: {len(missing)} handle(s) not in "
                                  f"{stacks_handles.source} (first: {missing[0]}); were both files "
                                  "read in the same boot?")
        return StackFile("show_stacks", self.unit, [m[h] for h in self.handles], list(self.pages),
                         list(self.handles), list(self.linenos),
                         f"{self.source}+{stacks_handles.source}", list(self.labels))


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

_COUNT = re.compile(r"(nr_base_pages|stack_count|handle):\s*([0-9]+)\s*$")


def _count_value(digits: str) -> int | None:
    """The value of a count or handle line; None when it does not fit in 63 bits."""
    return F.bounded_int(digits, F.I64_MAX)


def parse_stacks(data: bytes, source: str = "<stacks>") -> StackFile:
    """Parse the bytes of a show_stacks / show_handles / show_stacks_handles file.

    Records are separated by one or more empty lines (the kernel's separator changed over
    time). Raises DumpFormatError (with the line number) on a line that is neither a frame
    (leading blank) nor a count/handle line, and on a record without count and handle."""
    text = data.decode("utf-8", "backslashreplace")
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    frames_l: list[tuple[str, ...]] = []
    pages_l: list[int | None] = []
    handles_l: list[int | None] = []
    lines_l: list[int] = []
    labels_l: list[str | None] = []
    kinds: set[str] = set()
    units: set[str] = set()
    cur: list[str] = []
    pages: int | None = None
    handle: int | None = None
    label: str | None = None
    has_handle = False
    start = 0
    seen_count = False
    malformed = 0

    def flush(lineno: int | None) -> None:
        nonlocal cur, pages, handle, start, seen_count, label, has_handle
        if not cur and pages is None and not has_handle:
            return
        if pages is None and not has_handle:
            raise DumpFormatError(f"{source}: the record at line {start} has frames but no "
                                  "nr_base_pages:, stack_count: or handle: line", lineno=None)
        if cur:
            kinds.add("show_stacks" if pages is not None else "show_stacks_handles")
        else:
            kinds.add("show_handles" if pages is not None else "show_stacks_handles")
        frames_l.append(tuple(cur))
        pages_l.append(pages)
        handles_l.append(handle)
        lines_l.append(start)
        labels_l.append(label if pages is not None else None)
        if pages is not None:
            units.add("pages" if label == "nr_base_pages" else "allocations")
        cur, pages, handle, seen_count, label, has_handle = [], None, None, False, None, False

    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            flush(lineno)
            continue
        if line[0] == " ":
            if seen_count:  # frames after a count line without an empty line: a new record
                flush(lineno)
            if not cur and pages is None and not has_handle:
                start = lineno
            cur.append(line[1:])
            continue
        m = _COUNT.match(line)
        if m is None:
            what = line if len(line) <= 60 else line[:57] + "..."
            hint = (" (this looks like a full page_owner dump cut at a wrong place)"
                    if line.startswith(("Page allocated", "PFN ")) else "")
            raise DumpFormatError(f"{source}: line {lineno}: expected a frame (leading blank), "
                                  f"nr_base_pages:, stack_count: or handle:, saw {what!r}{hint}")
        if not cur and pages is None and not has_handle:
            start = lineno
        name, val = m.group(1), _count_value(m.group(2))
        if val is None:  # too large: the record is kept without it (malformed, counted)
            malformed += 1
        if name == "handle":
            if has_handle:
                flush(lineno)
                start = lineno
            handle, has_handle = val, True
        else:
            if pages is not None:
                flush(lineno)
                start = lineno
            pages, label = (0 if val is None else val), name
            seen_count = True
    flush(None)
    if len(kinds) > 1:
        raise DumpFormatError(f"{source}: mixes record kinds ({', '.join(sorted(kinds))}); "
                              "one page_owner_stacks file at a time, please")
    kind = kinds.pop() if kinds else "show_stacks"
    unit: str | None
    if len(units) > 1:
        unit = "mixed"
    else:
        unit = units.pop() if units else ("pages" if kind == "show_stacks" and not frames_l else None)
    return StackFile(kind, unit, frames_l, pages_l, handles_l, lines_l, source, labels_l,
                     malformed)


def _read_head(f: IO[bytes], n: int = _HEAD_BYTES) -> bytes:
    parts, got = [], 0
    while got < n:
        b = f.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


_DUMP_LINE = re.compile(rb"^(Page allocated via order|PFN (0x)?[0-9a-f]+ type)", re.M)
_STACKS_LINE = re.compile(rb"^(nr_base_pages|stack_count|handle):\s*[0-9]", re.M)
_SORT_OUTPUT = re.compile(rb"\A\d+ times(, \d+ pages)?")


def detect(head: bytes) -> str:
    """``"dump"``, ``"stacks"`` or ``"unknown"`` from the first bytes of a (decompressed)
    input. An empty input (or blank lines only) is an empty dump."""
    if _DUMP_LINE.search(head) or not head.strip():
        return "dump"
    if _STACKS_LINE.search(head):
        return "stacks"
    if head.lstrip(b"\n")[:1] == b" ":  # starts with a frame: a (broken) stacks file
        return "stacks"
    return "unknown"


def _seekable(f: IO[bytes]) -> bool:
    try:
        return bool(f.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def load_any(source: StackSource | Dump | StackFile, *, strip_ts: bool = True,
             aggregate: bool = False, threads: int | None = None,
             progress: Progress | None = None,
             fold_key: Iterable[str] | None = None) -> Dump | StackFile:
    """Read ``source`` (path, .gz/.xz/.zst, ``"-"``, binary file object) and return a
    `Dump` for a page_owner dump (an empty input is an empty dump), a `StackFile` for a
    page_owner_stacks file, or a `KernelLog` (a Dump of its reports) for a kernel log
    with page_owner reports (``dump_page_owner`` output: dmesg, console logs, syzbot or
    KASAN reports). ``aggregate`` is passed to `load` (identical blocks folded into
    one row: enough for every per-key count, and faster); so are ``fold_key``,
    ``threads`` and ``progress(nbytes)``."""
    if isinstance(source, (Dump, StackFile)):
        return source
    name = describe(source)
    with open_source(source) as f:
        try:
            pos = f.tell() if _seekable(f) else None
            head = _read_head(f)
        except read_errors() as exc:
            raise read_error(exc, name) from None
        kind = detect(head)
        if kind == "dump":
            if pos is not None:  # rewind instead of chaining: one copy less
                try:
                    f.seek(pos)
                    stream = f
                except (OSError, ValueError):
                    stream = io.BufferedReader(Prefixed(head, f), 1 << 20)
            else:
                stream = io.BufferedReader(Prefixed(head, f), 1 << 20)
            dump = load(stream, strip_ts=strip_ts, aggregate=aggregate, threads=threads,
                        progress=progress, fold_key=fold_key)
            dump.source = name
            return dump
        if kind == "unknown":
            from .klog import looks_like_log, parse_log  # here: only a kernel log needs it
        if kind == "unknown" and looks_like_log(head):
            stream = io.BufferedReader(Prefixed(head, f), 1 << 20)
            try:
                return parse_log(stream, name, progress=progress)
            except read_errors() as exc:
                raise read_error(exc, name) from None
        if kind == "unknown":
            if _SORT_OUTPUT.match(head):
                raise DumpFormatError(f"{name}: this is page_owner_sort output, not a page_owner "
                                      "dump or page_owner_stacks file")
            first = head.split(b"\n", 1)[0][:60].decode("utf-8", "backslashreplace")
            raise DumpFormatError(f"{name}: not a page_owner dump or page_owner_stacks file "
                                  f"(first line: {first!r})")
        try:
            rest = f.read()
        except read_errors() as exc:
            raise read_error(exc, name) from None
    if progress is not None:
        progress(len(head) + len(rest))
    return parse_stacks(head + rest, name)


def load_stacks(source: StackSource) -> StackFile:
    """Read a page_owner_stacks file (show_stacks, show_handles or show_stacks_handles).

    ``source`` is a path (plain, .gz, .xz, .zst), ``"-"`` or a binary file object. A full
    page_owner dump is refused here (use `load_any` or `load`)."""
    got = load_any(source)
    if not isinstance(got, StackFile):
        raise DumpFormatError(f"{got.source}: a full page_owner dump, not a page_owner_stacks "
                              "file (use pageowner_fast.load, or pageowner_fast.load_any)")
    return got


def frames_of(stacktrace: bytes | str) -> tuple[str, ...]:
    """Frame lines of a stacktrace text (lines starting with a blank), blank removed."""
    if isinstance(stacktrace, bytes):
        stacktrace = stacktrace.decode("utf-8", "backslashreplace")
    return tuple([line[1:] for line in stacktrace.split("\n") if line[:1] == " "])


