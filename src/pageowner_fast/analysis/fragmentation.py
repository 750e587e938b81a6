"""`frag`: the fragmentation that page_owner's PFN lines show -- the kernel's own "mixed
pageblocks" count (/proc/pagetypeinfo, with page_owner on) and the culprits it cannot name.

Each PFN line says the page's migratetype (from its gfp mask) and its pageblock's:
``PFN 0x10a3f type Unmovable Block 133 type Movable ...``. A pageblock is *mixed* when it
holds at least one allocation whose page migratetype differs from the block's (the kernel's
rule: Movable pages in a CMA pageblock count too). The culprits are the allocation stacks
that do it, per (stack, page type, block type), ranked by the distinct pageblocks they
pollute, then by pages: "which call path pins my movable / CMA blocks".

A pageblock is a distinct ``Block N`` number; a block whose type changed while the dump was
read is counted under each type it was shown with.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _fields as F
from .._engine import Progress
from ..dump import Dump
from ..exceptions import UnsupportedKeyError, UsageError
from ..stacks import StackFile
from ..timewindow import time_window
from ._describe import describe_source
from ._load import AnySource, load_sources
from .grouping import Time, _combine
from .keys import key_codes, sort_token, sum_by
from .table import ResultTable
from .units import PageSize, parse_page_size

__all__ = ["FRAG_FOLD_KEY", "FragResult", "frag", "frag_loaded"]

# What frag reads of a block: its stack and its PFN line's pageblock and types. A load folded
# by these (`load(fold_key=)`) gives the same figures with one row per distinct value.
FRAG_FOLD_KEY = ("stacktrace", "block")

NT = 8   # radix of a migratetype index (+1 for unknown)


@dataclass
class FragResult:
    """``pageblocks``: a `ResultTable` with one row per pageblock type seen (``block_type``,
    ``pageblocks``, ``mixed``, ``pages``, ``bytes``: the pages allocated in those blocks).
    ``culprits``: one row per (``stack``, ``page_type``, ``block_type``) with different
    types: ``pageblocks`` (distinct pageblocks it sits in), ``pages``, ``bytes``,
    ``blocks`` (allocations), largest first. ``meta``: the input, page size, totals, and
    the time window where one was given."""

    pageblocks: ResultTable
    culprits: ResultTable
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"pageblocks": [...], "culprits": [...]}``, JSON-ready (stacks as lists)."""
        return {"pageblocks": self.pageblocks.to_records(), "culprits": self.culprits.to_records()}


def _mt(i: int) -> str:
    return F.MIGRATETYPES[i] if 0 <= i < len(F.MIGRATETYPES) else "unknown"


def _unique_pairs(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64],
                                                                              npt.NDArray[np.int64]]:
    """The distinct (a, b) pairs, ordered by a then b (any int64 values: packed into one
    int64 only when their ranges fit, else sorted as pairs)."""
    if len(a) == 0:
        return a, b
    alo, ahi, blo, bhi = int(a.min()), int(a.max()), int(b.min()), int(b.max())
    bbits = (bhi - blo).bit_length()
    if (ahi - alo).bit_length() + bbits <= 62:
        packed = np.unique(((a - alo) << bbits) | (b - blo))
        return (packed >> bbits) + alo, (packed & ((1 << bbits) - 1)) + blo
    order = np.lexsort((b, a))
    sa, sb = a[order], b[order]
    new = np.r_[True, (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])]
    return sa[new], sb[new]


def frag_loaded(dump: Dump, *, page_size: PageSize = 4096, normalize: bool = False,
                since: Time = None, until: Time = None) -> FragResult:
    """`frag` of a loaded dump: one row per block (``load(..., aggregate=False)``), or
    folded by stack and pageblock (``load(..., aggregate=True, fold_key=FRAG_FOLD_KEY)``)."""
    ps = parse_page_size(page_size)
    if isinstance(dump, StackFile):
        raise UnsupportedKeyError(f"frag: {dump.source} is a {dump.kind} file; the pageblock "
                                  "types are in the PFN lines of a full page_owner dump")
    block = dump.column("block", "frag")
    bmt = dump.column("block_migratetype", "frag").astype(np.int64)
    rows = ~dump.empty_mask()
    by_block = "block" in dump.stats.get("fold_key", ())
    if len(dump) and not by_block and bool(np.any(dump.count[rows] > 1)):
        raise UsageError(f"frag: {dump.source} was loaded with identical blocks folded into one "
                         "row, which keeps only the first block's PFN line; load it with "
                         "aggregate=False (or fold_key=FRAG_FOLD_KEY)")
    has = rows & (block >= 0) & (bmt >= 0)
    if bool(rows.any()) and not bool(has.any()):
        raise UnsupportedKeyError(f"frag: {dump.source} has no PFN lines with a pageblock "
                                  "(Block N type T; kernels print them from 4.6 on)")
    meta: dict[str, Any] = {"input": describe_source(dump), "page_size": ps, "normalize": normalize}
    window = time_window(since, until)
    if window:
        keep, meta["window"] = window.mask(dump, rows, "frag --since/--until")
        has &= keep
    idx = np.flatnonzero(has)
    blk, bt = block[idx], bmt[idx]
    pt = dump.migratetype[idx].astype(np.int64)
    pages = dump.pages[idx]
    # pageblocks per type: distinct (block, type) pairs
    seen_per = np.bincount(_unique_pairs(bt, blk)[0], minlength=NT)
    mixed_rows = (pt >= 0) & (pt != bt)
    mixed_per = np.bincount(_unique_pairs(bt[mixed_rows], blk[mixed_rows])[0], minlength=NT)
    pages_per = sum_by(bt, pages, NT)
    pb_rows = []
    for t in range(NT):
        if seen_per[t]:
            p = int(pages_per[t])
            pb_rows.append({"block_type": _mt(t), "pageblocks": int(seen_per[t]),
                            "mixed": int(mixed_per[t]), "pages": p, "bytes": p * ps})
    # culprits: per (stack, page type, block type) of the mixed allocations
    cidx = idx[mixed_rows]
    cpt, cbt = pt[mixed_rows], bt[mixed_rows]
    codes, stacks = key_codes(dump, "stack", cidx, normalize)
    group, ngroups = _combine([(codes, len(stacks)), (cpt, NT), (cbt, NT)], len(cidx))
    cpages = sum_by(group, dump.pages[cidx], ngroups)
    cblocks = sum_by(group, dump.count[cidx], ngroups)
    npb = np.bincount(_unique_pairs(group, blk[mixed_rows])[0], minlength=ngroups)
    rep = np.zeros(ngroups, dtype=np.int64)
    rep[group] = np.arange(len(cidx), dtype=np.int64)
    cul = []
    for c, a, b, p, nb, k in zip(codes[rep].tolist(), cpt[rep].tolist(),
                                 cbt[rep].tolist(), cpages.tolist(),
                                 cblocks.tolist(), npb.tolist()):
        cul.append({"stack": stacks[c], "page_type": _mt(a), "block_type": _mt(b),
                    "pageblocks": int(k), "pages": int(p), "bytes": int(p) * ps, "blocks": int(nb)})
    cul.sort(key=lambda c: (-c["pageblocks"], -c["pages"], c["page_type"], c["block_type"],
                            sort_token(c["stack"])))
    meta.update(pageblocks=int(seen_per.sum()), mixed=int(mixed_per.sum()),
                blocks_with_pageblock=int(dump.count[idx].sum()))
    return FragResult(
        ResultTable(["block_type", "pageblocks", "mixed", "pages", "bytes"], pb_rows,
                    by=("block_migratetype",), meta=meta),
        ResultTable(["stack", "page_type", "block_type", "pageblocks", "pages", "bytes", "blocks"],
                    cul, by=("stack", "migratetype", "block_migratetype"), meta=meta),
        meta)


def frag(source: AnySource, *, page_size: PageSize = 4096, normalize: bool = False,
         since: Time = None, until: Time = None, threads: int | None = None,
         progress: Progress | None = None) -> FragResult:
    """Pageblocks per type (seen, mixed) and the culprit stacks of a page_owner dump of any
    era that prints PFN lines (4.6 on). ``normalize`` groups culprit stacks without frame
    offsets and compiler suffixes; ``page_size`` and ``since``/``until`` as in `group_by`.
    Each block's own PFN line counts: the dump is folded while reading by stack and
    pageblock (one row per block with a time window, which looks at each block's ts)."""
    parse_page_size(page_size)
    window = time_window(since, until)   # bad values fail before the read
    (src,) = load_sources([source], threads=threads, aggregate=not window, progress=progress,
                          fold_key=None if window else FRAG_FOLD_KEY)
    if isinstance(src, StackFile):
        raise UnsupportedKeyError(f"frag: {src.source} is a {src.kind} file; the pageblock "
                                  "types are in the PFN lines of a full page_owner dump")
    return frag_loaded(src, page_size=page_size, normalize=normalize, since=since, until=until)
