"""pytest-benchmark suites for each stage of `pageowner-fast sort`: scan (split + fields +
intern), intern alone, cull, sort and write, on seeded generated dumps.

    python -m pytest bench/bench_stages.py --benchmark-only                       # 10M,100M
    PAGEOWNER_BENCH_SIZES=10M,100M,1G python -m pytest bench/bench_stages.py --benchmark-only
    PAGEOWNER_BENCH_SHAPES=default,cgroup-heavy-6.7,6.1-long-running PAGEOWNER_BENCH_SIZES=1G \
        python -m pytest bench/bench_stages.py --benchmark-only -k scan_mapped      # every shape

Inputs are generated once into bench/.cache/ (git-ignored). Throughput (GB/s) is put in
each benchmark's extra_info and printed in the table's `extra_info` with
`--benchmark-columns=min,median,ops` / `--benchmark-json`.
"""
from __future__ import annotations

import io
import mmap
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _gencache  # noqa: E402

from pageowner_fast import _scan, compat, sortcull  # noqa: E402
from pageowner_fast.dump import Dump  # noqa: E402

SIZES = os.environ.get("PAGEOWNER_BENCH_SIZES", "10M,100M").split(",")
SHAPES = os.environ.get("PAGEOWNER_BENCH_SHAPES", "default").split(",")
os.environ.setdefault("PAGEOWNER_FAST_NO_PROGRESS", "1")


@pytest.fixture(scope="module", params=[(shape, size) for shape in SHAPES for size in SIZES],
                ids=lambda p: f"{p[0]}-{p[1]}")
def dump_path(request):
    """A generated dump of one shape (the generator's `--shape`) and size."""
    shape, size = request.param
    kw = {} if shape == "default" else {"shape": shape}
    path, meta = _gencache.generated(size, seed=0, **kw)
    return path, meta


def _gbps(benchmark, nbytes):
    st = benchmark.stats.stats
    benchmark.extra_info["GB/s (median)"] = round(nbytes / st.median / 1e9, 3)
    benchmark.extra_info["bytes"] = nbytes
    # which build ran: hash, block splitter, debug or not (older builds have no info())
    info = _scan.info() if hasattr(_scan, "info") else {"hash": _scan.HASH}
    benchmark.extra_info["build"] = ", ".join(f"{k}={info[k]}" for k in ("hash", "simd", "debug")
                                              if k in info)


def _mapped(path):
    f = open(path, "rb")
    return f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


@pytest.mark.parametrize("threads,aggregate", [(1, False), (1, True), (2, True)],
                         ids=["1thread-rows", "1thread-folded", "2threads-folded"])
def bench_scan_mapped(benchmark, dump_path, threads, aggregate):
    """The Cython scanner alone on a mapped file: one row per block (the API's load), or
    folding identical blocks (what `sort` does), on one or two threads (nogil)."""
    path, meta = dump_path
    f, mm = _mapped(path)
    try:
        benchmark.pedantic(_scan.scan_mapped, args=(mm,),
                           kwargs=dict(threads=threads, aggregate=aggregate), rounds=5)
    finally:
        mm.close()
        f.close()
    _gbps(benchmark, meta["bytes"])


def bench_scan_stream(benchmark, dump_path):
    """The streaming path (pipes, stdin, compressed input): 1 MiB reads, one thread."""
    path, meta = dump_path

    def run():
        with open(path, "rb", buffering=0) as f:
            return _scan.scan_stream(f, aggregate=True)
    benchmark.pedantic(run, rounds=5)
    _gbps(benchmark, meta["bytes"])


@pytest.fixture(scope="module")
def loaded(dump_path):
    path, _ = dump_path
    f, mm = _mapped(path)
    try:
        cols, tables, stats = _scan.scan_mapped(mm, threads=2, aggregate=True)
    finally:
        mm.close()
        f.close()
    return Dump(cols, tables, stats)


def bench_intern(benchmark, loaded):
    """The interner alone: every stack of the dump, as often as it occurs."""
    stacks = loaded.stacks
    items = [stacks[i] for i in np.repeat(loaded.stack_id, np.minimum(loaded.count, 50)).tolist()]
    benchmark.pedantic(_scan._bench_intern, args=(items,), rounds=5)
    benchmark.extra_info["values"] = len(items)


@pytest.mark.parametrize("cull", [frozenset(), frozenset({"stacktrace"}),
                                  frozenset({"pid", "name"})], ids=["text", "st", "pid-name"])
def bench_cull(benchmark, loaded, cull):
    rows = np.arange(len(loaded))
    benchmark.pedantic(sortcull.cull, args=(loaded, rows, cull), rounds=10)


@pytest.mark.parametrize("keys", [[("times", -1)], [("pages", -1)], [("name", 1), ("pid", -1)]],
                         ids=["times", "pages", "name-pid"])
def bench_sort(benchmark, loaded, keys):
    g = sortcull.cull(loaded, np.arange(len(loaded)), frozenset())
    benchmark.pedantic(sortcull.sort, args=(loaded, g, keys), rounds=10)


def bench_write_text(benchmark, loaded):
    opts = sortcull.SortOptions()   # `sort in out`: no cull, times descending
    g = sortcull.sort(loaded, sortcull.cull(loaded, np.arange(len(loaded)), frozenset()), opts.sort)

    def run():
        sink = io.BytesIO()
        compat.write_text(sink.write, loaded, g, opts)
        return sink.tell()
    benchmark.pedantic(run, rounds=10)
