"""page_owner_stacks files and per-key page counts of any input (spec §2.7).

The kernel's ``/sys/kernel/debug/page_owner_stacks/`` directory (v6.9+) prints three files:

* ``show_stacks``: per allocation stack its frames (one leading blank each), ``nr_base_pages: N``
  and an empty line. v6.9-rc prototypes printed ``stack_count: N`` instead, counting
  *allocations*, not pages; those files are read too (``StackFile.unit == "allocations"``).
* ``show_handles``: ``handle: H`` + ``nr_base_pages: N`` per stack (no frames): keyed by handle.
* ``show_stacks_handles``: frames + ``handle: H`` (no counts): the map from handle to stack.

`load_any()` tells these apart from a full page_owner dump by content, so every command that
counts pages (``stacks``, ``diff``, ``timeline``, ``top``) takes any of them. `counts()` turns a
source into ``{key: [blocks, pages]}`` for one grouping (``by``). For stacks the key is the tuple
of FRAME lines only (the leading blank removed, innermost first), as show_stacks prints them --
not page_owner_sort's stacktrace key, which also holds trailer lines (migrate reason, memcg, ...).
`normalize_frame()` makes keys from two kernel builds comparable.
"""
from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

from . import _fields as F
from ._source import READ_ERRORS, describe, open_source, read_error
from .exceptions import DumpFormatError, PageOwnerError

__all__ = ["StackFile", "UnsupportedKeyError", "load_stacks", "load_any", "parse_stacks",
           "counts", "normalize_frame", "normalize_stack", "render_show_stacks", "BY_CHOICES",
           "short_label", "frames_of"]

# Keys a source can be grouped by. Stack files only know "stack" (and "handle").
BY_CHOICES = ("stack", "handle", "comm", "pid", "tgid", "module", "allocator", "order", "gfp",
              "migratetype")
DUMP_ONLY = frozenset(BY_CHOICES) - {"stack", "handle"}

_HEAD_BYTES = 1 << 16


class UnsupportedKeyError(PageOwnerError, ValueError):
    """The input cannot be grouped that way (e.g. ``--by comm`` on a show_stacks file)."""

    exit_code = 2


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
    ``"stack_count"`` or None: the count line's name).
    """

    kind: str
    unit: str | None
    frames: list = field(default_factory=list)
    pages: list = field(default_factory=list)
    handles: list = field(default_factory=list)
    linenos: list = field(default_factory=list)
    source: str = "<stacks>"
    labels: list = field(default_factory=list)

    def __post_init__(self):
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

    def records(self) -> Iterator[dict]:
        """One dict per record: ``frames`` (list), ``pages``, ``handle``."""
        for fr, p, h in zip(self.frames, self.pages, self.handles):
            yield {"frames": list(fr), "pages": p, "handle": h}

    def resolve_handles(self, stacks_handles: "StackFile") -> "StackFile":
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


def parse_stacks(data: bytes, source: str = "<stacks>") -> StackFile:
    """Parse the bytes of a show_stacks / show_handles / show_stacks_handles file.

    Records are separated by one or more empty lines (the kernel's separator changed over
    time). Raises DumpFormatError (with the line number) on a line that is neither a frame
    (leading blank) nor a count/handle line, and on a record without count and handle."""
    text = data.decode("utf-8", "backslashreplace")
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    frames_l: list = []
    pages_l: list = []
    handles_l: list = []
    lines_l: list = []
    labels_l: list = []
    kinds: set = set()
    units: set = set()
    cur: list = []
    pages = handle = label = None
    start = 0
    seen_count = False

    def flush(lineno):
        nonlocal cur, pages, handle, start, seen_count, label
        if not cur and pages is None and handle is None:
            return
        if pages is None and handle is None:
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
        cur, pages, handle, seen_count, label = [], None, None, False, None

    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            flush(lineno)
            continue
        if line[0] == " ":
            if seen_count:  # frames after a count line without an empty line: a new record
                flush(lineno)
            if not cur and pages is None and handle is None:
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
        if not cur and pages is None and handle is None:
            start = lineno
        name, val = m.group(1), int(m.group(2))
        if name == "handle":
            if handle is not None:
                flush(lineno)
                start = lineno
            handle = val
        else:
            if pages is not None:
                flush(lineno)
                start = lineno
            pages, label = val, name
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
    return StackFile(kind, unit, frames_l, pages_l, handles_l, lines_l, source, labels_l)


def _read_head(f, n=_HEAD_BYTES) -> bytes:
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
    """``"dump"``, ``"stacks"`` or ``"unknown"`` from the first bytes of a (decompressed) input."""
    if _DUMP_LINE.search(head):
        return "dump"
    if _STACKS_LINE.search(head) or not head.strip():
        return "stacks"
    if head.lstrip(b"\n")[:1] == b" ":  # starts with a frame: a (broken) stacks file
        return "stacks"
    return "unknown"


class _Chain(io.RawIOBase):
    """The already-read head followed by the rest of a stream."""

    def __init__(self, head: bytes, f):
        self._head = memoryview(head)
        self._f = f

    def readable(self):
        return True

    def readinto(self, b):
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._f.read(len(b))
        n = len(data)
        b[:n] = data
        return n


def _seekable(f) -> bool:
    try:
        return bool(f.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def load_any(source, *, strip_ts: bool = True, aggregate: bool = False):
    """Read ``source`` (path, .gz/.xz/.zst, ``"-"``, binary file object) and return a
    `Dump` for a page_owner dump or a `StackFile` for a page_owner_stacks file.
    ``aggregate`` is passed to `load` (identical blocks folded into one row: enough for
    every per-key count, and faster)."""
    from .dump import Dump, load
    if isinstance(source, (Dump, StackFile)):
        return source
    name = describe(source)
    with open_source(source) as f:
        try:
            pos = f.tell() if _seekable(f) else None
            head = _read_head(f)
        except READ_ERRORS as exc:
            raise read_error(exc, name) from None
        kind = detect(head)
        if kind == "dump":
            if pos is not None:  # rewind instead of chaining: one copy less
                try:
                    f.seek(pos)
                    stream = f
                except (OSError, ValueError):
                    stream = io.BufferedReader(_Chain(head, f), 1 << 20)
            else:
                stream = io.BufferedReader(_Chain(head, f), 1 << 20)
            dump = load(stream, strip_ts=strip_ts, aggregate=aggregate)
            dump.source = name
            return dump
        if kind == "unknown":
            if _SORT_OUTPUT.match(head):
                raise DumpFormatError(f"{name}: this is page_owner_sort output, not a page_owner "
                                      "dump or page_owner_stacks file")
            first = head.split(b"\n", 1)[0][:60].decode("utf-8", "backslashreplace")
            raise DumpFormatError(f"{name}: not a page_owner dump or page_owner_stacks file "
                                  f"(first line: {first!r})")
        try:
            rest = f.read()
        except READ_ERRORS as exc:
            raise read_error(exc, name) from None
    return parse_stacks(head + rest, name)


def load_stacks(source) -> StackFile:
    """Read a page_owner_stacks file (show_stacks, show_handles or show_stacks_handles).

    ``source`` is a path (plain, .gz, .xz, .zst), ``"-"`` or a binary file object. A full
    page_owner dump is refused here (use `load_any` or `load`)."""
    got = load_any(source)
    if not isinstance(got, StackFile):
        raise DumpFormatError(f"{got.source}: a full page_owner dump, not a page_owner_stacks "
                              "file (use pageowner_fast.load, or stacks_of(dump))")
    return got


# --------------------------------------------------------------------------------------------
# Frames and normalisation
# --------------------------------------------------------------------------------------------

def frames_of(stacktrace: bytes | str) -> tuple:
    """Frame lines of a stacktrace text (lines starting with a blank), blank removed."""
    if isinstance(stacktrace, bytes):
        stacktrace = stacktrace.decode("utf-8", "backslashreplace")
    return tuple([line[1:] for line in stacktrace.split("\n") if line[:1] == " "])


@functools.lru_cache(maxsize=1 << 16)
def stack_key(stacktrace: bytes, normalize: bool = False) -> tuple:
    """`frames_of` (optionally normalised), cached: successive snapshots of one kernel share
    nearly all their stack texts, and equal keys are then the same tuple object."""
    fr = frames_of(stacktrace)
    return normalize_stack(fr) if normalize else fr


_FRAME = re.compile(r"^(?:\[<[0-9a-fA-F]+>\]\s+)?(?P<sym>[^\s+]+)(?P<off>\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+)?"
                    r"(?P<rest>.*)$")


def normalize_frame(frame: str) -> str:
    """``sym.isra.0+0x1a/0x40 [mod]`` -> ``sym [mod]``: drops the ``[<addr>]`` of old kernels,
    ``+0xOFF/0xSIZE`` and compiler suffixes (``.isra.N``, ``.constprop.N``, ``.part.N``,
    ``.cold``, LTO ``.llvm.N`` / ``.lto_priv.N`` hashes: C identifiers cannot hold a dot, so
    everything from the first dot is the compiler's)."""
    m = _FRAME.match(frame)
    if m is None:  # pragma: no cover - the pattern matches any string
        return frame
    sym = m.group("sym")
    dot = sym.find(".", 1)
    if dot > 0:
        sym = sym[:dot]
    rest = m.group("rest").strip()
    return f"{sym} {rest}" if rest else sym


def normalize_stack(frames: Iterable[str]) -> tuple:
    return tuple(normalize_frame(f) for f in frames)


_ALLOC_INTERNAL = re.compile(
    r"^(post_alloc_hook|prep_new_page|get_page_from_freelist|__?alloc_pages\w*|alloc_pages\w*|"
    r"__alloc_frozen_pages\w*|folio_alloc\w*|filemap_alloc_folio\w*|__folio_alloc\w*|vma_alloc_folio\w*|allocate_slab|new_slab|"
    r"_+slab_alloc\w*|kmem_cache_alloc\w*|__kmalloc\w*|kmalloc\w*|__kmem_cache_alloc\w*|"
    r"alloc_slab_page|register_early_stack|register_dummy_stack|\w+_noprof)$")


def short_label(frames) -> str:
    """A one-line label for a stack: its first frame that is not allocator machinery."""
    if not isinstance(frames, tuple):
        return str(frames)
    if not frames:
        return "(no frames)"
    for fr in frames:
        sym = normalize_frame(fr).split(" ")[0]
        if not _ALLOC_INTERNAL.match(sym):
            return sym
    return normalize_frame(frames[-1]).split(" ")[0]


# --------------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------------

def tie_key(key):
    """The tie-breaker of every ranking: the key itself (keys of one table are all tuples,
    all strings or all ints); None sorts first."""
    return ("",) if key is None else key


def source_kind(src) -> str:
    """``"dump"`` or the StackFile's kind."""
    return src.kind if isinstance(src, StackFile) else "dump"


def resolve_by(src, by: str | None) -> str:
    """The grouping actually used: None means "stack", or "handle" for a show_handles file."""
    if by is None or by == "auto":
        return "handle" if isinstance(src, StackFile) and src.kind == "show_handles" else "stack"
    if by not in BY_CHOICES:
        raise UnsupportedKeyError(f"unknown grouping {by!r} (choose from {', '.join(BY_CHOICES)})")
    if isinstance(src, StackFile):
        if by in DUMP_ONLY:
            raise UnsupportedKeyError(
                f"--by {by} needs a full page_owner dump; {src.source} is a {src.kind} file, "
                f"which has {'handles' if src.kind == 'show_handles' else 'stacks'} only")
        if by == "stack" and src.kind == "show_handles":
            raise UnsupportedKeyError(
                f"{src.source} is a show_handles file (no frames): use --by handle, or resolve "
                "the handles with the show_stacks_handles file of the same boot")
        if by == "handle" and src.kind == "show_stacks":
            raise UnsupportedKeyError(f"--by handle: {src.source} is a show_stacks file without handles")
    return by


def _dump_handle(stack: bytes):
    m = re.search(rb"^handle: *([0-9]+)$", stack, re.M)
    return int(m.group(1)) if m else None


def _gfp_label(dump, mask: int, row: int) -> str:
    h = dump.headers[dump.header_id[row]]
    m = re.search(rb"mask (0x[0-9a-f]+(?:\([^)]*\))?)", h)
    return m.group(1).decode("utf-8", "backslashreplace") if m else f"{mask:#x}"


def _alloc_label(bits: int) -> str:
    return " ".join(n for b, n in F.ALLOCATOR_NAMES if bits & b) or "-"


def dump_counts(dump, by: str, normalize: bool = False) -> dict:
    """{key: [blocks, pages]} of a Dump (rows may be aggregated: blocks = sum of ``count``);
    empty blocks (no text at all) are left out."""
    keep = ~dump.empty_mask()
    rows = np.flatnonzero(keep)
    _check_field(dump, by, rows)
    pages_col = dump.pages[rows].astype(np.int64)
    count_col = dump.count[rows].astype(np.int64) if hasattr(dump, "count") else None
    out: dict = {}

    def add(key, b, p):
        v = out.get(key)
        if v is None:
            out[key] = [int(b), int(p)]
        else:
            v[0] += int(b)
            v[1] += int(p)

    def by_codes(codes, n, label):
        codes = np.asarray(codes, dtype=np.int64)
        blocks = np.bincount(codes, minlength=n) if count_col is None else _sum_by(codes, count_col, n)
        pages = _sum_by(codes, pages_col, n)
        for c in np.flatnonzero(blocks).tolist():
            add(label(c), blocks[c], pages[c])

    if by == "stack" or by == "handle":
        sid = dump.stack_id[rows]

        def lab(c):
            st = dump.stacks[c]
            if by == "handle":
                h = _dump_handle(st)
                if h is None:
                    raise UnsupportedKeyError(f"--by handle: {dump.source} has no 'handle:' lines "
                                              "(only dumps in the kernel's handle print mode do)")
                return h
            return stack_key(st, normalize)
        by_codes(sid, len(dump.stacks), lab)
    elif by == "comm":
        by_codes(dump.comm_id[rows], len(dump.comms), dump.comms.text)
    elif by == "module":
        by_codes(dump.module_id[rows], len(dump.modules), dump.modules.text)
    elif by in ("pid", "tgid", "order"):
        col = getattr(dump, by)[rows].astype(np.int64)
        u, inv = np.unique(col, return_inverse=True)
        by_codes(inv, len(u), lambda c: int(u[c]))
    elif by == "allocator":
        by_codes(dump.allocator[rows], 256, _alloc_label)
    elif by == "migratetype":
        mt = dump.migratetype[rows].astype(np.int64)
        n = len(F.MIGRATETYPES)
        by_codes(np.where(mt < 0, n, mt), n + 1,
                 lambda c: F.MIGRATETYPES[c] if c < n else "unknown")
    elif by == "gfp":
        col = dump.gfp_mask[rows]
        u, first, inv = np.unique(col, return_index=True, return_inverse=True)
        by_codes(inv, len(u), lambda c: _gfp_label(dump, int(u[c]), int(rows[first[c]])))
    else:  # pragma: no cover - guarded by resolve_by
        raise UnsupportedKeyError(f"unknown grouping {by!r}")
    return out


_FIELD_BIT = {"comm": (F.BAD_COMM, "comm", "5.18"), "tgid": (F.BAD_TGID, "tgid", "5.18"),
              "pid": (F.BAD_PID, "pid", "5.11"), "gfp": (F.BAD_MASK, "gfp mask", "3.19")}


def _check_field(dump, by, rows) -> None:
    """A grouping by a field that no block of the dump has is an error, not one big group."""
    if len(rows) == 0:
        return
    if by in _FIELD_BIT:
        bit, name, since = _FIELD_BIT[by]
        if bool(np.all(dump.bad[rows] & bit)):
            raise UnsupportedKeyError(f"--by {by}: no block of {dump.source} has a {name} field "
                                      f"(kernels print it from {since} on)")
    elif by == "migratetype" and bool(np.all(dump.migratetype[rows] < 0)):
        raise UnsupportedKeyError(f"--by migratetype: {dump.source} has no PFN lines with a "
                                  "migratetype (kernels print them from 4.6 on)")


def _sum_by(codes, weights, n):
    """int64 sums of weights per code: np.bincount (float64) while that is exact, else
    sorted reduceat."""
    if len(weights) == 0 or int(np.abs(weights).sum()) < (1 << 53):
        return np.rint(np.bincount(codes, weights=weights, minlength=n)).astype(np.int64)
    return _bincount_i64(codes, weights, n)


def _bincount_i64(codes, weights, n):
    """Exact int64 sums per code (np.bincount's float64 weights are exact only below 2**53)."""
    order = np.argsort(codes, kind="stable")
    sc = codes[order]
    sw = weights[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]]) if len(sc) else np.zeros(0, np.int64)
    out = np.zeros(n, dtype=np.int64)
    if len(sc):
        out[sc[starts]] = np.add.reduceat(sw, starts)
    return out


def counts(src, by: str | None = None, normalize: bool = False) -> dict:
    """{key: [blocks, pages]} for a Dump or a StackFile (blocks is None for a StackFile).

    Keys: a tuple of frame strings for ``by="stack"``, an int for handle/pid/tgid/order, a
    string otherwise. Raises UnsupportedKeyError when the source does not have the key."""
    by = resolve_by(src, by)
    if not isinstance(src, StackFile):
        return dump_counts(src, by, normalize)
    if not src.has_counts:
        raise UnsupportedKeyError(f"{src.source} is a show_stacks_handles file: it maps handles "
                                  "to stacks but counts no pages")
    out: dict = {}
    for fr, p, h in zip(src.frames, src.pages, src.handles):
        key = h if by == "handle" else (normalize_stack(fr) if normalize else fr)
        v = out.get(key)
        if v is None:
            out[key] = [None, p]
        else:
            v[1] += p
    return out


def stack_file_of(src, *, normalize: bool = False) -> StackFile:
    """A show_stacks-like StackFile of any source (a dump: pages = sum of 2^order per frame
    stack), records ordered by pages descending."""
    if isinstance(src, StackFile) and not src.has_counts:
        return src
    by = "handle" if isinstance(src, StackFile) and src.kind == "show_handles" else "stack"
    c = counts(src, by, normalize)
    items = sorted(c.items(), key=lambda kv: (-kv[1][1], tie_key(kv[0])))
    kind = src.kind if isinstance(src, StackFile) else "show_stacks"
    unit = src.unit if isinstance(src, StackFile) else "pages"
    if by == "handle":
        return StackFile(kind, unit, [() for _ in items], [v[1] for _, v in items],
                         [k for k, _ in items], [0] * len(items), src.source)
    if isinstance(src, StackFile) and not normalize:
        # keep each record's own count label and handle (stack keys are unique there unless
        # the file repeats a stack)
        recs = sorted(zip(src.frames, src.pages, src.handles, src.labels),
                      key=lambda r: (-r[1], tie_key(r[0])))
        if len({r[0] for r in recs}) == len(recs):
            return StackFile(kind, unit, [r[0] for r in recs], [r[1] for r in recs],
                             [r[2] for r in recs], [0] * len(recs), src.source, [r[3] for r in recs])
    return StackFile(kind, unit, [k for k, _ in items], [v[1] for _, v in items],
                     [None] * len(items), [0] * len(items), src.source)


def render_show_stacks(src, *, threshold: int = 0, normalize: bool = False) -> bytes:
    """show_stacks text of any source, as the kernel prints it: frames (one leading blank),
    ``nr_base_pages: N`` (``stack_count:`` for a v6.9-rc file, ``handle:`` lines where
    known), an empty line. Records with fewer than max(1, threshold) pages are left out,
    as with the kernel's count_threshold; the rest come by pages descending."""
    sf = stack_file_of(src, normalize=normalize)
    out = []
    for fr, p, h, lab in zip(sf.frames, sf.pages, sf.handles, sf.labels):
        label = b"stack_count: " if lab == "stack_count" else b"nr_base_pages: "
        if p is not None and p < max(1, threshold):
            continue
        parts = [b" " + f.encode("utf-8", "surrogateescape") + b"\n" for f in fr]
        if h is not None:
            parts.append(b"handle: %d\n" % h)
        if p is not None:
            parts.append(label + b"%d\n" % p)
        parts.append(b"\n")
        out.append(b"".join(parts))
    return b"".join(out)
