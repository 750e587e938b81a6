"""The library entry points: ``generate()``, ``path_stacks()``, ``parse_size()``."""

from __future__ import annotations

import re
from typing import Any, Protocol

import numpy as np

from . import _vocab as V
from ._emit import Emitter
from ._model import Model
from ._plant import Truth, normalise
from ._shapes import resolve


class Writer(Protocol):
    """What `generate` writes to: a binary file, or anything with `write(bytes)`."""

    def write(self, data: bytes, /) -> object: ...


def generate(out: Writer, *, size: int | None = None, blocks: int | None = None, era: str | None = None,
             seed: int = 0, n_paths: int | None = None, zipf_a: float | None = None, plant: Any = None,
             stack_variant: int = 0, slab_flag: bool = True, shape: str | None = None,
             memcg_rate: float | None = None, memcgs: int | None = None, memcg_offline: float | None = None,
             migrate_rate: float | None = None, thread_share: float | None = None,
             free_ts_share: float | None = None, processes: int | None = None,
             run_length: float | None = None, orders: Any = None, early_share: float | None = None,
             plant_memcg: Any = None,
             plant_mixed: Any = None, plant_window: Any = None) -> dict[str, Any]:
    """Write a synthetic page_owner dump to the binary file object ``out``.

    Parameters
    ----------
    size:
        Stop before the dump would exceed this many bytes (always at a block
        boundary; at least one block is written).  Planted blocks come on top.
    blocks:
        Stop after this many (non-planted) blocks.  With both ``size`` and
        ``blocks`` the first limit reached wins; with neither, ``size`` is 10 MiB.
    era:
        One of ``ERAS`` (see the package docstring); default ``"6.7"``.
    seed:
        Seeds every random choice; equal arguments give byte-identical dumps.
    n_paths:
        Size of the call-path pool (path ``k`` has Zipf rank ``k``: 0 is the
        most frequent); default 2000.  Fewer distinct paths may appear in a small dump.
    zipf_a:
        Exponent of the Zipf law used to choose the path of each run; default 1.2.
    plant:
        A known leak to add: ``{"path": k, "blocks": n}`` (or a list of such
        dicts, or ``(k, n)`` pairs) adds ``n`` extra order-0 blocks with call
        path ``k``, spread over the dump in runs of 1-64 blocks.  They carry
        path ``k``'s mask and stack, its first task, no migrate line, and
        free_ts 0.  All other blocks keep exactly the header/stack/trailer text
        they have without ``plant`` (only PFN numbers move up to make room),
        so the planted dump sorts like the plain one plus ``n`` blocks for
        path ``k``.  The returned ``"planted"`` list gives each path's stack.
    stack_variant:
        Simulates another build of the same kernel: 0 is the base build; any
        other value deterministically changes every frame's ``+0xOFF/0xSIZE``
        and appends ``.isra.N`` / ``.constprop.N`` / ``.part.0`` / ``.cold``
        suffixes to about 8% of the symbols.  Paths, tasks, orders, timestamps
        and trailers are unchanged, so two variants contain the same call paths
        under different frame text.
    slab_flag:
        Print the ``slab`` page flag on slab pages (kernels up to ~v6.9; the
        tools' SLAB classification relies on it).  ``False`` mimics v6.10+,
        where slab is a page type and the flag is gone.
    shape:
        A named preset from ``SHAPES`` (``"default"``, ``"cgroup-heavy-6.7"``,
        ``"6.1-long-running"``): its values are the defaults of ``era``,
        ``n_paths``, ``zipf_a`` and the knobs below; explicit arguments win.
    memcg_rate, memcgs, memcg_offline:
        Share of regular blocks with a ``Charged ... memcg`` line (decided per run),
        the number of cgroups they are charged to (default 3; names from the data
        tables), and the share of charged blocks whose cgroup is offline (the last
        cgroups of the pool are the offline ones; default 0).  Replaces the original
        per-path/per-task memcg lines entirely.
    migrate_rate:
        Share of regular blocks with a ``Page has been migrated`` line (per block).
    thread_share:
        Share of regular blocks allocated by a thread (pid != tgid): runs of
        user-space paths are given to a thread of their process.  Builds the task
        pool of ``processes`` (each with 2-6 threads).
    free_ts_share:
        Share of regular blocks whose free_ts is non-zero (eras 5.13-6.6; the
        original is about 0.65).
    processes:
        Number of user-space processes (default: the original pool's, ~100);
        kernel threads and the idle tasks come on top.
    run_length:
        Mean length of a run (consecutive blocks of one path and task) for every
        regular path; originally 1.5-32 depending on the path's kind.
    orders:
        Order distribution of regular blocks, e.g. ``{0: 80, 1: 8, 2: 5, 3: 5, 9: 2}``
        or ``"0:80,1:8,2:5,3:5,9:2"`` (weights, drawn per run); replaces the
        path's own order.
    early_share:
        Share of early-boot blocks (originally 10-35%, more with short runs): their
        runs are lengthened or shortened to reach it; 0 leaves them out.
    plant_memcg:
        ``{"memcg": name, "blocks": n, "offline": False, "path": k, "order": 0}``
        (or a list): ``n`` extra blocks charged to cgroup ``name``; the path
        defaults to the most popular user-page path.
    plant_mixed:
        ``{"path": k, "blocks": n, "block_type": "Movable", "pageblocks": m,
        "fill": 32, "order": 0}`` (or a list): ``n`` allocations of path ``k``
        (default: the most popular Unmovable path) placed in ``m`` whole
        pageblocks of type ``block_type`` (default: Movable, or Unmovable for a
        Movable path), each pageblock also holding ``fill`` order-0 allocations of
        a path of the block's own type.
    plant_window:
        ``{"start": ns, "end": ns, "blocks": n, "path": k, "order": 0}`` (or a
        list): ``n`` extra blocks of path ``k`` (default 0) with distinct ts in
        ``[start, end)``; with ``blocks`` 0 the window is only counted.

    Rates are shares of all blocks (planted ones aside).  Early-boot blocks
    (``mask 0x0()``, pid 0/1) always keep their boot-time form -- order 0, no
    memcg or migrate line, free_ts 0, no thread -- so the regular blocks carry
    each rate divided by their expected share.  A knob left at None keeps the
    original behaviour, and with no knob and no new plant the output is
    byte-identical to the generator's before the knobs existed.

    Returns
    -------
    dict with ``blocks`` (all blocks written), ``bytes``, ``paths`` (distinct
    call paths present), ``planted_blocks``, ``planted`` (list of
    ``{"path", "blocks", "stack"}`` for ``plant``), ``era``, ``seed``,
    ``shape`` (the knobs in effect) and ``truth``: counted over every block
    written, ``memcg`` (blocks and pages per cgroup name and offline state),
    ``mixed`` (blocks, pages and distinct pageblocks per stack, page type and
    pageblock type, for every block whose two types differ -- CMA pageblocks
    holding Movable pages included), ``windows`` (blocks and pages with ts in
    each ``plant_window``, and how many of them were planted) and ``plants``
    (each planted request: its stack, blocks and pages; for ``plant_mixed``
    its pageblock numbers).
    """
    if size is None and blocks is None:
        size = 10 << 20
    if (size is not None and size < 0) or (blocks is not None and blocks < 0):
        raise ValueError("size and blocks must be non-negative")
    base, knobs = resolve(shape, dict(
        era=era, n_paths=n_paths, zipf_a=zipf_a, memcg_rate=memcg_rate, memcgs=memcgs,
        memcg_offline=memcg_offline, migrate_rate=migrate_rate, thread_share=thread_share,
        free_ts_share=free_ts_share, processes=processes, run_length=run_length, orders=orders,
        early_share=early_share))
    era = base["era"]
    model = Model(era=era, seed=seed, n_paths=base["n_paths"], zipf_a=base["zipf_a"],
                  stack_variant=stack_variant, slab_flag=slab_flag, knobs=knobs)
    plants = normalise(model, plant, plant_memcg, plant_mixed, plant_window)
    expected = blocks if blocks is not None else max(1, (size or 0) // V.BYTES_PER_BLOCK[era])
    if blocks is not None and size is not None:
        expected = min(blocks, max(1, size // V.BYTES_PER_BLOCK[era]))
    em = Emitter(model, plants, expected)
    truth = Truth(model, plants)

    written = 0        # all bytes
    base_bytes = 0     # bytes of non-planted blocks
    n_blocks = 0
    n_planted = 0
    done = (blocks == 0) or (size == 0)
    while not done:
        left = None if blocks is None else blocks - em.base_blocks
        strs, is_base, meta = em.batch(left)
        if blocks is not None and em.base_blocks >= blocks:
            done = True
        if size is not None:
            lens = [len(s) for s in strs]
            bsum = sum(ln for ln, b in zip(lens, is_base) if b)
            if base_bytes + bsum > size:
                # cut at the last block boundary that keeps base bytes <= size
                acc = base_bytes
                cut = len(strs)
                for i, (ln, b) in enumerate(zip(lens, is_base)):
                    if b:
                        if acc + ln > size and (acc > 0 or i > 0):
                            cut = i
                            break
                        acc += ln
                # planted blocks behind the cut are kept (their PFNs are still ascending)
                keep = [i for i in range(cut, len(strs)) if not is_base[i]]
                strs = strs[:cut] + [strs[i] for i in keep]
                lens = lens[:cut] + [lens[i] for i in keep]
                is_base = is_base[:cut] + [False] * len(keep)
                idx = np.concatenate((np.arange(cut), np.array(keep, dtype=np.int64)))
                meta = {k: v[idx] for k, v in meta.items()}
                done = True
            base_bytes += sum(ln for ln, b in zip(lens, is_base) if b)
        n_planted += is_base.count(False)
        n_blocks += len(strs)
        truth.add(meta)
        data = "".join(strs).encode()
        out.write(data)
        written += len(data)
    # planted chunks not reached yet go at the end
    if em.pending:
        tail: list[str] = []
        ts_end = em.clock + 1_000_000
        for _, _, c, j in em.pending:
            pfn0, em.pfn = em._reserve(j, c, em.pfn)
            strs, meta = em.planted(j, c, pfn0, ts_end)
            tail.extend(strs)
            truth.add(meta)
            ts_end += 10_000_000
        em.pending = []
        data = "".join(tail).encode()
        out.write(data)
        written += len(data)
        n_blocks += len(tail)
        n_planted += len(tail)
    planted_info = [{"path": pl.path, "blocks": pl.blocks, "stack": str(model.stack[pl.path])}
                    for pl in plants if pl.kind == "leak"]
    for pl in plants:
        em.paths_seen[pl.path] = True
        if pl.fill_path >= 0:
            em.paths_seen[pl.fill_path] = True
    return {"blocks": n_blocks, "bytes": written, "paths": int(em.paths_seen.sum()),
            "planted_blocks": n_planted, "planted": planted_info, "era": era, "seed": seed,
            "shape": dict(base, **knobs.as_dict()) | ({"name": shape} if shape else {}),
            "truth": truth.result()}


def path_stacks(*, era: str = "6.7", seed: int = 0, n_paths: int = 2000, stack_variant: int = 0) -> list[str]:
    """The rendered stack text of every path in the pool (index = Zipf rank)."""
    model = Model(era=era, seed=seed, n_paths=n_paths, zipf_a=1.2, stack_variant=stack_variant,
                  slab_flag=True)
    return [str(s) for s in model.stack.tolist()]


_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """``"10M"`` -> 10 MiB; accepts K/M/G/T (binary, optional ``B``/``iB``) and plain bytes."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if not m:
        raise ValueError(f"bad size {text!r} (use e.g. 500K, 10M, 1G, 1.5G)")
    return int(float(m.group(1)) * _SUFFIX[m.group(2)])
