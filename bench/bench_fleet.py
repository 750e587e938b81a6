"""Fleet ingest throughput: the same 200 generated dumps ingested by a plain loop in one process
(`workers=0`: the task function called dump after dump, no Dask), by Dask with one local worker
process, and with two -- side by side in one run, alternating, medians of a few repetitions.

    python bench/bench_fleet.py                      # 200 dumps of 3 MiB, 3 repetitions
    python bench/bench_fleet.py --dumps 50 --size 1M --reps 5 --json out.json

Each repetition writes a fresh dataset. Reported per configuration: the median wall time of
the whole ingest (listing and checking the inputs, starting the cluster, the tasks, merging the
stacks and dumps tables), the median time of the tasks alone (from the moment the cluster is
up -- its workers warmed, see `cluster.DaskRunner.check_workers` -- to the last result),
dumps/s and GB/s of input over both; the task-seconds (the sum of every dump's own time inside
its task), hence dumps/s per worker and how many workers were busy on average (task-seconds /
tasks s: below the worker count when the machine's cores are taken by other work); and what
one dump leaves behind: rows, the bytes of its files in the dataset, and the bytes of the
summary a task sends back to the driver.

The inputs are cached under bench/.cache (bench/_gencache.py); the first run generates them.
Machine noise: read the ratios; the numbers are medians over alternating runs.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _gencache  # noqa: E402

CONFIGS = (("plain loop (1 process, no Dask)", 0), ("Dask, 1 worker", 1), ("Dask, 2 workers", 2))
N_PATHS = 500   # call paths per dump: the generator builds its path pool per dump


def inputs(n: int, size: str) -> list[str]:
    """``n`` generated dumps (seeds 0..n-1), cached."""
    return [str(_gencache.generated(size, seed=s, n_paths=N_PATHS, log=lambda m: None)[0])
            for s in range(n)]


def one_run(files: list[str], workers: int, out: Path) -> dict:
    from pageowner_fast import fleet
    marks: dict[str, float] = {}

    def progress(done: int, total: int) -> None:
        if done == 0:
            marks["up"] = time.perf_counter()
        if done == total:
            marks["end"] = time.perf_counter()
    t0 = time.perf_counter()
    r = fleet.ingest(files, out, labels_from=r"_s(?P<host>\d+)_", workers=workers, progress=progress)
    wall = time.perf_counter() - t0
    assert r.ok and len(r.ingested) == len(files), r.failed
    per_file = {t: sum(p.stat().st_size for p in (out / t).rglob("*.parquet"))
                for t in ("aggregates", "stacks", "dumps")}
    return {"wall": wall, "tasks": marks["end"] - marks["up"], "rows": r.rows,
            "work": sum(s["seconds"] for s in r.ingested),
            "files_bytes": per_file, "summary_bytes": statistics.median(
                len(pickle.dumps(s)) for s in r.ingested), "where": r.where}


def _load(la: tuple[float, float, float] | None) -> str:
    return "?" if la is None else f"{la[0]:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dumps", type=int, default=200)
    ap.add_argument("--size", default="3M", help="bytes per dump (generator sizes: 500K, 3M, ...)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", help="write every run's numbers here")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    files = inputs(args.dumps, args.size)
    nbytes = sum(os.path.getsize(f) for f in files)
    print(f"{len(files)} dumps, {nbytes / 1e9:.2f} GB ({nbytes / len(files) / 2**20:.1f} MiB each); "
          f"inputs ready in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    load0 = os.getloadavg() if hasattr(os, "getloadavg") else None
    runs: dict[int, list[dict]] = {w: [] for _, w in CONFIGS}
    work = Path(tempfile.mkdtemp(prefix="bench_fleet_"))
    try:
        for rep in range(args.reps):
            for name, w in CONFIGS:
                out = work / f"ds{w}"
                shutil.rmtree(out, ignore_errors=True)
                got = one_run(files, w, out)
                runs[w].append(got)
                print(f"rep {rep + 1}: {name}: {got['wall']:.2f} s ({got['tasks']:.2f} s tasks)",
                      file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = []
    base = statistics.median(r["wall"] for r in runs[0])
    base_tasks = statistics.median(r["tasks"] for r in runs[0])
    for name, w in CONFIGS:
        wall = statistics.median(r["wall"] for r in runs[w])
        tasks = statistics.median(r["tasks"] for r in runs[w])
        work = statistics.median(r["work"] for r in runs[w])
        rows.append({"config": name, "workers": w, "wall_s": wall, "tasks_s": tasks, "work_s": work,
                     "dumps_per_worker_s": len(files) / work,
                     "busy_workers": work / tasks,
                     "dumps_per_s": len(files) / wall, "gb_per_s": nbytes / 1e9 / wall,
                     "dumps_per_s_tasks": len(files) / tasks, "gb_per_s_tasks": nbytes / 1e9 / tasks,
                     "speedup": base / wall, "speedup_tasks": base_tasks / tasks})
    last = runs[2][-1]
    facts = {"dumps": len(files), "input_bytes": nbytes, "rows_per_dump": last["rows"] / len(files),
             "dataset_bytes_per_dump": {k: v / len(files) for k, v in last["files_bytes"].items()},
             "task_summary_bytes": last["summary_bytes"], "reps": args.reps,
             "cpus": os.cpu_count(), "python": platform.python_version(),
             "loadavg_before": load0, "loadavg_after": os.getloadavg() if load0 else None}
    print(f"\n{len(files)} dumps, {nbytes / 1e9:.2f} GB; medians of {args.reps} alternating runs; "
          f"{facts['cpus']} CPUs, load average {_load(load0)} before, {_load(facts['loadavg_after'])} "
          "after (other work on the machine)\n")
    print("| ingest | wall s | dumps/s | GB/s | speed-up | tasks s | dumps/s (tasks) | GB/s (tasks) "
          "| speed-up (tasks) | task-seconds | dumps/s per worker | busy workers |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        print(f"| {r['config']} | {r['wall_s']:.2f} | {r['dumps_per_s']:.1f} | {r['gb_per_s']:.3f} | "
              f"{r['speedup']:.2f}x | {r['tasks_s']:.2f} | {r['dumps_per_s_tasks']:.1f} | "
              f"{r['gb_per_s_tasks']:.3f} | {r['speedup_tasks']:.2f}x | {r['work_s']:.2f} | "
              f"{r['dumps_per_worker_s']:.1f} | {r['busy_workers']:.2f} |")
    b = facts["dataset_bytes_per_dump"]
    print(f"\nper dump: {facts['rows_per_dump']:.0f} rows; in the dataset {b['aggregates'] / 1024:.0f} KiB "
          f"of aggregates, {b['stacks'] / 1024:.0f} KiB of stacks (merged), {b['dumps'] / 1024:.1f} KiB "
          f"of dumps table; a task's summary back to the driver: {facts['task_summary_bytes']:.0f} bytes")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "facts": facts, "runs": runs}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
