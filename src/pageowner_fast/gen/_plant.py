"""Planted content with known ground truth, and the ground-truth count of the whole dump.

Four kinds of planted blocks, each spread over the dump in chunks placed before random runs
(only the PFNs of the other blocks move to make room; their text is unchanged):

* ``leak``   (``plant``): extra order-0 blocks of one call path (the original option);
* ``memcg``  (``plant_memcg``): blocks charged to a named cgroup, online or offline;
* ``mixed``  (``plant_mixed``): whole pageblocks of one type (``Block N type Movable``)
  holding allocations of another page type (the culprits, e.g. Unmovable slab pages),
  between filler allocations of the block's own type;
* ``window`` (``plant_window``): blocks whose ts lies in a given time window.

``Truth`` counts, over every block written (base and planted), the pages and blocks per
memcg line, per (stack, page type, pageblock type) where the two types differ, and per
time window; ``generate()`` returns it as ``stats["truth"]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._eras import BMT_NAMES, HAS_MEMCG
from ._model import USER_PAGE_KINDS, Model

PAGEBLOCK = 512  # pages per pageblock (order 9, x86-64)


@dataclass
class Plant:
    """One planted request, as normalised from the arguments."""

    kind: str                    # leak | memcg | mixed | window
    path: int
    blocks: int
    order: int = 0
    memcg: str = ""
    offline: bool = False
    block_type: str = ""
    pageblocks: int = 0
    fill: int = 0
    fill_path: int = -1
    start: int = 0
    end: int = 0
    ts: np.ndarray | None = None                       # window: the planted timestamps
    pageblock_numbers: list[int] = field(default_factory=list)

    def info(self, model: Model) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "path": self.path, "stack": str(model.stack[self.path]),
                             "order": self.order}
        if self.kind == "memcg":
            d.update(memcg=self.memcg, offline=self.offline)
        elif self.kind == "mixed":
            d.update(page_type=model.paths[self.path].mt, block_type=self.block_type,
                     fill_per_pageblock=self.fill,
                     fill_stack=str(model.stack[self.fill_path]) if self.fill_path >= 0 else None)
        elif self.kind == "window":
            d.update(start=self.start, end=self.end)
        return d


def _as_list(spec: Any) -> list:
    if spec is None:
        return []
    return [spec] if isinstance(spec, dict) else list(spec)


def _path(model: Model, k: Any, default: int, what: str) -> int:
    k = default if k is None else int(k)
    if not 0 <= k < len(model.paths):
        raise ValueError(f"{what} path {k} out of range 0..{len(model.paths) - 1}")
    return k


def _first_path(model: Model, ok: Callable[[Any], bool]) -> int:
    for i, p in enumerate(model.paths):
        if p.kind != "early" and not p.always_cma and ok(p):
            return i
    return -1


def _order(spec: dict) -> int:
    o = int(spec.get("order", 0))
    if not 0 <= o <= 9:
        raise ValueError(f"planted order must be between 0 and 9, not {o}")
    return o


def normalise(model: Model, plant: Any, plant_memcg: Any, plant_mixed: Any,
              plant_window: Any) -> list[Plant]:
    """All planted requests, validated, in a fixed order: leak, memcg, mixed, window."""
    out: list[Plant] = []
    for spec in _as_list(plant):
        if isinstance(spec, dict):
            k, n = spec["path"], spec["blocks"]
        else:
            k, n = spec
        out.append(Plant("leak", int(k), int(n)))  # the range is checked where it always was
    for spec in _as_list(plant_memcg):
        if model.era not in HAS_MEMCG:
            raise ValueError(f"era {model.era} dumps have no memcg lines")
        name = str(spec["memcg"])
        if not name or "\n" in name or " " in name:
            raise ValueError(f"bad memcg name {name!r}")
        user = _first_path(model, lambda p: p.kind in USER_PAGE_KINDS)
        out.append(Plant("memcg", _path(model, spec.get("path"), max(user, 0), "plant_memcg"),
                         int(spec["blocks"]), _order(spec), memcg=name,
                         offline=bool(spec.get("offline", False))))
    for spec in _as_list(plant_mixed):
        out.append(_mixed(model, spec))
    for spec in _as_list(plant_window):
        start, end, n = int(spec["start"]), int(spec["end"]), int(spec.get("blocks", 0))
        if not 0 <= start < end:
            raise ValueError(f"bad time window [{start}, {end})")
        if end - start < 2 * n + 2:
            raise ValueError(f"time window [{start}, {end}) is too short for {n} distinct timestamps")
        out.append(Plant("window", _path(model, spec.get("path"), 0, "plant_window"), n, _order(spec),
                         start=start, end=end))
    for pl in out:
        if pl.blocks < 0:
            raise ValueError("planted block counts must be >= 0")
    return out


def _mixed(model: Model, spec: dict) -> Plant:
    unmov = _first_path(model, lambda p: p.mt == "Unmovable")
    k = _path(model, spec.get("path"), max(unmov, 0), "plant_mixed")
    page_type = model.paths[k].mt
    bt = spec.get("block_type") or ("Movable" if page_type != "Movable" else "Unmovable")
    if bt not in BMT_NAMES:
        raise ValueError(f"unknown pageblock type {bt!r}; expected one of {', '.join(BMT_NAMES)}")
    if bt == page_type:
        raise ValueError(f"plant_mixed: path {k} allocates {page_type} pages; the pageblock type must differ")
    n = int(spec["blocks"])
    order = _order(spec)
    npb = int(spec.get("pageblocks") or max(1, math.ceil(n / 8)))
    fill = int(spec.get("fill", 32))
    per = math.ceil(n / npb) if npb else 0
    if npb < 1 or (per << order) + max(fill, 0) > PAGEBLOCK or fill < 0:
        raise ValueError(f"plant_mixed: {n} order-{order} blocks and {fill} fillers do not fit "
                         f"in {npb} pageblocks of {PAGEBLOCK} pages")
    fill_path = _first_path(model, lambda p: p.mt == bt) if fill else -1
    return Plant("mixed", k, n, order, block_type=bt, pageblocks=npb,
                 fill=fill if fill_path >= 0 else 0, fill_path=fill_path)


def chunks(model: Model, plants: list[Plant], expected_blocks: int) -> list[tuple[int, int, int, int]]:
    """Split the plants into chunks: (target base-block position, path, count, plant index)."""
    out = []
    for j, pl in enumerate(plants):
        if pl.kind == "leak":
            # the original stream and chunking: 1-64 blocks per chunk
            rng = model.rng_plant
            if not 0 <= pl.path < len(model.paths):
                raise ValueError(f"plant path {pl.path} out of range 0..{len(model.paths) - 1}")
        else:
            rng = model.rng["plant_" + pl.kind]
        if pl.kind == "mixed":
            base, extra = divmod(pl.blocks, pl.pageblocks)
            for i in range(pl.pageblocks):
                at = int(rng.random() * 0.95 * max(1, expected_blocks))
                out.append((at, pl.path, base + (i < extra), j))
            continue
        if pl.kind == "window" and pl.blocks:
            # distinct odd timestamps in [start, end), ascending (chunks take them in order)
            lo = pl.start | 1
            slots = (pl.end - lo + 1) // 2
            pick = np.sort(rng.choice(slots, size=pl.blocks, replace=False))
            pl.ts = lo + 2 * pick.astype(np.int64)
        left = pl.blocks
        while left > 0:
            c = min(left, int(rng.integers(1, 65)))
            out.append((int(rng.random() * 0.95 * max(1, expected_blocks)), pl.path, c, j))
            left -= c
    out.sort()
    return out


class Truth:
    """Counts over every block written (see the module docstring)."""

    def __init__(self, model: Model, plants: list[Plant]) -> None:
        self.m = model
        self.plants = plants
        # (plant index, start, end) of each time window
        self.windows = [(j, pl.start, pl.end) for j, pl in enumerate(plants) if pl.kind == "window"]
        self.mc: dict[int, list[int]] = {}          # trailer code -> [blocks, pages]
        self.mixed: dict[int, list[int]] = {}       # path*64 + mt*8 + bmt -> [blocks, pages]
        self.mixed_pb: list[np.ndarray] = []        # unique (key << 40 | pageblock) per batch
        self.win = np.zeros((len(self.windows), 4), dtype=np.int64)
        self.plant = np.zeros((len(plants), 2), dtype=np.int64)
        self.plant_pb: dict[int, set[int]] = {}

    def add(self, meta: dict[str, np.ndarray]) -> None:
        pages = np.int64(1) << meta["order"]
        self._count(self.mc, meta["mc"], pages)
        bad = meta["mt"] != meta["bmt"]
        if bad.any():
            key = meta["path"][bad] * 64 + meta["mt"][bad] * 8 + meta["bmt"][bad]
            self._count(self.mixed, key, pages[bad])
            self.mixed_pb.append(np.unique((key << 40) | (meta["pfn"][bad] >> 9)))
        tag = meta["tag"]   # plant index; -1 a base block, -2 a filler of a mixed pageblock
        for i, (j, a, b) in enumerate(self.windows):
            sel = (meta["ts"] >= a) & (meta["ts"] < b)
            planted = sel & (tag == j)
            self.win[i] += (int(sel.sum()), int(pages[sel].sum()),
                            int(planted.sum()), int(pages[planted].sum()))
        if (tag >= 0).any():
            t = tag[tag >= 0]
            self.plant[:, 0] += np.bincount(t, minlength=len(self.plants))
            self.plant[:, 1] += np.bincount(t, weights=pages[tag >= 0],
                                            minlength=len(self.plants)).astype(np.int64)
            for j, pl in enumerate(self.plants):
                if pl.kind == "mixed":
                    hit = (tag == j) & (meta["path"] == pl.path)
                    if hit.any():
                        self.plant_pb.setdefault(j, set()).update((meta["pfn"][hit] >> 9).tolist())

    @staticmethod
    def _count(acc: dict[int, list[int]], key: np.ndarray, pages: np.ndarray) -> None:
        uk, inv = np.unique(key, return_inverse=True)
        nb = np.bincount(inv)
        npg = np.bincount(inv, weights=pages)
        for k, b, p in zip(uk.tolist(), nb.tolist(), npg.tolist()):
            e = acc.setdefault(k, [0, 0])
            e[0] += b
            e[1] += int(p)

    def result(self) -> dict[str, Any]:
        m = self.m
        memcg: dict[tuple[str, bool], list[int]] = {}
        for code, (b, p) in self.mc.items():
            for line in m.memcg_strings[code].splitlines():
                if line.startswith("Charged "):
                    name = line.split("memcg ", 1)[1]
                    e = memcg.setdefault((name, " offline memcg " in line), [0, 0])
                    e[0] += b
                    e[1] += p
        pbs: dict[int, int] = {}
        if self.mixed_pb:
            allk = np.unique(np.concatenate(self.mixed_pb)) >> 40
            uk, cnt = np.unique(allk, return_counts=True)
            pbs = dict(zip(uk.tolist(), cnt.tolist()))
        mixed = []
        for key, (b, p) in sorted(self.mixed.items(), key=lambda kv: (-kv[1][1], kv[0])):
            path, mt, bmt = key // 64, key // 8 % 8, key % 8
            mixed.append({"path": path, "stack": str(m.stack[path]), "page_type": BMT_NAMES[mt],
                          "block_type": BMT_NAMES[bmt], "blocks": b, "pages": p,
                          "pageblocks": pbs.get(key, 0)})
        plants = []
        for j, pl in enumerate(self.plants):
            d = pl.info(m) | {"blocks": int(self.plant[j, 0]), "pages": int(self.plant[j, 1])}
            if pl.kind == "mixed":
                d["pageblock_numbers"] = sorted(self.plant_pb.get(j, ()))
            plants.append(d)
        return {
            "memcg": [{"memcg": n, "offline": o, "blocks": b, "pages": p}
                      for (n, o), (b, p) in sorted(memcg.items())],
            "mixed": mixed,
            "windows": [{"start": a, "end": b, "blocks": int(w[0]), "pages": int(w[1]),
                         "planted_blocks": int(w[2]), "planted_pages": int(w[3])}
                        for (_, a, b), w in zip(self.windows, self.win)],
            "plants": plants,
        }
