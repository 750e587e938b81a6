#!/usr/bin/env python3
"""Side-by-side comparison of ``pageowner-fast sort`` and the kernel's C ``page_owner_sort``.

For every input x option set both programs run ``--runs`` times, alternating;
each child's wall time and peak RSS (``ru_maxrss`` from ``os.wait4``) are
recorded, and the two output files must be byte-identical.  A MISMATCH is
reported loudly and makes the exit status 1 (as does any failing run).

The inputs form a matrix: seeded dumps from ``pageowner_fast.gen`` for every
shape (``--shapes``: ``default``, ``cgroup-heavy-6.7``, ``6.1-long-running``)
and size (``--sizes``), generated once into ``bench/.cache/`` and reused; the
real dumps of ``tests/data/real_dumps`` (``--real``); and existing files
(``--inputs``; ``.xz``/``.gz``/``.bz2`` are decompressed into the cache first,
because the C tool needs a regular file).  The output has one table per shape
(and one for the real dumps, one for other inputs), a table of what each input
looks like (blocks, bytes per block, fold ratio = distinct texts / blocks, the
shares of memcg, migrate, thread and free_ts blocks), and a summary that puts
each table's worst row beside its best.  ``--json`` keeps every measurement.

Examples::

    python bench/compare.py --baseline /opt/pos/page_owner_sort
    python bench/compare.py --shapes default,cgroup-heavy-6.7,6.1-long-running --sizes 1G \\
        --options default,m,cull-st,a --real --markdown --json out.json
    python bench/compare.py --sizes 100M --options default,m --runs 5 --markdown
    python bench/compare.py --inputs /work/shared/real_dumps/k6.12_page_owner_t1.txt.xz
    python bench/compare.py --pipe --pipe-sizes 100M,1G,10G

``--pipe`` measures ``gen | pageowner-fast sort - out`` instead (linearity in
the input size, bounded memory); the C tool cannot read a pipe.

Before every timed run the program's previous output file is deleted, the
file system is synced (``os.sync``) and the input is read through once, untimed,
for both programs alike: each run then creates its output on a settled file
system, instead of paying for the write-back and the freeing of the previous
run's output (with ``-a`` that is a 900 MB file, and on a disk mounted with
``discard`` freeing it takes seconds), and finds its input in the page cache, as
a dump just written there is. (This VM's kernel pages out file pages it sees as
cold -- DAMON, a minute without many accesses -- so a 1 GB input read once every
15 s can lose 50-200 MB of its cache within a row; with 50 MB of the cgroup-heavy
input evicted our default sort took 380 ms instead of 356, 6 runs each.)
``--no-settle`` keeps the old outputs and skips the sync and the read.

This VM's kernel gives freed memory back to its host (free page reporting; the JSON's
``machine`` says whether it is on), and memory touched again for the first time costs 1-1.5
s per GiB more: the runs that write a large output (``-a``, the 6.1 default) move by
0.3-0.9 s with it.  A warm-up before each run (writing and freeing 3 GiB) was tried in the
fifth round and dropped: it made our runs that follow a C run slower, not steadier
(bench/results/round5-1G.md).

The C tool is ``--baseline PATH`` (or ``$PAGEOWNER_FAST_BASELINE``, or the older
``$PAGE_OWNER_SORT``); without one only our side runs and the C columns are
left out.  ``--ours-cmd`` replaces our command (a shell-quoted prefix; the
options, input and output are appended), e.g. to test the plumbing with the C
binary on both sides.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _gencache  # noqa: E402

OPTION_SETS: dict[str, list[str]] = {
    "default": [],
    "m": ["-m"],
    "n": ["-n"],
    "cull-st": ["--cull=st"],
    "cull-pid-name": ["--cull=pid,name"],
    "sort-n-p": ["--sort=n,-p"],
    "a": ["-a"],
    # extra sets, not run unless asked for
    "t": ["-t"],
    "p": ["-p"],
    "s": ["-s"],
    "cull-ator": ["--cull=allocator"],
    "cull-module": ["--cull=module"],
}
DEFAULT_OPTIONS = "default,m,n,cull-st,cull-pid-name,sort-n-p,a"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class Run:
    seconds: float
    maxrss_kib: int
    status: int
    stderr: str = ""


@dataclass
class Row:
    input: str
    options: str
    blocks: int | None
    group: str = ""
    ours: list[Run] = field(default_factory=list)
    c: list[Run] = field(default_factory=list)
    identical: bool | None = None
    note: str = ""


# A child's peak RSS (ru_maxrss) includes what its parent had mapped when it was forked,
# before exec: measured from this (large) script it would read this script's size. So each
# measured command is started by a minimal launcher (`python -I -S`, a few MiB), which times
# it and reports its rusage through a pipe.
_LAUNCHER = r"""
import os, sys, time, json
argv = json.loads(sys.argv[1]); timeout = float(sys.argv[2]); fd = int(sys.argv[3])
os.set_inheritable(fd, False)
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
deadline = t0 + timeout if timeout > 0 else None
while True:
    p, st, ru = os.wait4(pid, os.WNOHANG if deadline else 0)
    if p == pid:
        break
    if deadline and time.perf_counter() > deadline:
        os.kill(pid, 9)
        p, st, ru = os.wait4(pid, 0)
        break
    time.sleep(0.002)
dt = time.perf_counter() - t0
os.write(fd, json.dumps([dt, ru.ru_maxrss, os.waitstatus_to_exitcode(st),
                        ru.ru_utime + ru.ru_stime]).encode())
"""


def run_child(argv: list[str], *, stdin=None, timeout: float | None = None) -> Run:
    """Run argv; return wall time, peak RSS of that child and its exit status."""
    r, w = os.pipe()
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _LAUNCHER, json.dumps(argv),
                                     str(timeout or 0), str(w)],
                                    stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err, pass_fds=(w,),
                                    preexec_fn=None)
        except OSError as e:
            os.close(r)
            os.close(w)
            return Run(0.0, 0, 127, f"cannot start {argv[0]}: {e}")
        os.close(w)
        proc.wait()
        data = b""
        while True:
            chunk = os.read(r, 4096)
            if not chunk:
                break
            data += chunk
        os.close(r)
        err.seek(0)
        msg = err.read(4000).decode(errors="replace")
    try:
        dt, rss, status, _cpu = json.loads(data)
    except ValueError:
        return Run(0.0, 0, 127, f"launcher failed: {msg.strip()[:400]}")
    return Run(dt, rss, status, msg)


def _wait(proc: subprocess.Popen, timeout: float | None):
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, wstatus, ru = os.wait4(proc.pid, 0 if deadline is None else os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(wstatus)
            return proc.returncode, ru
        if deadline is not None and time.monotonic() > deadline:
            proc.kill()
            _, wstatus, ru = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return -9, ru
        time.sleep(0.01)


def ours_prefix(override: str | None) -> list[str]:
    if override:
        return shlex.split(override)
    exe = shutil.which("pageowner-fast")
    if exe:
        return [exe, "sort"]
    return [sys.executable, "-m", "pageowner_fast", "sort"]


def compile_bytecode() -> str:
    """Write the package's bytecode before timing, as ``pip install`` does for a wheel: with
    PYTHONDONTWRITEBYTECODE set (as on some CI machines) an editable install would otherwise
    compile every module again on each run, ~30 ms that a user's install never pays."""
    import compileall
    import importlib.util
    spec = importlib.util.find_spec("pageowner_fast")
    if spec is None or not spec.submodule_search_locations:
        return "pageowner_fast not importable here: bytecode not compiled"
    where = list(spec.submodule_search_locations)[0]
    ok = compileall.compile_dir(where, quiet=1)
    return f"bytecode of {where} compiled" + ("" if ok else " (some files failed)")


def first_difference(a: Path, b: Path) -> str:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        line = 1
        offset = 0
        while True:
            ca, cb = fa.read(1 << 20), fb.read(1 << 20)
            if ca != cb:
                n = min(len(ca), len(cb))
                i = next((k for k in range(n) if ca[k] != cb[k]), n)
                line += ca[:i].count(b"\n")
                la = ca[:i].rfind(b"\n") + 1
                ours = ca[la: ca.find(b"\n", i) if ca.find(b"\n", i) >= 0 else None][:160]
                theirs = cb[la: cb.find(b"\n", i) if cb.find(b"\n", i) >= 0 else None][:160]
                sizes = f"sizes {a.stat().st_size} vs {b.stat().st_size} bytes"
                return (f"first difference at byte {offset + i}, line {line} ({sizes}):\n"
                        f"      ours: {ours!r}\n      C:    {theirs!r}")
            if not ca:
                return "identical"
            line += ca.count(b"\n")
            offset += len(ca)


def fmt_s(runs: list[Run]) -> str:
    ok = [r.seconds for r in runs if r.status == 0]
    if not runs:
        return "-"
    if len(ok) < len(runs):
        return "FAIL"
    return f"{statistics.median(ok):.2f}"


def fmt_rss(runs: list[Run]) -> str:
    if not runs or any(r.status for r in runs):
        return "-" if not runs else "FAIL"
    return f"{max(r.maxrss_kib for r in runs) / 1024:.0f} MiB"


def ratio(num: list[Run], den: list[Run], key) -> str:
    if not num or not den or any(r.status for r in num + den):
        return "-"
    a = statistics.median(key(r) for r in num)
    b = statistics.median(key(r) for r in den)
    return f"{a / b:.2f}x" if b > 0 else "-"


def render(headers: list[str], rows: list[list[str]], markdown: bool, text: tuple[int, ...] = (0, 1)) -> str:
    """A table; the columns ``text`` are left-aligned, the others (numbers) right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells):
        if markdown:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
        return "  ".join(c.ljust(w) if i in text else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    out = [line(headers)]
    if markdown:
        out.append("|" + "|".join("-" * (w + 2) if i in text else "-" * (w + 1) + ":"
                                  for i, w in enumerate(widths)) + "|")
    else:
        out.append("  ".join("-" * w for w in widths))
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def table(rows: list[Row], with_c: bool, markdown: bool) -> str:
    if with_c:
        headers = ["input", "options", "blocks", "ours s (median)", "C s (median)", "speed C/ours",
                   "ours peak RSS", "C peak RSS", "RSS ours/C", "identical"]
    else:
        headers = ["input", "options", "blocks", "ours s (median)", "ours peak RSS"]
    out = []
    for r in rows:
        blocks = f"{r.blocks:,}" if r.blocks is not None else "?"
        if with_c:
            ident = {True: "yes", False: "NO (MISMATCH)", None: "n/a"}[r.identical]
            out.append([r.input, r.options, blocks, fmt_s(r.ours), fmt_s(r.c),
                        ratio(r.c, r.ours, lambda x: x.seconds), fmt_rss(r.ours), fmt_rss(r.c),
                        ratio(r.ours, r.c, lambda x: x.maxrss_kib), ident])
        else:
            out.append([r.input, r.options, blocks, fmt_s(r.ours), fmt_rss(r.ours)])
    return render(headers, out, markdown)


REAL_DUMPS = sorted((Path(__file__).resolve().parent.parent / "tests" / "data" / "real_dumps")
                    .glob("*_page_owner_t1.txt.xz"))


@dataclass
class Input:
    group: str          # the table it goes in: a shape's name, "real dumps" or "inputs"
    label: str
    path: Path
    blocks: int | None
    facts: dict = field(default_factory=dict)


def resolve_inputs(args) -> list[Input]:
    items: list[Input] = []
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    known = _gencache.gen_module().SHAPES
    for shape in shapes:
        if shape not in known:
            raise SystemExit(f"compare.py: unknown shape {shape!r}; known: {', '.join(known)}")
    for shape in shapes:
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            kw = {"era": args.era} if args.era else {}
            if shape != "default":
                kw["shape"] = shape
            path, meta = _gencache.generated(size, seed=args.seed, log=log, **kw)
            era = f"{args.era}, " if args.era else ""
            items.append(Input(shape, f"gen {size} ({shape}, {era}seed {args.seed})", path, meta.get("blocks")))
    for src in (REAL_DUMPS if args.real else []):
        path = _gencache.plain(src, log=log)
        items.append(Input("real dumps", src.name, path, _gencache.count_blocks(path)))
    for name in args.inputs or []:
        src = Path(name)
        if not src.is_file():
            raise SystemExit(f"compare.py: no such input: {name}")
        path = _gencache.plain(src, log=log)
        items.append(Input("inputs", src.name, path, _gencache.count_blocks(path)))
    if args.facts:
        for it in items:
            it.facts = _gencache.input_facts(it.path, log=log)
    return items


def settle(output: Path, source: Path | None = None) -> None:
    """Untimed, before a run: no previous output to replace, no dirty pages in flight, and
    the input wholly in the page cache (read through once), as right after
    ``cat /sys/kernel/debug/page_owner > dump.txt``."""
    output.unlink(missing_ok=True)
    os.sync()
    if source is not None:
        buf = bytearray(1 << 20)
        with open(source, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass


def page_reporting() -> dict[str, str | bool | None] | None:
    """The kernel's free page reporting to a hypervisor: the parameters its module shows
    (on this project's VM also how much it has reported), and whether the kernel log says it
    is enabled (None: the log cannot be read or has rotated). None when there is none."""
    params = Path("/sys/module/page_reporting/parameters")
    if not params.is_dir():
        return None
    out: dict[str, str | bool | None] = {}
    for p in sorted(params.iterdir()):
        try:
            out[p.name] = p.read_text().strip()
        except OSError:
            continue
    lines = _dmesg_lines()
    enabled = any("Free page reporting enabled" in line for line in lines)
    out["enabled_in_log"] = True if enabled else None
    return out


def _dmesg_lines() -> list[str]:
    try:
        out = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return out.splitlines()


def baseline_path(args) -> str | None:
    b = (args.baseline or os.environ.get("PAGEOWNER_FAST_BASELINE") or os.environ.get("PAGE_OWNER_SORT")
         or None)
    if b and not (os.path.isfile(b) and os.access(b, os.X_OK)):
        raise SystemExit(f"compare.py: baseline {b!r} is not an executable file")
    return b


def run_compare(args) -> int:
    baseline = baseline_path(args)
    ours = ours_prefix(args.ours_cmd)
    names = [o.strip() for o in args.options.split(",") if o.strip()]
    for n in names:
        if n not in OPTION_SETS:
            raise SystemExit(f"compare.py: unknown option set {n!r}; known: {', '.join(OPTION_SETS)}")
    inputs = resolve_inputs(args)
    if not inputs:
        raise SystemExit("compare.py: nothing to do (give --shapes/--sizes, --real and/or --inputs)")
    outdir = Path(tempfile.mkdtemp(prefix="out_", dir=_gencache.CACHE_DIR))
    log(f"ours: {shlex.join(ours)}")
    log(compile_bytecode())
    log(f"C:    {baseline or '(none: C columns omitted)'}")
    rows: list[Row] = []
    failed = False
    try:
        for inp in inputs:
            label, path = inp.label, inp.path
            for name in names:
                opts = OPTION_SETS[name]
                row = Row(label, name, inp.blocks, inp.group)
                out_o, out_c = outdir / "ours.txt", outdir / "c.txt"
                for i in range(args.runs):
                    order = ("ours", "c") if i % 2 == 0 else ("c", "ours")
                    for who in order:
                        if who == "c" and not baseline:
                            continue
                        argv = (ours + opts + [str(path), str(out_o)] if who == "ours"
                                else [baseline] + opts + [str(path), str(out_c)])
                        if args.settle:
                            settle(out_o if who == "ours" else out_c, path)
                        r = run_child(argv, timeout=args.timeout)
                        (row.ours if who == "ours" else row.c).append(r)
                        if r.status != 0:
                            failed = True
                            log(f"  !! {who} failed (exit {r.status}) on {label} [{name}]: "
                                f"{shlex.join(argv)}\n     {r.stderr.strip()[:600]}")
                    if any(r.status for r in row.ours + row.c):
                        break  # do not repeat a failing command
                if baseline and all(r.status == 0 for r in row.ours + row.c):
                    if not (out_o.is_file() and out_c.is_file()):
                        row.identical = False
                        row.note = "output file missing"
                    else:
                        row.identical = filecmp.cmp(out_o, out_c, shallow=False)
                        if not row.identical:
                            row.note = first_difference(out_o, out_c)
                    if not row.identical:
                        failed = True
                        bar = "*" * 72
                        log(f"\n{bar}\n*** MISMATCH: {label} [{name}] {shlex.join(opts)}\n    "
                            f"{row.note}\n{bar}\n")
                        if args.keep_mismatch:
                            keep = _gencache.CACHE_DIR / f"mismatch_{len(rows)}_{name}"
                            keep.mkdir(exist_ok=True)
                            shutil.copy(out_o, keep / "ours.txt")
                            shutil.copy(out_c, keep / "c.txt")
                            log(f"    outputs kept in {keep}")
                rows.append(row)
                log(f"  {label} [{name}]: ours {fmt_s(row.ours)} s {fmt_rss(row.ours)}"
                    + (f", C {fmt_s(row.c)} s {fmt_rss(row.c)}, identical={row.identical}" if baseline else ""))
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    print(report(inputs, rows, bool(baseline), args.markdown))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "machine": machine(), "baseline": baseline, "ours": ours, "runs": args.runs,
            "settle": args.settle,
            "inputs": [{"group": i.group, "input": i.label, "path": str(i.path), "blocks": i.blocks,
                        "facts": i.facts} for i in inputs],
            "rows": [{"group": r.group, "input": r.input, "options": r.options, "args": OPTION_SETS[r.options],
                      "blocks": r.blocks, "ours": [vars(x) for x in r.ours], "c": [vars(x) for x in r.c],
                      "identical": r.identical, "note": r.note,
                      "speed_c_over_ours": speedup(r), "rss_ours_over_c": rss_ratio(r)} for r in rows],
        }, indent=1) + "\n")
    if failed:
        log("compare.py: FAILED (mismatch or failing run; see above)")
    return 1 if failed else 0


def machine() -> dict:
    import platform
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine(),
            "cpu": cpu_model(), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "free_page_reporting": page_reporting(), "damon": damon_schemes()}


def damon_schemes() -> list[str] | None:
    """The actions of the kernel's running DAMON schemes (this VM's: "pageout", which
    evicts page cache it sees as cold; see the module's docstring); None without DAMON."""
    base = Path("/sys/kernel/mm/damon/admin/kdamonds")
    if not base.is_dir():
        return None
    got = []
    for state in base.glob("*/state"):
        if state.read_text().strip() != "on":
            continue
        got += [a.read_text().strip() for a in state.parent.glob("contexts/*/schemes/*/action")]
    return got


def cpu_model() -> str | None:
    """The CPU's model name and its widest vector extension (a VM may be moved to other
    hardware between rounds: results are comparable only on the same)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform_processor()
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines()
                 if ln.startswith("model name")), "?")
    flags = next((ln.split(":", 1)[1].split() for ln in info.splitlines()
                  if ln.startswith("flags")), [])
    vec = next((f for f in ("avx512f", "avx2", "sse4_2") if f in flags), None)
    return f"{name} ({vec})" if vec else name


def platform_processor() -> str | None:
    import platform
    return platform.processor() or None


def _median_ok(runs: list[Run], key) -> float | None:
    if not runs or any(r.status for r in runs):
        return None
    return statistics.median(key(r) for r in runs)


def speedup(r: Row) -> float | None:
    """C's median time over ours."""
    a, b = _median_ok(r.c, lambda x: x.seconds), _median_ok(r.ours, lambda x: x.seconds)
    return a / b if a is not None and b else None


def rss_ratio(r: Row) -> float | None:
    """Our median peak RSS over C's (as the row's "RSS ours/C")."""
    a, b = _median_ok(r.ours, lambda x: x.maxrss_kib), _median_ok(r.c, lambda x: x.maxrss_kib)
    return a / b if a is not None and b else None


_FACTS = [("blocks", "blocks", "{:,}"), ("bytes_per_block", "bytes/block", "{:.0f}"),
          ("fold_ratio", "fold ratio", "{:.3f}"), ("call_paths", "call paths", "{:,}"),
          ("tgids", "tgids", "{}"), ("memcg", "memcg", "{:.1%}"), ("memcg_offline", "of them offline", "{:.1%}"),
          ("cgroups", "cgroups", "{}"), ("migrate", "migrate", "{:.2%}"), ("threads", "threads", "{:.1%}"),
          ("free_ts_nonzero", "free_ts != 0", "{:.1%}"), ("order_gt0", "order > 0", "{:.1%}")]


def facts_table(inputs: list[Input], markdown: bool) -> str:
    rows = []
    for i in inputs:
        if not i.facts:
            continue
        rows.append([i.label] + ["-" if i.facts.get(k) is None else f.format(i.facts[k]) for k, _, f in _FACTS])
    if not rows:
        return ""
    return render(["input"] + [h for _, h, _ in _FACTS], rows, markdown, text=(0,))


def summary_table(rows: list[Row], markdown: bool) -> str:
    """Per table and overall: the best and the worst row (speed C/ours) side by side."""
    groups = list(dict.fromkeys(r.group for r in rows)) + ["all"]
    out = []
    for g in groups:
        rs = [r for r in rows if g == "all" or r.group == g]
        sp = [(speedup(r), r) for r in rs if speedup(r) is not None]
        rss = [x for x in (rss_ratio(r) for r in rs) if x is not None]
        if not sp:
            continue
        best, worst = max(sp, key=lambda t: t[0]), min(sp, key=lambda t: t[0])

        def name(r: Row) -> str:
            return f"{r.input} [{r.options}]" if g == "all" else f"{r.input.split(' (')[0]} [{r.options}]"
        ident = sum(r.identical is True for r in rs)
        out.append([g, f"{len(rs)}", f"{ident}/{len(rs)}", f"{best[0]:.2f}x", name(best[1]),
                    f"{worst[0]:.2f}x", name(worst[1]), f"{statistics.median(x for x, _ in sp):.2f}x",
                    f"{min(rss):.2f}x–{max(rss):.2f}x" if rss else "-"])
    if not out:
        return ""
    return render(["table", "rows", "identical", "best C/ours", "best row", "worst C/ours", "worst row",
                   "median C/ours", "RSS ours/C"], out, markdown, text=(0, 4, 6))


def report(inputs: list[Input], rows: list[Row], with_c: bool, markdown: bool) -> str:
    h = (lambda t: f"### {t}\n") if markdown else (lambda t: f"== {t} ==\n")
    parts = []
    ft = facts_table(inputs, markdown)
    if ft:
        parts.append(h("What the inputs look like") + ft)
    for g in dict.fromkeys(r.group for r in rows):
        title = f"shape {g}" if g not in ("real dumps", "inputs") else g
        parts.append(h(title) + table([r for r in rows if r.group == g], with_c, markdown))
    if with_c:
        st = summary_table(rows, markdown)
        if st:
            parts.append(h("Summary: the worst row beside the best") + st)
    return "\n\n".join(parts)


def run_pipe(args) -> int:
    """gen | ours sort - out, for a list of sizes: wall time and peak RSS."""
    ours = ours_prefix(args.ours_cmd)
    log(compile_bytecode())
    gen = _gencache.gen_module()
    outdir = Path(tempfile.mkdtemp(prefix="pipe_", dir=_gencache.CACHE_DIR))
    rows = []
    failed = False
    try:
        for size in [s.strip() for s in args.pipe_sizes.split(",") if s.strip()]:
            nbytes = gen.parse_size(size)
            for i in range(args.runs):
                gen_argv = _gencache.gen_script() + ["--size", size, "--seed", str(args.seed), "--stats", "-"]
                gen_argv += ["--era", args.era] if args.era else []
                shape = [x.strip() for x in args.shapes.split(",") if x.strip()]
                gen_argv += ["--shape", shape[0]] if shape and shape[0] != "default" else []
                out = outdir / "out.txt"
                ours_argv = ours + [*OPTION_SETS[args.pipe_options], "-", str(out)]
                with tempfile.TemporaryFile() as gerr, tempfile.TemporaryFile() as oerr:
                    t0 = time.perf_counter()
                    g = subprocess.Popen(gen_argv, stdout=subprocess.PIPE, stderr=gerr)
                    try:
                        o = subprocess.Popen(ours_argv, stdin=g.stdout, stdout=subprocess.DEVNULL, stderr=oerr)
                    finally:
                        assert g.stdout is not None
                        g.stdout.close()
                    ost, oru = _wait(o, args.timeout)
                    t_ours = time.perf_counter() - t0
                    gst, gru = _wait(g, args.timeout)
                    wall = time.perf_counter() - t0
                    gerr.seek(0)
                    oerr.seek(0)
                    gtxt = gerr.read().decode(errors="replace")
                    otxt = oerr.read(4000).decode(errors="replace")
                stats = {}
                for ln in gtxt.splitlines()[::-1]:
                    if ln.startswith("{"):
                        stats = json.loads(ln)
                        break
                ok = ost == 0 and gst in (0, -13, 141)  # gen may see a broken pipe if ours quits early
                if not ok:
                    failed = True
                    log(f"  !! pipe {size} failed: gen exit {gst}, ours exit {ost}: {otxt.strip()[:600]}")
                rows.append(dict(size=size, bytes=stats.get("bytes", nbytes), blocks=stats.get("blocks"),
                                 run=i + 1, wall=wall, ours_wall=t_ours, ours_rss=oru.ru_maxrss if oru else 0,
                                 ours_cpu=(oru.ru_utime + oru.ru_stime) if oru else 0.0,
                                 gen_rss=gru.ru_maxrss if gru else 0, ok=ok))
                log(f"  pipe {size} run {i + 1}: {wall:.2f} s, ours peak RSS {rows[-1]['ours_rss'] / 1024:.0f} MiB"
                    + ("" if ok else "  FAILED"))
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    headers = ["size", "blocks", "wall s (median)", "s per GiB", "MB/s", "ours CPU s (median)",
               "ours CPU s per GiB", "ours peak RSS", "gen peak RSS", "ok"]
    out = []
    for size in dict.fromkeys(r["size"] for r in rows):
        rs = [r for r in rows if r["size"] == size]
        wall = statistics.median(r["wall"] for r in rs)
        nbytes = rs[0]["bytes"]
        out.append([size, f"{rs[0]['blocks']:,}" if rs[0]["blocks"] else "?", f"{wall:.2f}",
                    f"{wall / (nbytes / (1 << 30)):.2f}", f"{nbytes / wall / 1e6:.0f}",
                    f"{statistics.median(r['ours_cpu'] for r in rs):.2f}",
                    f"{statistics.median(r['ours_cpu'] for r in rs) / (nbytes / (1 << 30)):.2f}",
                    f"{max(r['ours_rss'] for r in rs) / 1024:.0f} MiB",
                    f"{max(r['gen_rss'] for r in rs) / 1024:.0f} MiB",
                    "yes" if all(r["ok"] for r in rs) else "NO"])
    print(render(headers, out, args.markdown))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="option sets: " + ", ".join(f"{k}={' '.join(v) or '(none)'}"
                                                                    for k, v in OPTION_SETS.items()))
    ap.add_argument("--baseline", help="the C page_owner_sort binary (default: $PAGEOWNER_FAST_BASELINE, "
                                       "else $PAGE_OWNER_SORT)")
    ap.add_argument("--runs", type=int, default=3, help="runs per program and case (default 3)")
    ap.add_argument("--sizes", default="100M,1G",
                    help="generated dump sizes, comma-separated (default 100M,1G; '' for none)")
    ap.add_argument("--shapes", default="default",
                    help="generator shapes, comma-separated (default: default; also cgroup-heavy-6.7, "
                         "6.1-long-running; '' for none)")
    ap.add_argument("--era", default=None, help="era of generated dumps (default: the shape's; 6.7)")
    ap.add_argument("--seed", type=int, default=0, help="seed of generated dumps (default 0)")
    ap.add_argument("--real", action="store_true",
                    help="add the real dumps of tests/data/real_dumps (a 6.12 and a 6.1 kernel)")
    ap.add_argument("--inputs", nargs="+", metavar="FILE", help="existing dumps (.xz/.gz/.bz2 are decompressed)")
    ap.add_argument("--no-facts", dest="facts", action="store_false",
                    help="skip the table of what the inputs look like (it needs the installed package)")
    ap.add_argument("--options", default=DEFAULT_OPTIONS, help=f"option sets (default {DEFAULT_OPTIONS})")
    ap.add_argument("--markdown", action="store_true", help="print the tables as GitHub markdown")
    ap.add_argument("--json", metavar="FILE", help="also write every measurement to FILE")
    ap.add_argument("--ours-cmd", help="command prefix replacing 'pageowner-fast sort'")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per run before it is killed")
    ap.add_argument("--no-settle", dest="settle", action="store_false",
                    help="keep the previous output and skip the sync before each run")
    ap.add_argument("--keep-mismatch", action="store_true", help="keep both outputs of a mismatching case")
    ap.add_argument("--pipe", action="store_true", help="measure 'gen | ours sort - out' instead")
    ap.add_argument("--pipe-sizes", default="100M,1G,10G", help="sizes for --pipe (default 100M,1G,10G)")
    ap.add_argument("--pipe-options", default="default", choices=sorted(OPTION_SETS),
                    help="option set for --pipe (default: default)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    _gencache.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    return run_pipe(args) if args.pipe else run_compare(args)


if __name__ == "__main__":
    sys.exit(main())
