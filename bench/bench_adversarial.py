#!/usr/bin/env python3
"""Adversarial lines (issue 16): time per MB of a scan whose input holds one huge line made of
a repeated pattern -- `tgid (`, `(`, `)`, `ts `, `+0x`, `[`, `PFN`, digits, runs of spaces ... --
at 128 KB, 1 MB and 8 MB, in both engines. Linear matchers show a flat time per MB; the
quadratic comm matcher of before took 62 s for 1 MB of `tgid ()`.

    python bench/bench_adversarial.py                       # table, both engines
    python bench/bench_adversarial.py --sizes 128K,1M --engines cython --repeat 5
    python -m pytest bench/bench_adversarial.py --benchmark-only   # pytest-benchmark, 1 MB

Each input is two blocks: one whose header line is the adversarial line, one whose stack
line is (so both the header matchers and the per-stack cache meet it). The C engine is
timed through scan_stream (1 MiB reads) and scan_mapped, the pure-Python one through
_pyscan.scan_bytes; each cell is the median of --repeat runs, in seconds per MB. The
"flat" column is the 8 MB time per MB over the 128 KB one (1.0 = perfectly linear).
The work counts of tests/test_native.py check the same shapes without a clock.
"""
from __future__ import annotations

import argparse
import io
import mmap
import os
import statistics
import sys
import tempfile
import time

import pytest

# (name, prefix, repeated unit): the prefix puts the matchers where they work hardest
SHAPES = [
    ("tgid (", b"", b"tgid ("),
    ("tgid ()", b"", b"tgid ()"),
    ("(", b"tgid 1 ", b"("),
    (")", b"tgid 1 (", b")"),
    ("),", b"tgid 1 (", b"),"),
    ("ts ", b"", b"ts "),
    ("ts + spaces", b"ts", b" "),
    ("tgid + spaces", b"tgid", b" "),
    ("), + spaces", b"tgid 1 (x),", b" "),
    ("+0x", b"", b"+0x"),
    ("+0x1/0x", b"", b"+0x1/0x"),
    ("[", b"", b"["),
    ("+0x1/0x2 [", b"+0x1/0x2", b" ["),
    ("PFN", b"", b"PFN"),
    ("digits", b"order ", b"0123456789"),
    ("mask 0x", b"", b"mask 0x"),
    ("__vmalloc_node_range", b"", b"__vmalloc_node_range alloc_pages "),
    ("free_ts ", b"", b"free_ts "),
]
SIZES = {"32K": 32 << 10, "128K": 128 << 10, "512K": 512 << 10, "1M": 1 << 20, "8M": 8 << 20}


def adversarial_dump(prefix: bytes, unit: bytes, n: int) -> bytes:
    line = prefix + unit * ((n - len(prefix)) // len(unit) + 1)
    line = line[:n].replace(b"\n", b" ")
    return (b"Page allocated via order 0, mask 0x0(), " + line + b"\n f+0x1/0x2\n\n" +
            b"Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns\n" + line + b"\n\n")


def _runners():
    from pageowner_fast import _pyscan
    runners = {"python": lambda data, path: _pyscan.scan_bytes(data)}
    try:
        from pageowner_fast import _scan
    except ImportError:
        return runners

    def stream(data, path):
        return _scan.scan_stream(io.BytesIO(data), aggregate=True)

    def mapped(data, path):
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _scan.scan_mapped(mm, aggregate=True, threads=1)
    runners["cython-stream"] = stream
    runners["cython-mapped"] = mapped
    return runners


def measure(run, data: bytes, path: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run(data, path)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="128K,1M,8M")
    ap.add_argument("--engines", default="cython-stream,cython-mapped,python")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shapes", default="", help="comma-separated names (default: all)")
    args = ap.parse_args(argv)
    sizes = [(s, SIZES[s]) for s in args.sizes.split(",")]
    runners = _runners()
    engines = [e for e in args.engines.split(",") if e in runners]
    shapes = [s for s in SHAPES if not args.shapes or s[0] in args.shapes.split(",")]
    try:
        from pageowner_fast import _scan
        info = _scan.info() if hasattr(_scan, "info") else {"simd": "?", "hash": _scan.HASH}
        build = f"{info['simd']} splitter, {info['hash']}, {_scan.__file__}"
    except ImportError:
        build = "no compiled engine"
    print(f"adversarial lines: seconds per MB (median of {args.repeat}); {build}; "
          f"{os.cpu_count()} CPUs\n")
    head = "| shape | engine | " + " | ".join(s for s, _ in sizes) + " | flat |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "d.txt")
        for name, prefix, unit in shapes:
            for engine in engines:
                cells = []
                for _, n in sizes:
                    data = adversarial_dump(prefix, unit, n)
                    with open(path, "wb") as f:
                        f.write(data)
                    cells.append(measure(runners[engine], data, path, args.repeat) / (len(data) / 1e6))
                flat = cells[-1] / cells[0] if cells[0] > 0 else float("nan")
                worst = max(worst, flat)
                print(f"| `{name}` | {engine} | " + " | ".join(f"{c:.4f}" for c in cells) +
                      f" | {flat:.2f} |", flush=True)
    print(f"\nworst flatness (largest / smallest size, per MB): {worst:.2f}")
    return 0


# --- pytest-benchmark (bench/pytest.ini collects bench_*) ---------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
def bench_adversarial_1mb(benchmark, shape):
    from pageowner_fast import _scan
    data = adversarial_dump(shape[1], shape[2], 1 << 20)
    benchmark.pedantic(lambda: _scan.scan_stream(io.BytesIO(data), aggregate=True), rounds=5)
    benchmark.extra_info["MB"] = round(len(data) / 1e6, 3)


if __name__ == "__main__":
    sys.exit(main())
