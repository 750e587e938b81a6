"""pytest-benchmark suite of the analysis API, each measured against one `sort` of the same input.

* ``pageowner-fast diff A B`` must take at most 2x the time of one ``pageowner-fast sort A``
  (both as commands; the two dumps are read at once in two threads -- the scanner releases
  the GIL -- and folded while reading; only per-stack sums are kept);
* ``pageowner_fast.diff()`` in-process, and ``load()`` + ``to_arrow()``, are reported beside an
  in-process ``sort`` (no bound: on a machine with no idle core two scans take 2x one scan).

Inputs are seeded dumps from ``pageowner_fast.gen``, generated once into ``bench/.cache/`` (see
``_gencache.py``). Size: ``PAGEOWNER_BENCH_SIZE`` (default ``100M``); shape:
``PAGEOWNER_BENCH_SHAPE`` (default ``default``, era 6.7; e.g. ``cgroup-heavy-6.7``)::

    PYTHONPATH=src python -m pytest bench/bench_analysis.py --benchmark-only
    PAGEOWNER_BENCH_SIZE=1G PYTHONPATH=src python -m pytest bench/bench_analysis.py -s

Ratios are medians of runs interleaved with the ``sort`` runs, so that both see the same load.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _gencache  # noqa: E402

import pageowner_fast as pf  # noqa: E402
from pageowner_fast.cli import main  # noqa: E402

SIZE = os.environ.get("PAGEOWNER_BENCH_SIZE", "100M")
SHAPE = os.environ.get("PAGEOWNER_BENCH_SHAPE", "default")
_SHAPE_KW = {} if SHAPE == "default" else {"shape": SHAPE}
ROUNDS = int(os.environ.get("PAGEOWNER_BENCH_ROUNDS", "5"))

os.environ.setdefault("PAGEOWNER_FAST_NO_PROGRESS", "1")


@pytest.fixture(scope="module")
def dumps():
    a, meta_a = _gencache.generated(SIZE, seed=0, **_SHAPE_KW)
    b, meta_b = _gencache.generated(SIZE, seed=1, **_SHAPE_KW)
    return a, b


def _interleaved(fns, rounds=ROUNDS):
    """Median wall time of each callable, run alternately so that all see the same load."""
    times = [[] for _ in fns]
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return [sorted(ts)[len(ts) // 2] for ts in times]


def _sort_once(path, out):
    rc = main(["sort", str(path), str(out)])
    assert rc == 0


def _cli(*args):
    subprocess.run([sys.executable, "-m", "pageowner_fast", *map(str, args)], check=True,
                   stdout=subprocess.DEVNULL)


def _report(benchmark, name, t_this, t_sort, bound=None):
    ratio = t_this / t_sort
    benchmark.extra_info.update({"sort_s": round(t_sort, 4), f"{name}_s": round(t_this, 4),
                                 "ratio_vs_sort": round(ratio, 3), "size": SIZE})
    print(f"\n{name}: {t_this:.3f} s, sort: {t_sort:.3f} s -> {ratio:.2f}x sort (medians, interleaved)"
          + (f", bound {bound}x" if bound else ""))
    return ratio


def test_sort(benchmark, dumps, tmp_path):
    """The yardstick: `pageowner-fast sort IN OUT` (default options), in-process."""
    out = tmp_path / "out.txt"
    benchmark.pedantic(_sort_once, args=(dumps[0], out), rounds=ROUNDS, iterations=1, warmup_rounds=1)


def test_diff_api(benchmark, dumps, tmp_path):
    """pageowner_fast.diff(a, b) in-process, beside an in-process sort of one of them. Both
    inputs are scanned at once (one thread each); on a machine whose cores are busy this
    approaches 2 scans = 2x sort, since sort is one scan plus little."""
    a, b = dumps
    table = benchmark.pedantic(pf.diff, args=(a, b), rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert len(table) > 0
    out = tmp_path / "out.txt"
    t_sort, t_diff = _interleaved([lambda: _sort_once(a, out), lambda: pf.diff(a, b)])
    _report(benchmark, "diff (API)", t_diff, t_sort)


def test_diff_cli_within_2x_sort_cli(benchmark, dumps, tmp_path):
    """`pageowner-fast diff A B` vs `pageowner-fast sort A OUT`, as a user runs them."""
    a, b = dumps
    out = tmp_path / "out.txt"
    benchmark.pedantic(_cli, args=("diff", a, b, "--format", "json", "-o", tmp_path / "d.json"),
                       rounds=ROUNDS, iterations=1, warmup_rounds=1)
    t_sort, t_diff = _interleaved([lambda: _cli("sort", a, out),
                                   lambda: _cli("diff", a, b, "--format", "json", "-o", tmp_path / "d.json")])
    assert _report(benchmark, "diff (CLI)", t_diff, t_sort, 2) <= 2.0


def test_load_to_arrow_vs_sort(benchmark, dumps, tmp_path):
    pytest.importorskip("pyarrow")
    a = dumps[0]

    def load_arrow():
        return pf.load(a).to_arrow()
    t = benchmark.pedantic(load_arrow, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert t.num_rows > 0
    out = tmp_path / "out.txt"
    t_sort, t_arrow = _interleaved([lambda: _sort_once(a, out), load_arrow])
    _report(benchmark, "load+to_arrow", t_arrow, t_sort)


def test_timeline_of_three(benchmark, dumps):
    """timeline reads its snapshots one after the other (bounded memory)."""
    a, b = dumps
    t = benchmark.pedantic(pf.timeline, args=([a, b, a],), rounds=max(1, ROUNDS // 2), iterations=1)
    assert len(t) > 0
