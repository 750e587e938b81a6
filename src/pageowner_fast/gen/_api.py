"""The library entry points: ``generate()``, ``path_stacks()``, ``parse_size()``."""

from __future__ import annotations

import re
from typing import Any, BinaryIO

from . import _vocab as V
from ._emit import Emitter
from ._model import Model


def _normalise_plant(plant: Any) -> list[dict[str, int]]:
    if plant is None:
        return []
    if isinstance(plant, dict):
        plant = [plant]
    out = []
    for spec in plant:
        if isinstance(spec, dict):
            out.append({"path": int(spec["path"]), "blocks": int(spec["blocks"])})
        else:
            k, n = spec
            out.append({"path": int(k), "blocks": int(n)})
    return out


def generate(out: BinaryIO, *, size: int | None = None, blocks: int | None = None, era: str | None = None,
             seed: int = 0, n_paths: int | None = None, zipf_a: float | None = None, plant: Any = None,
             stack_variant: int = 0, slab_flag: bool = True) -> dict[str, Any]:
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
        One of ``ERAS`` (see the module docstring); default ``"6.7"``.
    seed:
        Seeds every random choice; equal arguments give byte-identical dumps.
    n_paths:
        Size of the call-path pool (path ``k`` has Zipf rank ``k``: 0 is the
        most frequent).  Fewer distinct paths may appear in a small dump.
    zipf_a:
        Exponent of the Zipf law used to choose the path of each run.
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

    Returns
    -------
    dict with ``blocks`` (all blocks written), ``bytes``, ``paths`` (distinct
    call paths present), ``planted_blocks``, ``planted`` (list of
    ``{"path", "blocks", "stack"}``), ``era`` and ``seed``.
    """
    if size is None and blocks is None:
        size = 10 << 20
    if size is not None and size < 0 or blocks is not None and blocks < 0:
        raise ValueError("size and blocks must be non-negative")
    era = "6.7" if era is None else era
    n_paths = 2000 if n_paths is None else n_paths
    zipf_a = 1.2 if zipf_a is None else zipf_a
    plants = _normalise_plant(plant)
    model = Model(era=era, seed=seed, n_paths=n_paths, zipf_a=zipf_a, stack_variant=stack_variant,
                   slab_flag=slab_flag)
    expected = blocks if blocks is not None else max(1, (size or 0) // V.BYTES_PER_BLOCK[era])
    if blocks is not None and size is not None:
        expected = min(blocks, max(1, size // V.BYTES_PER_BLOCK[era]))
    em = Emitter(model, plants, expected)

    written = 0        # all bytes
    base_bytes = 0     # bytes of non-planted blocks
    n_blocks = 0
    n_planted = 0
    done = (blocks == 0) or (size == 0)
    while not done:
        left = None if blocks is None else blocks - em.base_blocks
        strs, is_base = em.batch(left)
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
                done = True
            base_bytes += sum(ln for ln, b in zip(lens, is_base) if b)
        n_planted += is_base.count(False)
        n_blocks += len(strs)
        data = "".join(strs).encode()
        out.write(data)
        written += len(data)
    # planted chunks not reached yet go at the end
    if em.pending:
        tail = []
        ts_end = em.clock + 1_000_000
        for _, k, c in em.pending:
            tail.extend(em.planted_blocks(k, c, em.pfn, ts_end))
            em.pfn += c
            ts_end += 10_000_000
        em.pending = []
        data = "".join(tail).encode()
        out.write(data)
        written += len(data)
        n_blocks += len(tail)
        n_planted += len(tail)
    planted_info = [{"path": s["path"], "blocks": s["blocks"], "stack": str(model.stack[s["path"]])}
                    for s in plants]
    for s in plants:
        em.paths_seen[s["path"]] = True
    return {"blocks": n_blocks, "bytes": written, "paths": int(em.paths_seen.sum()),
            "planted_blocks": n_planted, "planted": planted_info, "era": era, "seed": seed}


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
