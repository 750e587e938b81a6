"""The keys an analysis can group by: the registry (`KEYS`: name, meaning, which sources have
it), the per-row integer codes of each key computed from a dump's NumPy columns and interned
tables (`key_codes`: a label per distinct code, computed once per distinct stack, comm, ...),
and the frame normalisation that makes keys of two kernel builds comparable.

For stacks the key is the tuple of frame lines only (the leading blank removed, innermost
first), as show_stacks prints them -- not page_owner_sort's stacktrace key, which also holds
trailer lines (migrate reason, memcg, ...).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _fields as F
from ..dump import Dump
from ..exceptions import UnsupportedKeyError, UsageError
from ..stacks import StackFile, frames_of

Source = Dump | StackFile
Counts = dict[Any, list[Any]]   # key -> [blocks (None for a show_stacks file), pages]

DUMP, KLOG = "dump", "kernel_log"
STACKS, HANDLES = "show_stacks", "show_handles"


@dataclass(frozen=True)
class KeySpec:
    """One key of the registry.

    ``name``: as given to ``by=`` / ``--by``; ``meaning``: one line; ``value``: what a key
    value is; ``sources``: the input kinds that have it (``"dump"``, ``"kernel_log"``,
    ``"show_stacks"``, ``"show_handles"``); ``per_block``: True when a row that folds
    identical blocks (``load(aggregate=True)``) would keep only its first block's value, so
    that grouping by it needs one row per block."""

    name: str
    meaning: str
    value: str
    sources: frozenset[str]
    per_block: bool = False


def _key(name: str, meaning: str, value: str, *sources: str, per_block: bool = False) -> KeySpec:
    return KeySpec(name, meaning, value, frozenset(sources), per_block)


KEYS: dict[str, KeySpec] = {k.name: k for k in (
    _key("stack", "the allocation call stack: its frame lines, innermost first",
          "tuple of frame strings", DUMP, KLOG, STACKS),
    _key("handle", "the stack depot handle (show_handles files; dumps in handle print mode)",
          "int", DUMP, HANDLES),
    _key("comm", "the allocating task's name (tgid N (comm))", "str", DUMP, KLOG),
    _key("pid", "the allocating thread's pid", "int", DUMP, KLOG),
    _key("tgid", "the allocating process (thread group id)", "int", DUMP, KLOG),
    _key("module", "the first kernel module named in the stack ([mod]), else vmlinux", "str",
          DUMP, KLOG),
    _key("allocator", "page_owner_sort's allocator class: CMA, SLAB, VMALLOC or OTHERS", "str",
          DUMP, KLOG),
    _key("order", "the allocation order (2**order pages)", "int", DUMP, KLOG),
    _key("gfp", "the gfp mask, as printed (0x...(FLAGS))", "str", DUMP, KLOG),
    _key("migratetype", "the page's migratetype (from the gfp mask: Unmovable, Movable, ...)",
          "str ('unknown' without one)", DUMP, KLOG),
    _key("memcg", "the memory cgroup charged (Charged ... memcg NAME), 'NAME (offline)' for "
          "an offline one; None for a block without a memcg line", "str or None", DUMP),
    _key("block_migratetype", "the migratetype of the pageblock holding the page (PFN line: "
          "Block N type T)", "str ('unknown' without one)", DUMP, per_block=True),
    _key("free_stack", "the stack that last freed the page (kernel-log reports only)",
          "tuple of frame strings, or None", KLOG),
)}
BY_CHOICES = tuple(KEYS)


def parse_by(by: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """``"comm,module"`` or ``["comm", "module"]`` -> ``("comm", "module")``; None or
    ``"auto"`` -> None (the source's own default: stack, or handle for a show_handles file).
    UsageError for an unknown or repeated key."""
    if by is None or by == "auto":
        return None
    names = [b.strip() for b in by.split(",")] if isinstance(by, str) else [str(b) for b in by]
    if not names or any(not n for n in names):
        raise UsageError(f"empty grouping key in {by!r}")
    for n in names:
        if n not in KEYS:
            raise UsageError(f"unknown grouping {n!r} (choose from {', '.join(BY_CHOICES)})")
    if len(set(names)) != len(names):
        raise UsageError(f"a grouping key is repeated in {by!r}")
    return tuple(names)


def by_text(by: Sequence[str]) -> str:
    return ",".join(by)


def source_kind(src: Source) -> str:
    """``"dump"``, ``"kernel_log"`` or the StackFile's kind."""
    return src.kind


def resolve_keys(src: Source, by: str | Sequence[str] | None) -> tuple[str, ...]:
    """The keys actually used for ``src``: None means ("stack",), or ("handle",) for a
    show_handles file. UnsupportedKeyError when the source does not have a key."""
    names = parse_by(by)
    if names is None:
        return ("handle",) if isinstance(src, StackFile) and src.kind == HANDLES else ("stack",)
    kind = source_kind(src)
    for name in names:
        ks = KEYS[name]
        if isinstance(src, StackFile):
            if name == "stack" and src.kind == HANDLES:
                raise UnsupportedKeyError(
                    f"{src.source} is a show_handles file (no frames): use --by handle, or "
                    "resolve the handles with the show_stacks_handles file of the same boot")
            if name == "handle" and src.kind != HANDLES:
                raise UnsupportedKeyError(f"--by handle: {src.source} is a {src.kind} file "
                                          "without handles")
            if name not in ("stack", "handle"):
                raise UnsupportedKeyError(
                    f"--by {name} needs a full page_owner dump; {src.source} is a {src.kind} "
                    f"file, which has {'handles' if src.kind == HANDLES else 'stacks'} only")
        elif kind not in ks.sources:
            if name == "free_stack":
                raise UnsupportedKeyError(
                    f"--by free_stack: only the page_owner reports of a kernel log name the "
                    f"stack that freed a page; {src.source} is a dump of allocated pages")
            raise UnsupportedKeyError(f"--by {name}: {src.source} is a {kind.replace('_', ' ')}, "
                                      f"which does not have it")
    return names


def resolve_by(src: Source, by: str | Sequence[str] | None) -> str:
    """`resolve_keys` as one comma-separated string (``"stack"``, ``"comm,module"``)."""
    return by_text(resolve_keys(src, by))


# --- frames -----------------------------------------------------------------------------------

_FRAME = re.compile(r"^(?:\[<[0-9a-fA-F]+>\]\s+)?(?P<sym>[^\s+]+)(?P<off>\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+)?"
                    r"(?P<rest>.*)$")


def normalize_frame(frame: str) -> str:
    """``sym.isra.0+0x1a/0x40 [mod]`` -> ``sym [mod]``: drops the ``[<addr>]`` of old kernels,
    ``+0xOFF/0xSIZE``, compiler suffixes (``.isra.N``, ``.constprop.N``, ``.part.N``,
    ``.cold``, LTO ``.llvm.N`` / ``.lto_priv.N`` hashes: C identifiers cannot hold a dot, so
    everything from the first dot is the compiler's) and the ``_noprof`` suffix that 6.10+
    kernels give allocator functions (memory allocation profiling), so that a 6.1 and a 6.12
    stack of one call path match."""
    m = _FRAME.match(frame)
    if m is None:  # pragma: no cover - the pattern matches any string
        return frame
    sym = m.group("sym")
    dot = sym.find(".", 1)
    if dot > 0:
        sym = sym[:dot]
    if sym.endswith("_noprof") and len(sym) > len("_noprof"):
        sym = sym[:-len("_noprof")]
    rest = m.group("rest").strip()
    return f"{sym} {rest}" if rest else sym


def normalize_stack(frames: Iterable[str]) -> tuple[str, ...]:
    return tuple(normalize_frame(f) for f in frames)


@functools.lru_cache(maxsize=1 << 16)
def stack_key(stacktrace: bytes, normalize: bool = False) -> tuple[str, ...]:
    """`frames_of` (optionally normalised), cached: successive snapshots of one kernel share
    nearly all their stack texts, and equal keys are then the same tuple object."""
    fr = frames_of(stacktrace)
    return normalize_stack(fr) if normalize else fr


_ALLOC_INTERNAL = re.compile(
    r"^(post_alloc_hook|prep_new_page|get_page_from_freelist|__?alloc_pages\w*|alloc_pages\w*|"
    r"__alloc_frozen_pages\w*|folio_alloc\w*|filemap_alloc_folio\w*|__folio_alloc\w*|vma_alloc_folio\w*|allocate_slab|new_slab|"
    r"_+slab_alloc\w*|kmem_cache_alloc\w*|__kmalloc\w*|kmalloc\w*|__kmem_cache_alloc\w*|"
    r"alloc_slab_page|register_early_stack|register_dummy_stack|set_page_owner|\w+_noprof)$")


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


def sort_token(value: Any) -> Any:
    """A total order over key values of any kind (None first, then ints, strings, tuples):
    the tie-breaker of every ranking."""
    if value is None:
        return (0, 0)
    if isinstance(value, (bool, int, np.integer)):
        return (1, int(value))
    if isinstance(value, tuple):
        if set(map(type, value)) == {str}:  # a stack: (2, frame) each, made in C
            return (3, tuple(zip(repeat(2), value)))
        return (3, tuple(sort_token(v) for v in value))
    return (2, str(value))


tie_key = sort_token


# --- per-row codes of one key -------------------------------------------------------------------

Codes = tuple[npt.NDArray[np.int64], list[Any]]   # (code per row, key value per code)


def _by_table(ids: npt.NDArray[Any], label: Callable[[int], Any]) -> Codes:
    """Codes from an id column: ``label(id)`` once per distinct id present; ids whose labels
    are equal (frames that normalise alike, stacks differing only in trailer lines) share a
    code."""
    uids, inv = np.unique(np.asarray(ids, dtype=np.int64), return_inverse=True)
    values: list[Any] = []
    index: dict[Any, int] = {}
    lut = np.empty(len(uids), dtype=np.int64)
    for j, i in enumerate(uids.tolist()):
        v = label(i)
        c = index.get(v)
        if c is None:
            c = index[v] = len(values)
            values.append(v)
        lut[j] = c
    return lut[inv.reshape(-1)], values


def _by_value(col: npt.NDArray[Any], label: Callable[[int], Any] = int) -> Codes:
    u, inv = np.unique(col, return_inverse=True)
    return inv.reshape(-1).astype(np.int64), [label(int(v)) for v in u.tolist()]


_HANDLE_LINE = re.compile(rb"^handle: *([0-9]+)$", re.M)


def handle_of(stack: bytes) -> int | None:
    """The ``handle: N`` of a stack text (dumps in the kernel's handle print mode)."""
    m = _HANDLE_LINE.search(stack)
    return F.bounded_int(m.group(1), F.I64_MAX) if m else None


def memcg_of(stack: bytes) -> str | None:
    """The memcg a block's trailer lines charge it to: ``NAME`` for ``Charged [(via objcg) ]to
    memcg NAME``, ``NAME (offline)`` for ``... to offline memcg NAME`` (``offlined`` in some
    5.x kernels); None without such a line. The first such line counts."""
    k = stack.find(b"\nCharged ")
    if k < 0:
        if not stack.startswith(b"Charged "):
            return None
        k = -1
    end = stack.find(b"\n", k + 1)
    line = stack[k + 1:end if end >= 0 else len(stack)].decode("utf-8", "backslashreplace")
    rest = line[len("Charged "):].removeprefix("(via objcg) ").removeprefix("to ")
    offline = False
    for word in ("offline ", "offlined "):
        if rest.startswith(word):
            rest, offline = rest[len(word):], True
            break
    rest = rest.removeprefix("memcg ").strip()
    return f"{rest} (offline)" if offline else rest


_MASK_TEXT = re.compile(rb"mask (0x[0-9a-f]+(?:\([^)\n]*\))?)")


def _gfp_label(dump: Dump, mask: int, row: int) -> str:
    m = _MASK_TEXT.search(dump.headers[dump.header_id[row]])
    return m.group(1).decode("utf-8", "backslashreplace") if m else f"{mask:#x}"


def _alloc_label(bits: int) -> str:
    return " ".join(F.allocator_names(bits)) or "-"


def _mt_label(mt: int) -> str:
    return F.MIGRATETYPES[mt] if 0 <= mt < len(F.MIGRATETYPES) else "unknown"


_FIELD_BIT = {"comm": (F.BAD_COMM, "comm", "5.18"), "tgid": (F.BAD_TGID, "tgid", "5.18"),
              "pid": (F.BAD_PID, "pid", "5.11"), "gfp": (F.BAD_MASK, "gfp mask", "3.19")}


def check_field(dump: Dump, name: str, rows: npt.NDArray[np.int64]) -> None:
    """A grouping by a field that no block of the dump has is an error, not one big group."""
    if len(rows) == 0:
        return
    if name in _FIELD_BIT:
        bit, what, since = _FIELD_BIT[name]
        if bool(np.all(dump.bad[rows] & bit)):
            raise UnsupportedKeyError(f"--by {name}: no block of {dump.source} has a {what} field "
                                      f"(kernels print it from {since} on)")
    elif name == "migratetype" and bool(np.all(dump.migratetype[rows] < 0)):
        raise UnsupportedKeyError(f"--by migratetype: {dump.source} has no PFN lines with a "
                                  "migratetype (kernels print them from 4.6 on)")
    elif name == "block_migratetype":
        bmt = dump.column("block_migratetype", "--by block_migratetype")
        if bool(np.all(bmt[rows] < 0)):
            raise UnsupportedKeyError(f"--by block_migratetype: {dump.source} has no PFN lines "
                                      "with a pageblock type (Block N type T; kernels 4.6 on)")


def key_codes(dump: Dump, name: str, rows: npt.NDArray[np.int64], normalize: bool = False) -> Codes:
    """(code per row in ``rows``, key value per code) of key ``name`` over a dump's rows.
    Labels are computed once per distinct id (stack, comm, module, free stack) or value
    (pid, order, mask, ...), never per block."""
    check_field(dump, name, rows)
    if name == "stack":
        return _by_table(dump.stack_id[rows], lambda i: stack_key(dump.stacks[i], normalize))
    if name == "handle":
        def handle(i: int) -> int:
            h = handle_of(dump.stacks[i])
            if h is None:
                raise UnsupportedKeyError(f"--by handle: {dump.source} has no 'handle:' lines "
                                          "(only dumps in the kernel's handle print mode do)")
            return h
        return _by_table(dump.stack_id[rows], handle)
    if name == "memcg":
        return _by_table(dump.stack_id[rows], lambda i: memcg_of(dump.stacks[i]))
    if name == "free_stack":
        free_ids = dump.column("free_stack_id", "--by free_stack")
        tables = getattr(dump, "free_stacks", None)
        assert tables is not None

        def free(i: int) -> tuple[str, ...] | None:
            return None if i < 0 else stack_key(tables[i], normalize)
        return _by_table(free_ids[rows], free)
    if name == "comm":
        return _by_table(dump.comm_id[rows], dump.comms.text)
    if name == "module":
        return _by_table(dump.module_id[rows], dump.modules.text)
    if name in ("pid", "tgid", "order"):
        return _by_value(getattr(dump, name)[rows])
    if name == "allocator":
        return _by_value(dump.allocator[rows], _alloc_label)
    if name == "migratetype":
        return _by_value(dump.migratetype[rows], _mt_label)
    if name == "block_migratetype":
        return _by_value(dump.column("block_migratetype")[rows], _mt_label)
    if name == "gfp":
        col = dump.gfp_mask[rows]
        u, first, inv = np.unique(col, return_index=True, return_inverse=True)
        return inv.reshape(-1).astype(np.int64), [
            _gfp_label(dump, int(m), int(rows[f])) for m, f in zip(u.tolist(), first.tolist())]
    raise UsageError(f"unknown grouping {name!r}")  # pragma: no cover - parse_by checks


def stackfile_codes(src: StackFile, name: str, normalize: bool = False) -> Codes:
    """(code per record with a count, key value per code) of a page_owner_stacks file."""
    values: list[Any] = []
    index: dict[Any, int] = {}
    codes = []
    for fr, p, h in zip(src.frames, src.pages, src.handles):
        if p is None:
            continue
        key = h if name == "handle" else (normalize_stack(fr) if normalize else fr)
        c = index.get(key)
        if c is None:
            c = index[key] = len(values)
            values.append(key)
        codes.append(c)
    return np.asarray(codes, dtype=np.int64), values


def sum_by(codes: npt.NDArray[np.int64], weights: npt.NDArray[Any], n: int) -> npt.NDArray[Any]:
    """Sums of `weights` per code (0..n-1), exact: np.bincount (float64) while every sum is
    below 2**53, int64 while below 2**63, Python integers beyond."""
    if len(weights) == 0:
        return np.zeros(n, dtype=np.int64)
    if weights.dtype == object:
        vals = [int(w) for w in weights.tolist()]
        bound = max(abs(v) for v in vals) * len(vals)
        weights = np.array(vals, dtype=np.int64 if bound <= F.I64_MAX else object)
    else:
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
