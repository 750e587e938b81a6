#!/usr/bin/env python3
"""Fuzz the Cython scanner on mutated page_owner dumps, for a given time.

Every input (a mutated slice of the seed corpus: tests/data/golden/inputs and
tests/data/real_corpus) goes through ``pageowner_fast._scan``:

* ``scan_bytes`` (strip_ts on and off) must not crash and must return consistent columns
  (equal lengths, every id inside its table, counts/pages adding up);
* on inputs up to ``--max-compare`` bytes it must equal ``_pyscan.scan_bytes``, the
  pure-Python reference engine;
* ``scan_stream`` fed a few bytes per read (chunk boundaries everywhere), ``scan_mapped``
  (the multi-threaded path for regular files) and ``aggregate=True`` must agree with it;
* ``scan_stream`` fed by an ill-behaved file object (``read(n)`` returning more or less than
  n, a bytearray instead of bytes, ``readinto`` filling only part of its buffer) must agree
  too, and one whose ``readinto`` reports more bytes than its buffer holds must raise
  ``InputError`` (issue 16).

The mutator splices in the tokens the matchers look for, and long runs of the adversarial
shapes of issue 16 (``tgid (``, ``(``, ``)``, ``ts ``, ``+0x``, ``[``, ``PFN``, digits, spaces).

A mismatch or exception saves the input under ``--crash-dir`` and exits 1. Memory errors are
caught by AddressSanitizer when the extension is built with it (bounds checks on too):

    python bench/fuzz.py --asan-build /tmp/pof-asan          # once: builds a scratch copy
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \\
    LD_PRELOAD="$(gcc -print-file-name=libasan.so)" \\
    PYTHONPATH=/tmp/pof-asan/src python bench/fuzz.py --seconds 600

(The build also has UBSan, -fno-sanitize-recover: undefined behaviour aborts too; see
.github/workflows/sanitize.yml.)

The engine is atheris (coverage-guided libFuzzer; the coverage comes from the instrumented
pure-Python reference scanner, whose branches mirror the Cython one's) when it is installed,
else hypothesis (random structured mutations, many examples). See docs/robustness.md.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import mmap
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_DIRS = [ROOT / "tests" / "data" / "golden" / "inputs", ROOT / "tests" / "data" / "real_corpus"]

# Fragments the mutator splices in: the tokens the scanner's matchers look for, and the bytes
# that end lines and blocks.
TOKENS = [
    b"\n", b"\n\n", b"\r\n", b"\x00", b" ", b"\t", b",", b"(", b")", b"), ", b"0", b"7", b"-1",
    b"Page allocated via order ", b"order ", b"order 63,", b"order 99999999999999999999,",
    b", mask 0x", b"0xffffffffffffffffff", b"(GFP_KERNEL)", b", pid ", b"pid 12,", b" tgid ",
    b"tgid 7 (", b"tgid 7 (x), ts", b"), ts ", b" ts ", b" ns", b"ts 18446744073709551616 ns",
    b", free_ts ", b"free_ts 5 ns", b"PFN ", b"PFN 0x", b"PFN 99999999999999999999 type CMA",
    b" type ", b"Movable", b"CMA", b"slab", b"Block 3 type CMA Flags 0x200(slab|head)",
    b" post_alloc_hook+0xca/0xd0\n", b" __vmalloc_node_range_noprof+0x1/0x2\n",
    b" alloc_pages_bulk+0x1/0x2\n", b"+0x1/0x2 [ext4]", b"+0x1/0x2 [", b"]", b"[nvme-core]",
    b"Page has been migrated, last migrate reason: compaction\n", b"nr_base_pages: 20\n",
    b"Charged to memcg x\n", b"handle: 5\n",
]
# issue 16's adversarial shapes, spliced in as long runs (with a prefix that puts the
# matchers where they work hardest)
ADVERSARIAL = [(b"", b"tgid ("), (b"", b"tgid ()"), (b"tgid 1 ", b"("), (b"tgid 1 (", b")"),
               (b"tgid 1 (", b"),"), (b"", b"ts "), (b"ts", b" "), (b"tgid", b" "),
               (b"tgid 1 (x),", b" "), (b"", b"+0x"), (b"", b"+0x1/0x"), (b"", b"["),
               (b"+0x1/0x2", b" ["), (b"", b"PFN"), (b"order ", b"0123456789"), (b"", b"mask 0x"),
               (b"", b"__vmalloc_node_range alloc_pages "), (b"", b"free_ts ")]


# --- seeds ------------------------------------------------------------------------------------

def seed_slices(max_len: int) -> list[bytes]:
    """The seed files cut at block boundaries into pieces of at most `max_len` bytes."""
    out = []
    for d in SEED_DIRS:
        for p in sorted(d.glob("*.txt")):
            data = p.read_bytes()
            start = 0
            while start < len(data):
                end = min(len(data), start + max_len)
                if end < len(data):
                    cut = data.rfind(b"\n\n", start, end)
                    end = cut + 2 if cut > start else end
                out.append(data[start:end])
                start = end
    if not out:
        raise SystemExit(f"fuzz: no seed files under {', '.join(map(str, SEED_DIRS))}")
    return out


def mutate(data: bytes, rnd: random.Random, max_len: int, seeds: list[bytes]) -> bytes:
    """A few structure-aware edits: splice tokens, drop/duplicate/swap lines, flip bytes,
    cross over with another seed, cut the end, turn LF into CRLF."""
    b = bytearray(data)
    for _ in range(rnd.randint(1, 6)):
        op = rnd.randrange(10)
        pos = rnd.randint(0, len(b))
        if op <= 2:
            b[pos:pos] = rnd.choice(TOKENS)
        elif op == 3 and b:
            end = min(len(b), pos + rnd.randint(1, 64))
            del b[pos:end]
        elif op == 4 and b:                     # duplicate or delete a whole line
            s = b.rfind(b"\n", 0, pos) + 1
            e = b.find(b"\n", pos)
            e = len(b) if e < 0 else e + 1
            if rnd.random() < 0.5:
                b[s:s] = b[s:e]
            else:
                del b[s:e]
        elif op == 5 and b:
            i = rnd.randrange(len(b))
            b[i] = rnd.choice((0, 10, 13, 32, 40, 41, 44, 48, 57, 120, 255, b[i] ^ (1 << rnd.randrange(8))))
        elif op == 6:                           # crossover
            other = rnd.choice(seeds)
            s = rnd.randrange(len(other) + 1)
            b[pos:pos] = other[s:s + rnd.randint(1, 512)]
        elif op == 7 and b:
            del b[rnd.randint(0, len(b)):]
        elif op == 8 and rnd.random() < 0.2:
            b = bytearray(bytes(b).replace(b"\n", b"\r\n"))
        elif op == 9 and rnd.random() < 0.5:    # an adversarial line (issue 16)
            prefix, unit = rnd.choice(ADVERSARIAL)
            b[pos:pos] = prefix + unit * rnd.choice((20, 300, 3000))
        else:                                   # a long run: big numbers, long lines
            b[pos:pos] = bytes([rnd.choice(b"0 x\n(")]) * rnd.choice((25, 300, 5000))
    return bytes(b[:max_len])


# --- the oracle -------------------------------------------------------------------------------

class Mismatch(AssertionError):
    pass


class Trickle(io.RawIOBase):
    """Hands out at most `step` bytes per read."""

    def __init__(self, data, step):
        self.data, self.pos, self.step = data, 0, step

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.step, len(self.data) - self.pos)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


class GreedyRead:
    """No readinto; read(n) returns what it likes (1 .. 3n bytes), bytes or a bytearray."""

    def __init__(self, data, rnd):
        self.data, self.pos, self.rnd = data, 0, rnd

    def read(self, n=-1):
        k = max(1, self.rnd.randint(1, 3 * max(n, 1)))
        out = self.data[self.pos:self.pos + k]
        self.pos += len(out)
        return bytearray(out) if self.rnd.random() < 0.3 else out


class ShortReadinto:
    """readinto() that fills only part of its buffer; or, lying=True, reports more bytes
    than the buffer holds (which must raise InputError)."""

    name = "fuzz-input"

    def __init__(self, data, rnd, lying=False):
        self.data, self.pos, self.rnd, self.lying = data, 0, rnd, lying

    def readinto(self, b):
        n = min(len(b), self.rnd.randint(1, 70000), len(self.data) - self.pos)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return len(b) + 1 if self.lying and n else n


class Checker:
    def __init__(self, max_compare: int):
        from pageowner_fast import _pyscan, _scan
        from pageowner_fast.dump import Table
        self.scan, self.pyscan, self.Table = _scan, _pyscan, Table
        self.max_compare = max_compare
        self.runs = self.compared = self.bytes = 0
        self.max_seen = 0
        self.ref_failures = {}       # exception text -> one input that raised it

    def tables(self, t):
        return {k: list(self.Table(v)) for k, v in t.items()}

    def same(self, a, b, what):
        import numpy as np
        ca, ta, sa = a
        cb, tb, sb = b
        for k in cb:
            if k not in ca or ca[k].dtype != cb[k].dtype or not np.array_equal(ca[k], cb[k]):
                raise Mismatch(f"{what}: column {k} differs")
        if self.tables(ta) != self.tables(tb):
            raise Mismatch(f"{what}: tables differ")
        if sa != sb:
            raise Mismatch(f"{what}: stats differ: {sa} != {sb}")

    def sane(self, res, what, aggregate=False):
        cols, tabs, stats = res
        n = {len(v) for v in cols.values()}
        if len(n) > 1:
            raise Mismatch(f"{what}: columns of different lengths {n}")
        t = self.tables(tabs)
        for col, tab in (("header_id", "headers"), ("stack_id", "stacks"), ("comm_id", "comms"),
                         ("module_id", "modules")):
            a = cols[col]
            if len(a) and (a.min() < 0 or a.max() >= len(t[tab])):
                raise Mismatch(f"{what}: {col} outside its table")
        if "count" in cols and int(cols["count"].sum()) != stats["blocks"]:
            raise Mismatch(f"{what}: counts add up to {int(cols['count'].sum())}, "
                           f"not {stats['blocks']} blocks")
        if not aggregate and len(cols["order"]) != stats["blocks"]:
            raise Mismatch(f"{what}: {len(cols['order'])} rows for {stats['blocks']} blocks")

    def check(self, data: bytes, rnd: random.Random) -> None:
        self.runs += 1
        self.bytes += len(data)
        self.max_seen = max(self.max_seen, len(data))
        for strip in (True, False):
            got = self.scan.scan_bytes(data, strip_ts=strip)
            self.sane(got, f"scan_bytes(strip_ts={strip})")
            if len(data) <= self.max_compare:
                try:
                    ref = self.pyscan.scan_bytes(data, strip_ts=strip)
                except ValueError as e:  # a bug of the reference engine: noted, not fatal
                    key = str(e).split(":")[0]
                    self.ref_failures.setdefault(key, data)
                    continue
                self.same(got, ref, f"Cython vs pure-Python (strip_ts={strip})")
                self.compared += 1
        step = rnd.choice((1, 2, 3, 7, 64, 4096) if len(data) <= 2048 else (64, 509, 4096))
        stream = self.scan.scan_stream(io.BufferedReader(Trickle(data, step), 7 if step < 64 else 8192),
                                       strip_ts=True)
        self.same(stream, self.scan.scan_bytes(data, strip_ts=True), f"scan_stream(step={step})")
        kind = rnd.choice(("greedy", "short", "lying"))
        if kind == "lying" and data:
            from pageowner_fast.exceptions import InputError
            try:
                self.scan.scan_stream(ShortReadinto(data, rnd, lying=True))
            except InputError:
                pass
            else:
                raise Mismatch("a readinto() that reports more than its buffer was accepted")
        elif kind != "lying":
            f = GreedyRead(data, rnd) if kind == "greedy" else ShortReadinto(data, rnd)
            self.same(self.scan.scan_stream(f, strip_ts=True), stream, f"scan_stream({kind} reader)")
        if hasattr(self.scan, "scan_mapped") and data:
            # a real file mapping, as the engine uses it (scan_mapped releases the pages it
            # has read with MADV_DONTNEED, which would zero an anonymous buffer such as bytes)
            threads = rnd.choice((1, 2, 3, 4))
            with tempfile.TemporaryFile() as f:
                f.write(data)
                f.flush()
                with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                    mapped = self.scan.scan_mapped(mm, strip_ts=True, threads=threads)
            if mapped is not None:
                self.same(mapped, stream, f"scan_mapped(threads={threads})")
            elif b"\r" not in data:
                raise Mismatch("scan_mapped returned None on an input without CR")
        agg = self.scan.scan_bytes(data, strip_ts=True, aggregate=True)
        self.sane(agg, "scan_bytes(aggregate=True)", aggregate=True)
        if int(agg[0]["pages"].sum()) != int(stream[0]["pages"].sum()):
            raise Mismatch("aggregate=True: total pages differ")


def save_crash(crash_dir: Path, data: bytes, err: BaseException) -> Path:
    crash_dir.mkdir(parents=True, exist_ok=True)
    p = crash_dir / f"crash-{hashlib.sha1(data).hexdigest()[:16]}.txt"
    p.write_bytes(data)
    (p.with_suffix(".err")).write_text(f"{type(err).__name__}: {err}\n")
    return p


def asan_loaded() -> bool:
    from pageowner_fast import _scan
    try:
        return b"__asan_init" in Path(_scan.__file__).read_bytes()
    except OSError:
        return False


def ubsan_loaded() -> bool:
    from pageowner_fast import _scan
    try:
        return b"__ubsan_handle" in Path(_scan.__file__).read_bytes()
    except OSError:
        return False


# --- engines ----------------------------------------------------------------------------------

def run_atheris(args, seeds) -> int:
    import atheris

    with atheris.instrument_imports():   # coverage feedback from the reference scanner
        import pageowner_fast._pyscan  # noqa: F401
    checker = Checker(args.max_compare)

    work = Path(args.work_dir) / "corpus"
    work.mkdir(parents=True, exist_ok=True)
    for s in seeds:   # libFuzzer writes new inputs into the first corpus directory
        (work / hashlib.sha1(s).hexdigest()).write_bytes(s)
    rnd = random.Random(args.seed)

    def custom_mutator(data, max_size, seed):
        r = random.Random(seed)
        if r.random() < 0.5:
            return atheris.Mutate(data, max_size)
        return mutate(data, r, max_size, seeds)

    printed = []

    def one_input(data):
        if not printed and time.monotonic() - START > args.seconds - 2:
            printed.append(1)   # libFuzzer ends the process without running atexit handlers
            summary(args, checker, "atheris")
        try:
            checker.check(data, rnd)
        except Exception as e:
            p = save_crash(Path(args.crash_dir), data, e)
            print(f"\nfuzz: FAILED on {p}: {type(e).__name__}: {e}", file=sys.stderr)
            raise

    argv = [sys.argv[0], f"-max_total_time={args.seconds}", f"-max_len={args.max_len}",
            "-rss_limit_mb=4096", "-timeout=60", f"-seed={args.seed or 1}",
            f"-artifact_prefix={args.crash_dir.rstrip('/')}/", "-print_final_stats=1", str(work)]
    Path(args.crash_dir).mkdir(parents=True, exist_ok=True)
    atheris.Setup(argv, one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()
    return 0


def run_hypothesis(args, seeds) -> int:
    checker = Checker(args.max_compare)
    from hypothesis import HealthCheck, Verbosity, given, settings, strategies as st

    deadline = time.monotonic() + args.seconds
    last = Path(args.work_dir) / "current-input"
    failing = Path(args.work_dir) / "failing-input"
    last.parent.mkdir(parents=True, exist_ok=True)

    @settings(max_examples=100, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
              print_blob=False)
    @given(seed=st.sampled_from(seeds), r=st.randoms(use_true_random=False),
           rounds=st.integers(1, 4))
    def fuzz_one(seed, r, rounds):
        data = seed
        for _ in range(rounds):
            data = mutate(data, r, args.max_len, seeds)
        last.write_bytes(data)       # survives an ASan abort
        try:
            checker.check(data, r)
        except Exception:
            failing.write_bytes(data)  # the last one written is the shrunk example
            raise

    while time.monotonic() < deadline:
        try:
            fuzz_one()
        except Exception as e:
            p = save_crash(Path(args.crash_dir), failing.read_bytes(), e)
            print(f"fuzz: FAILED ({type(e).__name__}: {e}); input saved as {p}", file=sys.stderr)
            return 1
    summary(args, checker, "hypothesis")
    return 0


def summary(args, checker, engine) -> None:
    el = time.monotonic() - START
    print(f"fuzz: {engine}: {checker.runs} inputs in {el:.0f} s ({checker.runs / max(el, 1e-9):.0f}/s), "
          f"{checker.bytes / 1e6:.1f} MB, largest {checker.max_seen} bytes; {checker.compared} "
          f"compared with the pure-Python engine; ASan {'on' if asan_loaded() else 'OFF'}, "
          f"UBSan {'on' if ubsan_loaded() else 'OFF'}; "
          "no failure", file=sys.stderr)
    for key, data in checker.ref_failures.items():
        p = save_crash(Path(args.crash_dir), data, ValueError(key))
        print(f"fuzz: note: the pure-Python reference engine raised \"{key}\" (example: {p}); "
              "those inputs were not compared", file=sys.stderr)


def asan_build(target: Path) -> int:
    """Copy the sources to `target` and build the extension there with bounds checks + ASan."""
    target = target.resolve()
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copytree(ROOT / "src", target / "src",
                    ignore=shutil.ignore_patterns("*.so", "_scan.c", "*.html", "__pycache__",
                                                  "*.egg-info"))
    for f in ("setup.py", "pyproject.toml"):
        shutil.copy2(ROOT / f, target / f)
    env = dict(os.environ, PAGEOWNER_FAST_DEBUG="1", PAGEOWNER_FAST_REQUIRE_EXTENSION="1")
    env.pop("LD_PRELOAD", None)
    subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=target,
                   env=env, check=True)
    libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                             text=True).stdout.strip()
    print(f"built {target}/src/pageowner_fast/_scan*.so with bounds checks + ASan + UBSan; run:\n"
          f"  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 LD_PRELOAD={libasan} "
          f"PYTHONPATH={target}/src {sys.executable} {Path(__file__).resolve()} --seconds 600")
    return 0


START = time.monotonic()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60, help="how long to fuzz (default 60)")
    ap.add_argument("--engine", choices=("auto", "atheris", "hypothesis"), default="auto")
    ap.add_argument("--max-len", type=int, default=64 * 1024, help="largest input (bytes)")
    ap.add_argument("--seed-len", type=int, default=4096,
                    help="seed files are cut into pieces of about this size (default 4096)")
    ap.add_argument("--max-compare", type=int, default=64 * 1024,
                    help="compare with the pure-Python engine up to this size (bytes)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work-dir", default=str(ROOT / "bench" / ".cache" / "fuzz"))
    ap.add_argument("--crash-dir", default=str(ROOT / "bench" / ".cache" / "fuzz" / "crashes"))
    ap.add_argument("--asan-build", metavar="DIR", help="build an ASan copy of the extension in DIR and exit")
    args, rest = ap.parse_known_args(argv)
    if args.asan_build:
        return asan_build(Path(args.asan_build))
    import pageowner_fast
    if pageowner_fast.engine != "cython":
        raise SystemExit("fuzz: the compiled scanner is not importable (build it first)")
    from pageowner_fast import _scan
    print(f"fuzz: scanner {_scan.__file__}; ASan {'on' if asan_loaded() else 'OFF'}, "
          f"UBSan {'on' if ubsan_loaded() else 'OFF'}; {_scan.info()}", file=sys.stderr)
    seeds = seed_slices(min(args.max_len, args.seed_len))
    engine = args.engine
    if engine == "auto":
        # atheris takes its coverage feedback from libFuzzer's __sanitizer_cov_* hooks; gcc's
        # libasan (LD_PRELOAD) defines those too and wins, which leaves atheris blind: under
        # ASan the structured hypothesis mutator is the better random search.
        try:
            import atheris  # noqa: F401
            engine = "hypothesis" if asan_loaded() else "atheris"
        except ImportError:
            engine = "hypothesis"
    print(f"fuzz: engine {engine}, {len(seeds)} seed pieces, {args.seconds:.0f} s", file=sys.stderr)
    if engine == "atheris":
        return run_atheris(args, seeds)
    return run_hypothesis(args, seeds)


if __name__ == "__main__":
    sys.exit(main())
