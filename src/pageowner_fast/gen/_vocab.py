"""The generator's data tables, read once from ``data/tables.json``.

The file holds the vocabulary (frame names, caller chains, gfp masks, page flags, task
names, cgroup names) and the model's weights (path kinds, run lengths, migrate rates).
JSON lists become tuples here, so that frame sequences can be concatenated and hashed.
Changing the file changes every generated dump (see the hashes in ``tests/test_gen.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def _tuples(x: Any) -> Any:
    if isinstance(x, list):
        return tuple(_tuples(e) for e in x)
    if isinstance(x, dict):
        return {k: _tuples(v) for k, v in x.items()}
    return x


_T = _tuples(json.loads((Path(__file__).parent / "data" / "tables.json").read_text(encoding="utf-8")))

# call-path vocabulary (innermost frame first)
_F = _T["frames"]
HEAD: tuple[str, ...] = _F["head"]
TAILS: dict[str, tuple[str, ...]] = _F["tails"]
TAIL_CLASS: dict[str, str] = _F["tail_class"]          # which task class runs a path, by its tail
MODULE_PREFIXES: tuple[tuple[str, str], ...] = _F["module_prefixes"]
NOT_MODULE = frozenset(_F["not_module"])
CALLERS = _F["callers"]
HELPERS = _F["helpers"]
SLAB_API = _F["slab_api"]
VMALLOC_API = _F["vmalloc_api"]
KERNEL_API = _F["kernel_api"]
FS_READ = _F["fs_read"]
READAHEAD = _F["readahead"]
FS_WRITE = _F["fs_write"]
SHMEM_TAILS = _F["shmem_tails"]
ANON_TAILS = _F["anon_tails"]
PTE_TAILS = _F["pte_tails"]
THP_TAILS = _F["thp_tails"]
NET_TAILS = _F["net_tails"]
CMA_HEAD = _F["cma_head"]
CMA_TAILS = _F["cma_tails"]
EARLY_PATHS = _F["early_paths"]

# per-era renames of the modern names (None: the frame does not exist in that era)
RENAMES_OLD: dict[str, str | None] = _T["renames"]["old"]
RENAMES_MID: dict[str, str | None] = _T["renames"]["mid"]
RENAMES_MID13: dict[str, str | None] = dict(RENAMES_MID, **_T["renames"]["mid13_overrides"])
RENAMES_NEW: dict[str, str | None] = _T["renames"]["new"]

# rendering of a frame as `name+0xOFF/0xSIZE`
KEEP_NAME = frozenset(HEAD) | frozenset(_T["rendering"]["keep_name_extra"])
SUFFIXES: tuple[str, ...] = _T["rendering"]["suffixes"]
SMALL_SYMS: tuple[str, ...] = _T["rendering"]["small_syms"]
SIZE_RANGE = {k: (int(lo, 16), int(hi, 16)) for k, (lo, hi) in _T["rendering"]["size_range"].items()}

# gfp masks by path kind and era group ("old": 4.6, "mid": 5.11-5.13, "new": 5.18+)
MASKS: dict[str, dict[str, tuple[str, ...]]] = _T["masks"]
# page-flag names by kind (alternatives; the first is the most common) and bit numbers
FLAGS: dict[str, tuple[tuple[str, ...], ...]] = _T["page_flags"]["by_kind"]
FLAG_BITS_SLAB: dict[str, int] = _T["page_flags"]["bits_slab"]      # up to ~v6.9
FLAG_BITS_NOSLAB: dict[str, int] = _T["page_flags"]["bits_noslab"]  # v6.10+: slab is a page type

USER_PROCS: tuple[tuple[str, tuple[str, ...], int], ...] = _T["tasks"]["user_procs"]
KTHREADS: tuple[str, ...] = _T["tasks"]["kthreads"]
MEMCG_NAMES: tuple[str, ...] = _T["tasks"]["memcg_names"]

_M = _T["model"]
RUN_MEAN: dict[str, float] = _M["run_mean"]             # mean blocks per allocation burst, by kind
MIGRATE_RATE: dict[str, float] = _M["migrate_rate"]     # by kind; others 0.002
MIGRATE_REASONS: tuple[str, ...] = _M["migrate_reasons"]
MIGRATE_P = np.array(_M["migrate_weights"], dtype=float)
TOP_KINDS: tuple[str, ...] = _M["top_kinds"]            # kinds of the first Zipf ranks
EARLY_RANKS: tuple[int, ...] = _M["early_ranks"]
KIND_WEIGHTS: dict[str, int] = _M["kind_weights"]       # kinds of the other ranks
BYTES_PER_BLOCK: dict[str, int] = _M["bytes_per_block"]  # by era, to spread planted blocks
