"""The block stream: runs of allocations, their PFNs, timestamps and trailer lines."""

from __future__ import annotations

import numpy as np

from . import _vocab as V
from ._eras import BMT_NAMES, HAS_FREE_TS, HAS_MEMCG
from ._model import MAX_ORDER_SHIFT, Model


class Emitter:
    """Produces the dump batch by batch."""

    RUNS_PER_BATCH = 512

    def __init__(self, model: Model, plants: list[dict[str, int]], expected_blocks: int) -> None:
        self.m = model
        self.pfn = 0x100
        self.clock = 2_000_000_000          # ns; regular allocations start after boot
        self.early_clock = 742_000_000      # even, like every regular timestamp
        self.plant_ts = 1                   # planted timestamps are odd and increasing
        # planted chunks: (target base-block position, path, count)
        self.pending: list[tuple[int, int, int]] = []
        prng = model.rng_plant
        for spec in plants:
            k, n = int(spec["path"]), int(spec["blocks"])
            if not 0 <= k < len(model.paths):
                raise ValueError(f"plant path {k} out of range 0..{len(model.paths) - 1}")
            left = n
            while left > 0:
                c = int(min(left, prng.integers(1, 65)))
                pos = int(prng.random() * 0.95 * max(1, expected_blocks))
                self.pending.append((pos, k, c))
                left -= c
        self.pending.sort()
        self.base_blocks = 0
        self.paths_seen = np.zeros(len(model.paths), dtype=bool)

    def batch(self, max_base_blocks: int | None) -> tuple[list[str], list[bool]]:
        """Return (block strings, is_base flags) for one batch of runs."""
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
                p, task, order, fopt, bmt, offline = p[:R], task[:R], order[:R], fopt[:R], bmt[:R], offline[:R]
                gaps, run_gap_ns, jitter = gaps[:R], run_gap_ns[:R], jitter[:R]
                L = L[:R].copy()
                L[-1] -= int(cum[R - 1] - max_base_blocks)
        B = int(L.sum())
        self.paths_seen[p] = True

        # per-block arrays
        run_first = np.concatenate(([0], np.cumsum(L)[:-1]))
        bp = np.repeat(p, L)
        border = np.repeat(order, L)
        within = np.arange(B, dtype=np.int64) - np.repeat(run_first, L)

        # PFN: runs placed upwards with free gaps, aligned to their order;
        # room is reserved for planted chunks that fall into this batch.
        start = np.empty(R, dtype=np.int64)
        plant_here: list[tuple[int, int, int, int]] = []  # (insert before run r, path, count, pfn)
        cur = self.pfn
        base_pos = self.base_blocks
        pend = self.pending
        gl, ol, Ll = gaps.tolist(), order.tolist(), L.tolist()
        for r in range(R):
            while pend and pend[0][0] <= base_pos:
                _, k, c = pend.pop(0)
                plant_here.append((r, k, c, cur))
                cur += c
            cur += gl[r]
            a = (1 << ol[r]) - 1
            cur = (cur + a) & ~a
            start[r] = cur
            cur += Ll[r] << ol[r]
            base_pos += Ll[r]
        self.pfn = cur
        pfn = np.repeat(start, L) + (within << border)

        # timestamps: unique, increasing inside a run, runs locally shuffled
        early = m.is_early[p]
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

        cols = self._columns(bp, border, np.repeat(task, L), pfn, ts, np.repeat(bmt, L),
                             np.repeat(fopt, L), np.repeat(offline, L), np.repeat(early, L), task, p,
                             offline, L)
        tpl = m.template
        blocks = [tpl % t for t in zip(*cols)]
        is_base = [True] * len(blocks)
        self.base_blocks += B

        if plant_here:
            # splice planted chunks in front of their runs (from the back)
            rf = run_first.tolist()
            for r, k, c, pfn0 in reversed(plant_here):
                pb = self.planted_blocks(k, c, pfn0, int(run_start[r]) - 1)
                i = rf[r]
                blocks[i:i] = pb
                is_base[i:i] = [False] * len(pb)
        return blocks, is_base

    def _columns(self, bp, border, btask, pfn, ts, bmt, bfopt, boffline, bearly, task_r, p_r,
                 offline_r, L, no_migrate: bool = False):
        m = self.m
        era = m.era
        B = len(bp)
        rng = m.rng_stream if not no_migrate else m.rng_plant
        # header
        key = bp * MAX_ORDER_SHIFT + border
        uk, inv = np.unique(key, return_inverse=True)
        hdr = np.array([m.header(int(k)) for k in uk.tolist()], dtype=object)[inv]
        zone = (pfn >= 0x1000).astype(np.int64) + (pfn >= 0x100000)
        fl = m.flags_tbl[((bp * 3 + bfopt) * 2 + (border > 0)) * 3 + zone]
        # trailers: migrate reason + memcg line(s)
        mig = np.zeros(B, dtype=np.int64)
        if not no_migrate:
            hit = rng.random(B) < m.mig_rate[bp]
            if hit.any():
                nh = int(hit.sum())
                mig[hit] = 1 + rng.choice(len(V.MIGRATE_REASONS), size=nh, p=V.MIGRATE_P / V.MIGRATE_P.sum())
                if era == "4.6":
                    mig[hit] = 1
        if era in HAS_MEMCG:
            mc_r = np.array([m.memcg_code(int(a), int(b), bool(c))
                             for a, b, c in zip(p_r.tolist(), task_r.tolist(), offline_r.tolist())],
                            dtype=np.int64)
            mc = np.repeat(mc_r, L)
        else:
            mc = np.zeros(B, dtype=np.int64)
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

    @staticmethod
    def _free_ts(ts: np.ndarray, early: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        span = np.minimum(ts - 1, 60_000_000_000)
        delta = 1 + (rng.random(len(ts)) * np.maximum(span - 1, 0)).astype(np.int64)
        fts = ts - delta
        zero = (rng.random(len(ts)) < 0.35) | early | (ts <= 1)
        return np.where(zero, 0, fts)

    def planted_blocks(self, k: int, c: int, pfn0: int, ts_end: int) -> list[str]:
        m = self.m
        bp = np.full(c, k, dtype=np.int64)
        border = np.zeros(c, dtype=np.int64)
        t = int(m.path_tasks[k, 0])
        btask = np.full(c, t, dtype=np.int64)
        pfn = pfn0 + np.arange(c, dtype=np.int64)
        gaps = m.rng_plant.integers(40, 2000, size=c).astype(np.int64) * 2
        first = max(ts_end - int(gaps.sum()), self.plant_ts + 2) | 1
        ts = first + np.cumsum(gaps) - gaps[0]          # odd, increasing: never equal to a base ts
        self.plant_ts = int(ts[-1])
        bmt = np.full(c, 4 if m.always_cma[k] else m.mt[k], dtype=np.int64)
        fopt = np.zeros(c, dtype=np.int64)
        off = np.zeros(c, dtype=bool)
        early = np.ones(c, dtype=bool)  # free_ts 0
        cols = self._columns(bp, border, btask, pfn, ts, bmt, fopt, off, early,
                             np.array([t]), np.array([k]), np.array([False]), np.array([c]),
                             no_migrate=True)
        tpl = m.template
        return [tpl % row for row in zip(*cols)]
