"""The block stream: runs of allocations, their PFNs, timestamps and trailer lines."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _vocab as V
from ._eras import BMT_NAMES, HAS_FREE_TS, HAS_MEMCG
from ._model import MAX_ORDER_SHIFT, USER_PAGE_KINDS, Model
from ._plant import PAGEBLOCK, Plant, chunks


class Emitter:
    """Produces the dump batch by batch: block strings, and per-block facts for the truth."""

    RUNS_PER_BATCH = 512

    def __init__(self, model: Model, plants: list[Plant], expected_blocks: int) -> None:
        self.m = model
        self.pfn = 0x100
        self.clock = 2_000_000_000          # ns; regular allocations start after boot
        self.early_clock = 742_000_000      # even, like every regular timestamp
        self.plant_ts = 1                   # planted timestamps are odd and increasing
        self.plants = plants
        self.window_used = [0] * len(plants)  # window plants: timestamps handed out so far
        # planted chunks: (target base-block position, path, count, plant index)
        self.pending = chunks(model, plants, expected_blocks)
        self.base_blocks = 0
        self.paths_seen = np.zeros(len(model.paths), dtype=bool)

    def batch(self, max_base_blocks: int | None) -> tuple[list[str], list[bool], dict[str, np.ndarray]]:
        """Return (block strings, is_base flags, per-block facts) for one batch of runs."""
        m = self.m
        rng = m.rng_stream
        R = self.RUNS_PER_BATCH
        p = np.searchsorted(m.cdf, rng.random(R), side="right").clip(0, len(m.paths) - 1)
        L = np.minimum(rng.geometric(1.0 / m.run_mean[p]), 4096).astype(np.int64)
        task = m.path_tasks[p, (rng.random(R) * m.path_ntasks[p]).astype(np.int64)]
        order = np.where(rng.random(R) < 0.03, m.alt_order[p], m.order[p])
        fopt = np.where(rng.random(R) < 0.8, 0, (rng.random(R) * m.n_flag_opts[p]).astype(np.int64))
        u = rng.random(R)
        mt = m.mt[p]
        # pageblock type: usually the page's own; movable pages sometimes sit
        # in CMA pageblocks; a few fall back into another type's pageblock
        bmt = np.where(u > 0.99, np.array([2, 0, 0])[mt], mt)
        bmt[(u > 0.999) & (mt == 0)] = 3
        bmt[(mt == 1) & (u < 0.04)] = 4
        bmt[m.always_cma[p]] = 4
        offline = rng.random(R) < 0.02
        gaps = rng.geometric(0.02, size=R) - 1
        # all regular timestamps are even (planted blocks use odd ones)
        run_gap_ns = rng.exponential(1_500_000.0, size=R).astype(np.int64) * 2 + 2
        jitter = rng.normal(0.0, 4.0, size=R)

        if max_base_blocks is not None:
            cum = np.cumsum(L)
            if cum[-1] > max_base_blocks:
                last = int(np.searchsorted(cum, max_base_blocks, side="left"))
                R = last + 1
                p, task, order = p[:R], task[:R], order[:R]
                fopt, bmt, offline = fopt[:R], bmt[:R], offline[:R]
                gaps, run_gap_ns, jitter = gaps[:R], run_gap_ns[:R], jitter[:R]
                L = L[:R].copy()
                L[-1] -= int(cum[R - 1] - max_base_blocks)
        B = int(L.sum())
        self.paths_seen[p] = True
        early = m.is_early[p]
        order, task, mc_r = self._knobs(p, order, task, early)

        # per-block arrays
        run_first = np.concatenate(([0], np.cumsum(L)[:-1]))
        bp = np.repeat(p, L)
        border = np.repeat(order, L)
        within = np.arange(B, dtype=np.int64) - np.repeat(run_first, L)

        # PFN: runs placed upwards with free gaps, aligned to their order;
        # room is reserved for planted chunks that fall into this batch.
        start = np.empty(R, dtype=np.int64)
        plant_here: list[tuple[int, int, int, int]] = []  # (insert before run r, chunk's plant, count, pfn)
        cur = self.pfn
        base_pos = self.base_blocks
        pend = self.pending
        gl, ol, Ll = gaps.tolist(), order.tolist(), L.tolist()
        for r in range(R):
            while pend and pend[0][0] <= base_pos:
                _, _, c, j = pend.pop(0)
                pfn0, cur = self._reserve(j, c, cur)
                plant_here.append((r, j, c, pfn0))
            cur += gl[r]
            a = (1 << ol[r]) - 1
            cur = (cur + a) & ~a
            start[r] = cur
            cur += Ll[r] << ol[r]
            base_pos += Ll[r]
        self.pfn = cur
        pfn = np.repeat(start, L) + (within << border)

        # timestamps: unique, increasing inside a run, runs locally shuffled
        inc = rng.integers(40, 2000, size=B).astype(np.int64) * 2
        if early.any():
            eb = np.repeat(early, L)
            inc[eb] = inc[eb] // 20 * 2 + 10  # early boot: a few hundred ns apart
        csum = np.cumsum(inc)
        run_sum = np.add.reduceat(inc, run_first) if B else np.zeros(0, np.int64)
        within_ts = csum - np.repeat(csum[run_first] - inc[run_first], L)
        dur = run_sum + run_gap_ns
        slot = np.argsort(np.arange(R) + jitter, kind="stable")
        run_start = np.empty(R, dtype=np.int64)
        d_sorted = np.where(early[slot], 0, dur[slot])
        run_start[slot] = self.clock + np.cumsum(d_sorted) - d_sorted + run_gap_ns[slot]
        self.clock += int(d_sorted.sum())
        if early.any():
            e_idx = np.flatnonzero(early)
            e_dur = run_sum[e_idx] + 300  # even
            run_start[e_idx] = self.early_clock + np.cumsum(e_dur) - e_dur
            self.early_clock += int(e_dur.sum())
        ts = np.repeat(run_start, L) + within_ts

        mig = self._migrate(bp, rng)
        if mc_r is None:  # the original memcg lines: by the path's mode and the task's cgroup
            mc_r = np.array([m.memcg_code(int(a), int(b), bool(c))
                             for a, b, c in zip(p.tolist(), task.tolist(), offline.tolist())],
                            dtype=np.int64) if m.era in HAS_MEMCG else np.zeros(R, dtype=np.int64)
        mc = np.repeat(mc_r, L)
        bbmt = np.repeat(bmt, L)
        cols = self._columns(bp, border, np.repeat(task, L), pfn, ts, bbmt, np.repeat(fopt, L),
                             np.repeat(early, L), mig, mc, rng)
        tpl = m.template
        blocks = [tpl % t for t in zip(*cols)]
        is_base = [True] * len(blocks)
        self.base_blocks += B
        meta = _meta(m, bp, border, mc, bbmt, pfn, ts, np.full(B, -1, dtype=np.int64))

        if plant_here:
            # splice planted chunks in front of their runs (from the back)
            rf = run_first.tolist()
            at, parts = [], []
            for r, j, c, pfn0 in reversed(plant_here):
                pb, pmeta = self.planted(j, c, pfn0, int(run_start[r]) - 1)
                i = rf[r]
                blocks[i:i] = pb
                is_base[i:i] = [False] * len(pb)
                at.append(np.full(len(pb), i, dtype=np.int64))
                parts.append(pmeta)
            at_all = np.concatenate(at[::-1])
            meta = {k: np.insert(v, at_all, np.concatenate([pm[k] for pm in parts[::-1]]))
                    for k, v in meta.items()}
        return blocks, is_base, meta

    def _knobs(self, p: np.ndarray, order: np.ndarray, task: np.ndarray,
               early: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Per-run order, task and memcg trailer where a shape knob replaces the path's habit
        (each knob draws from its own stream, so one knob does not move another's choices)."""
        m = self.m
        R = len(p)
        if m.order_cdf is not None and m.order_values is not None:
            o = m.order_values[np.searchsorted(m.order_cdf, m.rng["orders"].random(R), side="right")
                               .clip(0, len(m.order_values) - 1)]
            order = np.where(early, 0, o)
        if m.thread_q is not None:
            trng = m.rng["threads"]
            threaded = (trng.random(R) < m.thread_q[p]) & (m.thread_n[task] > 0)
            j = (trng.random(R) * m.thread_n[task]).astype(np.int64)
            task = np.where(threaded, m.thread_first[task] + j, task)
        mc_r = None
        if m.memcg_cdf is not None and m.memcg_q is not None:
            crng = m.rng["memcg"]
            charged = (crng.random(R) < m.memcg_q) & ~early
            cg = np.searchsorted(m.memcg_cdf, crng.random(R), side="right").clip(0, len(m.memcg_cdf) - 1)
            mc_r = np.where(charged, m.memcg_codes[m.memcg_form[p], cg], 0)
        return order, task, mc_r

    def _migrate(self, bp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Migrate-reason code per block (0: no migrate line)."""
        mig = np.zeros(len(bp), dtype=np.int64)
        hit = rng.random(len(bp)) < self.m.mig_rate[bp]
        if hit.any():
            nh = int(hit.sum())
            mig[hit] = 1 + rng.choice(len(V.MIGRATE_REASONS), size=nh, p=V.MIGRATE_P / V.MIGRATE_P.sum())
            if self.m.era == "4.6":
                mig[hit] = 1
        return mig

    def _columns(self, bp: np.ndarray, border: np.ndarray, btask: np.ndarray, pfn: np.ndarray,
                 ts: np.ndarray, bmt: np.ndarray, bfopt: np.ndarray, bearly: np.ndarray,
                 mig: np.ndarray, mc: np.ndarray, rng: np.random.Generator) -> tuple[Any, ...]:
        """The template's fields, one list per field (``rng`` draws the free_ts values)."""
        m = self.m
        era = m.era
        # header
        key = bp * MAX_ORDER_SHIFT + border
        uk, inv = np.unique(key, return_inverse=True)
        hdr = np.array([m.header(int(k)) for k in uk.tolist()], dtype=object)[inv]
        zone = (pfn >= 0x1000).astype(np.int64) + (pfn >= 0x100000)
        fl = m.flags_tbl[((bp * 3 + bfopt) * 2 + (border > 0)) * 3 + zone]
        # trailers: migrate reason + memcg line(s)
        tkey = mig * 100_000 + mc
        utk, tinv = np.unique(tkey, return_inverse=True)
        tr_strings = []
        for k in utk.tolist():
            tr_strings.append(m.mig_strings[k // 100_000] + m.memcg_strings[k % 100_000])
        trailer = np.array(tr_strings, dtype=object)[tinv]
        mt = m.mt_str[bp]
        bmts = np.array(BMT_NAMES, dtype=object)[bmt]
        stack = m.stack[bp]
        blk = pfn >> 9
        if era == "4.6":
            return (hdr.tolist(), pfn.tolist(), mt.tolist(), blk.tolist(), bmts.tolist(),
                    fl.tolist(), stack.tolist(), trailer.tolist())
        task_s = m.task_str[btask]
        if era in HAS_FREE_TS:
            fts = self._free_ts(ts, bearly, rng)
            return (hdr.tolist(), task_s.tolist(), ts.tolist(), fts.tolist(), pfn.tolist(),
                    mt.tolist(), blk.tolist(), bmts.tolist(), fl.tolist(), stack.tolist(),
                    trailer.tolist())
        return (hdr.tolist(), task_s.tolist(), ts.tolist(), pfn.tolist(), mt.tolist(), blk.tolist(),
                bmts.tolist(), fl.tolist(), stack.tolist(), trailer.tolist())

    def _free_ts(self, ts: np.ndarray, early: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        span = np.minimum(ts - 1, 60_000_000_000)
        delta = 1 + (rng.random(len(ts)) * np.maximum(span - 1, 0)).astype(np.int64)
        fts = ts - delta
        zero = (rng.random(len(ts)) < self.m.fts_zero_p) | early | (ts <= 1)
        return np.where(zero, 0, fts)

    # -- planted chunks ----------------------------------------------------------------------

    def _reserve(self, j: int, c: int, cur: int) -> tuple[int, int]:
        """PFN room for a chunk of plant j: (first pfn, next free pfn)."""
        pl = self.plants[j]
        if pl.kind == "mixed":  # whole pageblocks, shared with no other block
            pfn0 = (cur + PAGEBLOCK - 1) & ~(PAGEBLOCK - 1)
            return pfn0, pfn0 + PAGEBLOCK
        a = (1 << pl.order) - 1
        pfn0 = (cur + a) & ~a
        return pfn0, pfn0 + (c << pl.order)

    def _gap_ts(self, c: int, ts_end: int, rng: np.random.Generator) -> np.ndarray:
        """c odd, increasing timestamps ending near ts_end (never equal to a base ts)."""
        gaps = rng.integers(40, 2000, size=c).astype(np.int64) * 2
        first = max(ts_end - int(gaps.sum()), self.plant_ts + 2) | 1
        ts = first + np.cumsum(gaps) - gaps[0]
        self.plant_ts = int(ts[-1])
        return ts

    def planted(self, j: int, c: int, pfn0: int, ts_end: int) -> tuple[list[str], dict[str, np.ndarray]]:
        """The blocks of one chunk of plant j (c blocks of its path, at pfn0)."""
        m = self.m
        pl = self.plants[j]
        k = pl.path
        if pl.kind == "leak":
            # the original planted blocks: order 0, the path's first task, no migrate line
            rng = m.rng_plant
            ts = self._gap_ts(c, ts_end, rng)
            path = np.full(c, k, dtype=np.int64)
            order = np.zeros(c, dtype=np.int64)
            pfn = pfn0 + np.arange(c, dtype=np.int64)
            bmt = np.full(c, 4 if m.always_cma[k] else m.mt[k], dtype=np.int64)
            mc_k = m.memcg_code(k, int(m.path_tasks[k, 0]), False) \
                if m.era in HAS_MEMCG and m.memcg_cdf is None else 0
            mc = np.full(c, mc_k, dtype=np.int64)
            tag = np.full(c, j, dtype=np.int64)
        elif pl.kind in ("memcg", "window"):
            rng = m.rng["plant_" + pl.kind]
            if pl.kind == "window":
                assert pl.ts is not None
                used = self.window_used[j]
                ts = pl.ts[used:used + c]
                self.window_used[j] = used + c
            else:
                ts = self._gap_ts(c, ts_end, rng)
            path = np.full(c, k, dtype=np.int64)
            order = np.full(c, pl.order, dtype=np.int64)
            pfn = pfn0 + (np.arange(c, dtype=np.int64) << pl.order)
            bmt = np.full(c, m.mt[k], dtype=np.int64)
            mc_k = 0
            if pl.kind == "memcg":
                off = "offline " if pl.offline else ""
                form = ("Charged to {}memcg {}\n" if m.paths[k].kind in USER_PAGE_KINDS
                        else "Charged (via objcg) to {}memcg {}\n")
                mc_k = m.memcg_line_code(form.format(off, pl.memcg))
            mc = np.full(c, mc_k, dtype=np.int64)
            tag = np.full(c, j, dtype=np.int64)
        else:  # mixed: c culprits and the fillers, at random places in one pageblock
            rng = m.rng["plant_mixed"]
            slots = PAGEBLOCK >> pl.order
            cul = np.sort(rng.choice(slots, size=c, replace=False)) << pl.order
            taken = np.zeros(PAGEBLOCK, dtype=bool)
            for o in cul.tolist():
                taken[o:o + (1 << pl.order)] = True
            free = np.flatnonzero(~taken)
            fil = np.sort(rng.choice(free, size=min(pl.fill, len(free)), replace=False))
            offs = np.concatenate((cul, fil))
            is_cul = np.concatenate((np.ones(len(cul), bool), np.zeros(len(fil), bool)))
            idx = np.argsort(offs, kind="stable")
            offs, is_cul = offs[idx], is_cul[idx]
            n = len(offs)
            ts = self._gap_ts(n, ts_end, rng)
            path = np.where(is_cul, k, pl.fill_path).astype(np.int64)
            order = np.where(is_cul, pl.order, 0).astype(np.int64)
            pfn = pfn0 + offs.astype(np.int64)
            bmt = np.full(n, BMT_NAMES.index(pl.block_type), dtype=np.int64)
            mc = np.zeros(n, dtype=np.int64)
            tag = np.where(is_cul, j, -2).astype(np.int64)
        n = len(path)
        task = np.full(n, m.path_tasks[k, 0], dtype=np.int64)
        if pl.kind == "mixed":
            task = m.path_tasks[path, 0]
        cols = self._columns(path, order, task, pfn, ts, bmt, np.zeros(n, dtype=np.int64),
                             np.ones(n, dtype=bool),  # free_ts 0
                             np.zeros(n, dtype=np.int64), mc, rng)
        tpl = m.template
        return [tpl % row for row in zip(*cols)], _meta(m, path, order, mc, bmt, pfn, ts, tag)


def _meta(m: Model, path: np.ndarray, order: np.ndarray, mc: np.ndarray, bmt: np.ndarray,
          pfn: np.ndarray, ts: np.ndarray, tag: np.ndarray) -> dict[str, np.ndarray]:
    """What the ground truth needs of each block."""
    return {"path": path, "order": order, "mc": mc, "mt": m.mt[path], "bmt": bmt, "pfn": pfn,
            "ts": ts, "tag": tag}
