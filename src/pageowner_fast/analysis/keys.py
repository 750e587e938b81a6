"""Pages per key of any source: ``{key: [blocks, pages]}`` of a dump or a show_stacks file,
for one grouping (``by``), and the frame normalisation that makes keys of two kernel builds
comparable.

For stacks the key is the tuple of frame lines only (the leading blank removed, innermost
first), as show_stacks prints them -- not page_owner_sort's stacktrace key, which also holds
trailer lines (migrate reason, memcg, ...). Sums are exact (Python integers where int64
could wrap).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _fields as F
from ..dump import Dump
from ..exceptions import UnsupportedKeyError, UsageError
from ..stacks import StackFile, frames_of

# Keys a source can be grouped by. Stack files only know "stack" (and "handle").
BY_CHOICES = ("stack", "handle", "comm", "pid", "tgid", "module", "allocator", "order", "gfp",
              "migratetype")
DUMP_ONLY = frozenset(BY_CHOICES) - {"stack", "handle"}

Source = Dump | StackFile
Key = Hashable
Counts = dict[Any, list[Any]]   # key -> [blocks (None for a show_stacks file), pages]


@functools.lru_cache(maxsize=1 << 16)
def stack_key(stacktrace: bytes, normalize: bool = False) -> tuple[str, ...]:
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


def normalize_stack(frames: Iterable[str]) -> tuple[str, ...]:
    return tuple(normalize_frame(f) for f in frames)


_ALLOC_INTERNAL = re.compile(
    r"^(post_alloc_hook|prep_new_page|get_page_from_freelist|__?alloc_pages\w*|alloc_pages\w*|"
    r"__alloc_frozen_pages\w*|folio_alloc\w*|filemap_alloc_folio\w*|__folio_alloc\w*|vma_alloc_folio\w*|allocate_slab|new_slab|"
    r"_+slab_alloc\w*|kmem_cache_alloc\w*|__kmalloc\w*|kmalloc\w*|__kmem_cache_alloc\w*|"
    r"alloc_slab_page|register_early_stack|register_dummy_stack|\w+_noprof)$")


def short_label(frames: Any) -> str:
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


def tie_key(key: Any) -> Any:
    """The tie-breaker of every ranking: the key itself (keys of one table are all tuples,
    all strings or all ints); None sorts first."""
    return ("",) if key is None else key


def source_kind(src: Source) -> str:
    """``"dump"`` or the StackFile's kind."""
    return src.kind if isinstance(src, StackFile) else "dump"


def resolve_by(src: Source, by: str | None) -> str:
    """The grouping actually used: None means "stack", or "handle" for a show_handles file."""
    if by is None or by == "auto":
        return "handle" if isinstance(src, StackFile) and src.kind == "show_handles" else "stack"
    if by not in BY_CHOICES:
        raise UsageError(f"unknown grouping {by!r} (choose from {', '.join(BY_CHOICES)})")
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


_HANDLE_LINE = re.compile(rb"^handle: *([0-9]+)$", re.M)


def _dump_handle(stack: bytes) -> int | None:
    m = _HANDLE_LINE.search(stack)
    return F.bounded_int(m.group(1), F.I64_MAX) if m else None


_MASK_TEXT = re.compile(rb"mask (0x[0-9a-f]+(?:\([^)]*\))?)")


def _gfp_label(dump: Dump, mask: int, row: int) -> str:
    m = _MASK_TEXT.search(dump.headers[dump.header_id[row]])
    return m.group(1).decode("utf-8", "backslashreplace") if m else f"{mask:#x}"


def _alloc_label(bits: int) -> str:
    return " ".join(F.allocator_names(bits)) or "-"


def sum_by(codes: npt.NDArray[np.int64], weights: npt.NDArray[Any], n: int) -> npt.NDArray[Any]:
    """Sums of `weights` per code (0..n-1), exact: np.bincount (float64) while every sum is
    below 2**53, int64 while below 2**63, Python integers beyond."""
    if len(weights) == 0:
        return np.zeros(n, dtype=np.int64)
    bound = max(abs(int(weights.min())), abs(int(weights.max()))) * len(weights)
    if bound < (1 << 53):
        return np.bincount(codes, weights=weights, minlength=n).astype(np.int64)
    order = np.argsort(codes, kind="stable")
    sc = codes[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
    wide = bound > F.I64_MAX
    out = np.zeros(n, dtype=object if wide else np.int64)
    sw = weights[order].astype(object if wide else np.int64)
    out[sc[starts]] = np.add.reduceat(sw, starts)
    return out


def dump_counts(dump: Dump, by: str, normalize: bool = False) -> Counts:
    """{key: [blocks, pages]} of a Dump (rows may be aggregated: blocks = sum of ``count``);
    empty blocks (no text at all) are left out."""
    rows = np.flatnonzero(~dump.empty_mask())
    _check_field(dump, by, rows)
    pages_col = dump.pages[rows]
    count_col = dump.count[rows]
    out: Counts = {}

    def by_codes(codes: npt.NDArray[Any], n: int, label: Callable[[int], Any]) -> None:
        codes = np.asarray(codes, dtype=np.int64)
        blocks = sum_by(codes, count_col, n)
        pages = sum_by(codes, pages_col, n)
        for c in np.flatnonzero(blocks).tolist():
            key = label(c)
            v = out.get(key)
            if v is None:
                out[key] = [int(blocks[c]), int(pages[c])]
            else:  # two codes with one key (e.g. frames that normalise alike)
                v[0] += int(blocks[c])
                v[1] += int(pages[c])

    if by == "stack" or by == "handle":
        def lab(c: int) -> Any:
            st = dump.stacks[c]
            if by == "handle":
                h = _dump_handle(st)
                if h is None:
                    raise UnsupportedKeyError(f"--by handle: {dump.source} has no 'handle:' lines "
                                              "(only dumps in the kernel's handle print mode do)")
                return h
            return stack_key(st, normalize)
        by_codes(dump.stack_id[rows], len(dump.stacks), lab)
    elif by == "comm":
        by_codes(dump.comm_id[rows], len(dump.comms), dump.comms.text)
    elif by == "module":
        by_codes(dump.module_id[rows], len(dump.modules), dump.modules.text)
    elif by in ("pid", "tgid", "order"):
        col = getattr(dump, by)[rows].astype(np.int64)
        u, inv = np.unique(col, return_inverse=True)
        by_codes(inv.reshape(-1), len(u), lambda c: int(u[c]))
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
        by_codes(inv.reshape(-1), len(u),
                 lambda c: _gfp_label(dump, int(u[c]), int(rows[first[c]])))
    else:  # pragma: no cover - guarded by resolve_by
        raise UsageError(f"unknown grouping {by!r}")
    return out


_FIELD_BIT = {"comm": (F.BAD_COMM, "comm", "5.18"), "tgid": (F.BAD_TGID, "tgid", "5.18"),
              "pid": (F.BAD_PID, "pid", "5.11"), "gfp": (F.BAD_MASK, "gfp mask", "3.19")}


def _check_field(dump: Dump, by: str, rows: npt.NDArray[np.int64]) -> None:
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


def counts(src: Source, by: str | None = None, normalize: bool = False) -> Counts:
    """{key: [blocks, pages]} for a Dump or a StackFile (blocks is None for a StackFile).

    Keys: a tuple of frame strings for ``by="stack"``, an int for handle/pid/tgid/order, a
    string otherwise. Raises UnsupportedKeyError when the source does not have the key."""
    by = resolve_by(src, by)
    if not isinstance(src, StackFile):
        return dump_counts(src, by, normalize)
    if not src.has_counts:
        raise UnsupportedKeyError(f"{src.source} is a show_stacks_handles file: it maps handles "
                                  "to stacks but counts no pages")
    out: Counts = {}
    for fr, p, h in zip(src.frames, src.pages, src.handles):
        key = h if by == "handle" else (normalize_stack(fr) if normalize else fr)
        v = out.get(key)
        if v is None:
            out[key] = [None, p]
        else:
            v[1] += p
    return out
