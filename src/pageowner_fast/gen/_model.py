"""The model of one dump: everything fixed before the first block is written."""

from __future__ import annotations

import numpy as np

from . import _vocab as V
from ._eras import ERAS, HAS_TGID, TEMPLATES, flags_string
from ._paths import build_paths, render_stack
from ._shapes import Knobs
from ._tasks import Tasks

MAX_ORDER_SHIFT = 16  # header cache key: path * 16 + order
MT_CODE = {"Unmovable": 0, "Movable": 1, "Reclaimable": 2}
USER_PAGE_KINDS = frozenset({"anon", "pagecache_read", "pagecache_write", "shmem", "thp"})
# the random streams of the knobs and of the planted content, after the original five
EXTRA_STREAMS = ("orders", "threads", "memcg", "plant_memcg", "plant_mixed", "plant_window")


class Model:
    """Paths, tasks, random streams and rendered strings of one dump."""

    def __init__(self, *, era: str, seed: int, n_paths: int, zipf_a: float, stack_variant: int,
                 slab_flag: bool, knobs: Knobs | None = None) -> None:
        if era not in ERAS:
            raise ValueError(f"unknown era {era!r}; expected one of {', '.join(ERAS)}")
        if n_paths < 1:
            raise ValueError("n_paths must be >= 1")
        self.era = era
        ss = np.random.SeedSequence(seed)
        s_paths, s_tasks, s_stream, s_plant, s_affinity = ss.spawn(5)
        self.rng_stream = np.random.default_rng(s_stream)
        self.rng_plant = np.random.default_rng(s_plant)
        self.rng = dict(zip(EXTRA_STREAMS, map(np.random.default_rng, ss.spawn(len(EXTRA_STREAMS)))))
        self.knobs = knobs = knobs or Knobs()
        self.paths = build_paths(np.random.default_rng(s_paths), era, n_paths)
        new_pool = knobs.processes is not None or knobs.thread_share is not None
        self.tasks = Tasks(np.random.default_rng(s_tasks),
                           (knobs.processes or _legacy_processes()) if new_pool else None)
        n = len(self.paths)
        w = 1.0 / np.arange(1, n + 1, dtype=float) ** zipf_a
        self.cdf = np.cumsum(w) / w.sum()
        self.cdf[-1] = 1.0

        # per path arrays
        self.run_mean = np.array([p.run_mean for p in self.paths])
        self.order = np.array([p.order for p in self.paths], dtype=np.int64)
        self.alt_order = np.array([p.alt_order for p in self.paths], dtype=np.int64)
        self.mig_rate = np.array([p.mig_rate for p in self.paths])
        self.is_early = np.array([p.kind == "early" for p in self.paths])
        self.always_cma = np.array([p.always_cma for p in self.paths])
        self.mt = np.array([MT_CODE[p.mt] for p in self.paths], dtype=np.int64)
        self.mt_str = np.array([p.mt for p in self.paths], dtype=object)
        self.n_flag_opts = np.array([len(p.flags) for p in self.paths], dtype=np.int64)
        self._affinity(np.random.default_rng(s_affinity))

        # rendered strings
        self.stack = np.array([render_stack(era, p.frames, stack_variant) for p in self.paths],
                              dtype=object)
        self.flags_tbl = np.empty(n * 3 * 2 * 3, dtype=object)  # path, opt, head, zone
        for i, p in enumerate(self.paths):
            for o in range(3):
                names = p.flags[min(o, len(p.flags) - 1)]
                for h in (0, 1):
                    for z in range(3):
                        self.flags_tbl[((i * 3 + o) * 2 + h) * 3 + z] = flags_string(
                            era, names, bool(h), z, slab_flag)
        t = self.tasks
        if era == "4.6":
            self.task_str = np.array([""] * len(t.pid), dtype=object)
        elif era in HAS_TGID:
            self.task_str = np.array([f"{pid}, tgid {tg} ({c}), ts "
                                      for pid, tg, c in zip(t.pid, t.tgid, t.comm)], dtype=object)
        else:
            self.task_str = np.array([f"{pid}, ts " for pid in t.pid], dtype=object)
        self.hdr_cache: dict[int, str] = {}
        self.memcg_strings: list[str] = [""]
        self.memcg_index: dict[str, int] = {"": 0}
        self.mig_strings = [""] + [f"Page has been migrated, last migrate reason: {r}\n"
                                   for r in V.MIGRATE_REASONS]
        self.template = TEMPLATES[era]
        self._apply_knobs(knobs)

    def _affinity(self, trng: np.random.Generator) -> None:
        """Task choices per path: 1-3 tasks of the tail's class, biased to a few."""
        n = len(self.paths)
        # within each task class a few tasks are much busier than the rest
        popular = {c: [v[j] for j in trng.permutation(len(v))] for c, v in self.tasks.classes.items()}
        self.path_tasks = np.zeros((n, 3), dtype=np.int64)
        self.path_ntasks = np.zeros(n, dtype=np.int64)
        for i, p in enumerate(self.paths):
            cls = popular[V.TAIL_CLASS[p.tail]]
            if p.kind == "early":
                early = self.tasks.classes["early"]
                cands = [early[0]] if "dummy" not in p.frames[0] else [early[1]]
            else:
                k = int(trng.integers(1, 4))
                cw = 1.0 / np.arange(1, len(cls) + 1) ** 0.8
                cands = [cls[j] for j in trng.choice(len(cls), size=min(k, len(cls)),
                                                     replace=False, p=cw / cw.sum())]
            self.path_ntasks[i] = len(cands)
            self.path_tasks[i, : len(cands)] = cands
            self.path_tasks[i, len(cands):] = cands[0]

    def _apply_knobs(self, knobs: Knobs) -> None:
        """One rate for every regular path where a knob is set.

        Rates are shares of *all* blocks, but early-boot blocks never carry a memcg, migrate
        or free_ts and are never threads or of another order: so each rate is divided by the
        expected share of regular blocks (from the Zipf weights and mean run lengths)."""
        regular = ~self.is_early
        if knobs.run_length is not None:
            self.run_mean[regular] = knobs.run_length
        runs = np.diff(np.concatenate(([0.0], self.cdf)))   # chance of each path per run
        if knobs.early_share is not None:
            self._scale_early(runs, knobs.early_share)
        weight = runs * self.run_mean                        # expected blocks per run, by path
        total = weight.sum()
        reg = float(weight[regular].sum() / total)           # expected share of regular blocks
        self.expected_early_share = 1.0 - reg

        def per_regular(name: str, share: float) -> float:
            if share > reg + 1e-12:
                raise ValueError(f"{name} {share} is more than the share of regular (not early-boot) "
                                 f"blocks in this model ({reg:.3f}); lower early_share")
            return min(1.0, share / reg) if reg > 0 else 0.0

        if knobs.migrate_rate is not None:
            self.mig_rate = np.where(regular, per_regular("migrate_rate", knobs.migrate_rate), 0.0)
        # free_ts: the chance that a regular block's free_ts is 0 (originally 0.35)
        self.fts_zero_p = 0.35 if knobs.free_ts_share is None else \
            1.0 - per_regular("free_ts_share", knobs.free_ts_share)
        self.memcg_q = None if knobs.memcg_rate is None else per_regular("memcg_rate", knobs.memcg_rate)
        self.order_values: np.ndarray | None = None
        self.order_cdf: np.ndarray | None = None
        if knobs.orders is not None:
            w = np.array([wt for _, wt in knobs.orders], dtype=float)
            w /= w.sum()
            self.order_values = np.array([o for o, _ in knobs.orders], dtype=np.int64)
            # early-boot blocks are order 0: the regular ones make up the rest
            w[self.order_values == 0] -= 1.0 - reg
            if reg <= 0 or w.min() < -1e-12:
                raise ValueError(f"orders: order 0 must have at least the early-boot share "
                                 f"({1.0 - reg:.3f}) of the blocks")
            self.order_cdf = np.cumsum(np.maximum(w, 0.0)) / np.maximum(w, 0.0).sum()
            self.order_cdf[-1] = 1.0
        self.thread_q = None
        if knobs.thread_share is not None:
            self.thread_first, self.thread_n = self.tasks.thread_table()
            # runs of user-space paths are threaded with the chance q that makes the expected
            # share of thread blocks equal to thread_share
            user = np.array([V.TAIL_CLASS[p.tail] == "user" for p in self.paths]) & regular
            u = float(weight[user].sum() / total)
            if knobs.thread_share > u + 1e-12:
                raise ValueError(f"thread_share {knobs.thread_share} is more than the share of "
                                 f"blocks from user-space paths in this model ({u:.3f})")
            self.thread_q = np.where(user, knobs.thread_share / u if u > 0 else 0.0, 0.0)
        self.memcg_cdf: np.ndarray | None = None
        if knobs.memcg_rate is not None:
            self._memcg_pool(knobs)

    def _scale_early(self, runs: np.ndarray, share: float) -> None:
        """Lengthen or shorten the early-boot runs so that they are ``share`` of the blocks."""
        w = runs * self.run_mean
        we, wr = float(w[self.is_early].sum()), float(w[~self.is_early].sum())
        if we == 0 and share > 0:
            raise ValueError("early_share > 0, but this model has no early-boot path (n_paths is too small)")
        if share == 0:
            # no early-boot runs at all: their paths are never chosen
            runs[self.is_early] = 0.0
            runs /= runs.sum()
            self.cdf = np.cumsum(runs)
            self.cdf[-1] = 1.0
            return
        f = share * wr / ((1.0 - share) * we) if share < 1 else np.inf
        new = self.run_mean[self.is_early] * f
        if new.min() < 1.0 or not np.isfinite(new).all():
            lo = float(runs[self.is_early].sum() / (runs[self.is_early].sum() + wr))
            raise ValueError(f"early_share {share} is out of reach for this model (the early-boot "
                             f"runs alone are {lo:.3f} of the blocks at one block each)")
        self.run_mean[self.is_early] = new

    def _memcg_pool(self, knobs: Knobs) -> None:
        """Cgroups for memcg_rate: the first ``memcgs`` names, the last ones offline, and the
        trailer code of each (line form, cgroup)."""
        k = knobs.memcgs or 3
        pool = [nm for nm in V.MEMCG_NAMES if nm != "/"]  # the root cgroup is never offline
        names = pool[:k] + [f"app-{i}.scope" for i in range(len(pool), k)]
        off = knobs.memcg_offline or 0.0
        n_off = 0 if off == 0 else (k if off == 1 else min(k - 1, max(1, round(k * off))))
        share = np.zeros(k)
        if n_off < k:
            share[: k - n_off] = (1.0 - off) / (k - n_off)
        if n_off:
            share[k - n_off:] = off / n_off
        self.memcg_pool = [(nm, i >= k - n_off) for i, nm in enumerate(names)]
        cdf = np.cumsum(share) / share.sum()
        cdf[-1] = 1.0
        self.memcg_cdf = cdf
        # line form by path kind: user pages are charged directly, slab pages via objcg
        forms = ("Charged to {off}memcg {cg}\n", "Charged (via objcg) to {off}memcg {cg}\n",
                 "Slab cache page\nCharged (via objcg) to {off}memcg {cg}\n")
        self.memcg_form = np.array([0 if p.kind in USER_PAGE_KINDS else (2 if p.kind == "slab" else 1)
                                    for p in self.paths], dtype=np.int64)
        self.memcg_codes = np.array([[self.memcg_line_code(f.format(off="offline " if o else "", cg=nm))
                                      for nm, o in self.memcg_pool] for f in forms], dtype=np.int64)

    def header(self, key: int) -> str:
        """The header line up to ``pid `` for key = path * MAX_ORDER_SHIFT + order."""
        s = self.hdr_cache.get(key)
        if s is None:
            p = self.paths[key // MAX_ORDER_SHIFT]
            order = key % MAX_ORDER_SHIFT
            s = f"Page allocated via order {order}, mask {p.mask}"
            if self.era != "4.6":
                s += ", pid "
            self.hdr_cache[key] = s
        return s

    def memcg_line_code(self, s: str) -> int:
        """Index of the trailer text ``s`` (memcg lines) in ``memcg_strings``."""
        i = self.memcg_index.get(s)
        if i is None:
            i = self.memcg_index[s] = len(self.memcg_strings)
            self.memcg_strings.append(s)
        return i

    def memcg_code(self, path: int, task: int, offline: bool) -> int:
        """The memcg trailer of a run, by the path's memcg mode and the task's cgroup."""
        mode = self.paths[path].memcg
        cg = self.tasks.memcg[task]
        if mode is None or (cg is None and mode != "slab_only"):
            return 0
        cg = cg or "/"
        off = "offline " if offline and cg != "/" else ""
        if mode == "charge":
            s = f"Charged to {off}memcg {cg}\n"
        elif mode == "objcg":
            s = f"Charged (via objcg) to {off}memcg {cg}\n"
        elif mode == "slab_objcg":
            s = f"Slab cache page\nCharged (via objcg) to {off}memcg {cg}\n"
        else:
            s = "Slab cache page\n"
        return self.memcg_line_code(s)


def _legacy_processes() -> int:
    """How many user-space processes the original task pool has."""
    return sum(copies for _, _, copies in V.USER_PROCS)
