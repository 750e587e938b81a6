"""Call paths: the pool of distinct allocation stacks, and their rendering as frame lines."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _vocab as V
from ._eras import era_group, rename


@dataclass(slots=True)
class Path:
    """One call path of the pool: its kind, frames (era names), mask, order and habits."""

    kind: str
    frames: tuple[str, ...]
    tail: str
    mask: str
    mt: str                          # the page's migratetype, from the mask
    order: int
    alt_order: int                   # the order of the 3% of runs that differ
    flags: tuple[tuple[str, ...], ...]
    memcg: str | None                # the original memcg mode: charge, objcg, slab_objcg, slab_only
    run_mean: float
    mig_rate: float
    always_cma: bool


@functools.cache
def module_of(sym: str) -> str | None:
    """The module a frame belongs to (`` [ext4]``), or None for core kernel code."""
    if sym in V.NOT_MODULE:
        return None
    for prefix, mod in V.MODULE_PREFIXES:
        if sym.startswith(prefix):
            return mod
    return None


def hash64(*parts: object) -> int:
    h = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8)
    return int.from_bytes(h.digest(), "little")


def mt_of_mask(mask: str) -> str:
    """The page's migratetype, as the kernel derives it from the gfp mask."""
    if "MOVABLE" in mask or "TRANSHUGE" in mask:
        return "Movable"
    if "__GFP_RECLAIMABLE" in mask:
        return "Reclaimable"
    return "Unmovable"


def pick(rng: np.random.Generator, seq: tuple | list) -> Any:
    return seq[int(rng.integers(len(seq)))]


def _caller_slice(rng: np.random.Generator, chain: tuple[str, ...]) -> tuple[str, ...]:
    # any depth of the chain can allocate; shallow (inner) sites a bit more often
    start = int(min(len(chain) - 1, rng.integers(0, len(chain)) * rng.random() ** 0.5))
    return chain[start:]


def _build_frames(rng: np.random.Generator, kind: str) -> tuple[tuple[str, ...], str]:
    """Return (modern frame names innermost first, tail key) for one path."""
    if kind == "early":
        raise AssertionError("early paths are fixed")
    head = V.HEAD
    tails = V.TAILS
    mid: tuple[str, ...]
    if kind == "anon":
        tail, chain = pick(rng, V.ANON_TAILS)
        mid = ("alloc_pages_mpol_noprof", "folio_alloc_mpol_noprof", "vma_alloc_folio_noprof")
        if rng.random() < 0.5:
            mid = ("alloc_pages_mpol_noprof", "vma_alloc_folio_noprof")
        return head + mid + chain + tails[tail], tail
    if kind == "thp":
        tail, chain = pick(rng, V.THP_TAILS)
        mid = ("alloc_pages_mpol_noprof", "folio_alloc_mpol_noprof", "vma_alloc_folio_noprof")
        return head + mid + chain + tails[tail], tail
    if kind == "pagecache_read":
        tail, chain = pick(rng, V.FS_READ)
        mid = pick(rng, (("folio_alloc_noprof",), ("alloc_pages_mpol_noprof", "folio_alloc_noprof"),
                         ("folio_alloc_mpol_noprof", "folio_alloc_noprof")))
        ra = pick(rng, V.READAHEAD)
        return head + mid + ra + chain + tails[tail], tail
    if kind == "pagecache_write":
        tail, chain = pick(rng, V.FS_WRITE)
        mid = pick(rng, (("folio_alloc_noprof", "__filemap_get_folio"),
                         ("alloc_pages_mpol_noprof", "folio_alloc_noprof", "__filemap_get_folio"),
                         ("alloc_pages_mpol_noprof", "folio_alloc_mpol_noprof", "folio_alloc_noprof",
                          "__filemap_get_folio")))
        return head + mid + chain + tails[tail], tail
    if kind == "shmem":
        tail, chain = pick(rng, V.SHMEM_TAILS)
        mid = ("alloc_pages_mpol_noprof", "folio_alloc_mpol_noprof", "shmem_alloc_folio",
               "shmem_alloc_and_add_folio", "shmem_get_folio_gfp")
        if rng.random() < 0.3:
            mid = mid[1:]
        return head + mid + chain + tails[tail], tail
    if kind == "pte":
        tail, chain = pick(rng, V.PTE_TAILS)
        mid = ("alloc_pages_mpol_noprof",) if rng.random() < 0.7 else ()
        return head + mid + chain + tails[tail], tail
    if kind == "net":
        tail, chain = pick(rng, V.NET_TAILS)
        mid = ("alloc_pages_mpol_noprof",) if rng.random() < 0.5 else ()
        return head + mid + _caller_slice(rng, chain) + tails[tail], tail
    if kind == "cma":
        tail, chain = pick(rng, V.CMA_TAILS)
        return V.CMA_HEAD + chain + tails[tail], tail
    tail, chain = pick(rng, V.CALLERS)
    callers = _caller_slice(rng, chain)
    if kind == "slab":
        mid = ("allocate_slab", "___slab_alloc")
        if rng.random() < 0.4:
            mid = ("alloc_pages_mpol_noprof", *mid)
        if rng.random() < 0.2:
            mid = (*mid, "__slab_alloc.constprop.0")
        helper = pick(rng, V.HELPERS)
        return head + mid + (pick(rng, V.SLAB_API),) + helper + callers + tails[tail], tail
    if kind == "vmalloc":
        # a frame naming alloc_pages right inside __vmalloc_node_range (VMALLOC for the
        # C tool), or rarely an intermediate frame that hides it
        inner = pick(rng, (("alloc_pages_bulk_noprof",),) * 4 + (("alloc_pages_mpol_noprof",),) * 3
                     + (("alloc_pages_mpol_noprof", "__vmalloc_area_node"),))
        mid = (*inner, "__vmalloc_node_range_noprof", pick(rng, V.VMALLOC_API))
        return head + mid + callers + tails[tail], tail
    if kind == "kernel":
        mid = (pick(rng, V.KERNEL_API),)
        if rng.random() < 0.4:
            mid = ("alloc_pages_mpol_noprof", *mid)
        return head + mid + callers + tails[tail], tail
    raise ValueError(kind)


def _finish_frames(era: str, frames: Iterable[str], min_frames: int) -> tuple[str, ...] | None:
    out = []
    for f in frames:
        r = rename(era, f)
        if r is not None:
            out.append(r)
    out = out[:16]  # PAGE_OWNER_STACK_DEPTH: the outermost frames are lost
    if len(out) < min_frames:
        return None
    return tuple(out)


def _path_order(rng: np.random.Generator, kind: str, frames: tuple[str, ...], rank: int) -> int:
    if kind == "slab":
        return int(pick(rng, (0, 0, 0, 0, 1, 1, 2, 3)))
    if kind == "pagecache_read":
        return int(pick(rng, (0,) * 8 + (2, 4)))
    if kind == "thp":
        return 9
    if kind == "net":
        return 3 if "skb_page_frag_refill" in frames else 0
    if kind == "pte":
        return 1 if "pgd_alloc" in frames else 0
    if kind == "kernel":
        order = int(pick(rng, (0, 0, 0, 0, 1, 2, 4)))
        return 10 if rank % 97 == 41 else order
    if kind == "cma" and any(f.startswith("alloc_gigantic") for f in frames):
        return 9
    return 0


def build_paths(rng: np.random.Generator, era: str, n_paths: int) -> list[Path]:
    """The pool of ``n_paths`` distinct call paths; index = Zipf rank (0 most frequent)."""
    group = era_group(era)
    kinds = list(V.KIND_WEIGHTS)
    weights = np.array([V.KIND_WEIGHTS[k] for k in kinds], dtype=float)
    weights /= weights.sum()
    seen: set[tuple[str, ...]] = set()
    paths: list[Path] = []
    early_idx = 0
    filler = 0
    while len(paths) < n_paths:
        rank = len(paths)
        if rank in V.EARLY_RANKS:
            kind = "early"
        elif rank < len(V.TOP_KINDS):
            kind = V.TOP_KINDS[rank]
        else:
            kind = kinds[int(rng.choice(len(kinds), p=weights))]
        if kind == "early" and early_idx >= len(V.EARLY_PATHS):
            kind = "slab"
        frames: tuple[str, ...] | None
        if kind == "early":
            frames = _finish_frames(era, V.EARLY_PATHS[early_idx], 2)
            early_idx += 1
            tail = "none"
        else:
            frames = None
            while frames is None:
                for _attempt in range(60):
                    raw, tail = _build_frames(rng, kind)
                    if rank < 40 and "__vmalloc_area_node" in raw:
                        continue  # popular vmalloc paths are ones the tools recognise
                    frames = _finish_frames(era, raw, 5)
                    if frames is not None and frames not in seen:
                        break
                    frames = None
                else:
                    # this kind's vocabulary is (nearly) used up: draw another kind
                    weights[kinds.index(kind)] = 0.0
                    if weights.sum() > 0:
                        weights /= weights.sum()
                        kind = kinds[int(rng.choice(len(kinds), p=weights))]
                        continue
                    # everything is used up (huge n_paths): invent a driver caller
                    filler += 1
                    kind = "slab"
                    raw, tail = _build_frames(rng, kind)
                    frames = _finish_frames(era, (*raw[:6], f"drv{filler}_probe", *raw[6:]), 5)
        assert frames is not None
        if frames in seen:
            continue
        seen.add(frames)
        masks = V.MASKS[kind][group]
        mask = masks[0] if rng.random() < 0.6 else pick(rng, masks)
        order = _path_order(rng, kind, frames, rank)
        if kind == "slab" and order >= 1 and group == "new" and rng.random() < 0.5:
            mask = "0xd20c0(__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC)"
        alt_order = 0 if order > 0 else (1 if kind in ("slab", "kernel") else 0)
        # memcg mode
        memcg = None
        if group == "new":
            if kind in ("anon", "pagecache_read", "pagecache_write", "shmem", "thp"):
                memcg = "charge"
            elif "ACCOUNT" in mask:
                memcg = "slab_objcg" if kind == "slab" else "objcg"
            elif kind == "slab" and rng.random() < 0.25:
                memcg = "slab_only"
        paths.append(Path(kind=kind, frames=frames, tail=tail, mask=mask, mt=mt_of_mask(mask),
                          order=order, alt_order=alt_order, flags=V.FLAGS[kind], memcg=memcg,
                          run_mean=V.RUN_MEAN[kind], mig_rate=V.MIGRATE_RATE.get(kind, 0.002),
                          always_cma=(kind == "cma")))
    return paths


# ---------------------------------------------------------------------------
# Frame rendering (depends on the "kernel build", i.e. stack_variant)
# ---------------------------------------------------------------------------

@functools.cache
def _sym_name(sym: str, variant: int) -> str:
    if sym in V.KEEP_NAME or "." in sym or variant == 0:
        return sym
    h = hash64("suffix", variant, sym)
    if h % 100 < 8:
        suf = V.SUFFIXES[(h >> 8) % len(V.SUFFIXES)].format(n=(h >> 16) % 90)
        return sym + suf
    return sym


@functools.cache
def _sym_size(sym: str, variant: int) -> int:
    h = hash64("size", variant, sym)
    # log-uniform: wrappers and entry code are small, the rest 0x40..0x2000
    lo, hi = (0x10, 0x200) if sym.startswith(V.SMALL_SYMS) else (0x40, 0xc00)
    lo, hi = V.SIZE_RANGE.get(sym, (lo, hi))
    frac = (h & 0xFFFFFF) / 0xFFFFFF
    if hi > 0x400 and (h >> 32) % 10 == 0:
        hi *= 3  # a few big functions
    return int(lo * (hi / lo) ** frac)


def render_stack(era: str, frames: tuple[str, ...], variant: int) -> str:
    """The stack lines of a path (one leading space each, `` [module]`` for module code)."""
    lines = []
    for i, sym in enumerate(frames):
        callee = frames[i - 1] if i else ""
        size = _sym_size(sym, variant)
        # a return address: somewhere after the first few bytes of the caller
        off = size // 16 + 1 + hash64("off", variant, sym, callee) % max(1, size - size // 16 - 1)
        name = _sym_name(sym, variant)
        mod = module_of(sym)
        tail = f" [{mod}]" if mod else ""
        if era == "4.6":
            base = (0xffffffffc0000000 if mod else 0xffffffff81000000) + \
                (hash64("addr", variant, sym) % 0xf0000) * 16
            lines.append(f" [<{base + off:016x}>] {name}+0x{off:x}/0x{size:x}{tail}\n")
        else:
            lines.append(f" {name}+0x{off:x}/0x{size:x}{tail}\n")
    return "".join(lines)
