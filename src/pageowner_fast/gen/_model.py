"""The model of one dump: everything fixed before the first block is written."""

from __future__ import annotations

import numpy as np

from . import _vocab as V
from ._eras import ERAS, HAS_TGID, TEMPLATES, flags_string
from ._paths import build_paths, render_stack
from ._tasks import Tasks

MAX_ORDER_SHIFT = 16  # header cache key: path * 16 + order
MT_CODE = {"Unmovable": 0, "Movable": 1, "Reclaimable": 2}


class Model:
    """Paths, tasks, random streams and rendered strings of one dump."""

    def __init__(self, *, era: str, seed: int, n_paths: int, zipf_a: float, stack_variant: int,
                 slab_flag: bool) -> None:
        if era not in ERAS:
            raise ValueError(f"unknown era {era!r}; expected one of {', '.join(ERAS)}")
        if n_paths < 1:
            raise ValueError("n_paths must be >= 1")
        self.era = era
        ss = np.random.SeedSequence(seed)
        s_paths, s_tasks, s_stream, s_plant, s_affinity = ss.spawn(5)
        self.rng_stream = np.random.default_rng(s_stream)
        self.rng_plant = np.random.default_rng(s_plant)
        self.paths = build_paths(np.random.default_rng(s_paths), era, n_paths)
        self.tasks = Tasks(np.random.default_rng(s_tasks))
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
        if mode is None or cg is None and mode != "slab_only":
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
