"""Kernel logs as input: page_owner reports (``dump_page_owner`` output) in dmesg, console and
syzbot/KASAN text, in every era's form and behind every kind of line prefix, checked against
what the generator below wrote (its own record of each report, not a parse)."""
from __future__ import annotations

import json
import random

import pytest

import pageowner_fast as pf
from pageowner_fast.analysis import group_by
from pageowner_fast.klog import KernelLog, parse_log
from pageowner_fast.stacks import load_any
from conftest import run_cli

ALLOC = [["post_alloc_hook+0x1f3/0x230", "get_page_from_freelist+0x3410/0x35b0",
          "__alloc_pages_noprof+0x292/0x710", "pte_alloc_one+0x15/0x50"],
         ["post_alloc_hook+0xca/0xd0", "__alloc_pages+0x1a2/0x350", "ext4_fill_super+0x5f/0x340 [ext4]"],
         ["post_alloc_hook+0xca/0xd0", "alloc_pages_mpol+0x8f/0x1e0", "filemap_fault+0x5d8/0xb10"]]
FREE = [["free_unref_page+0x661/0x1080", "tlb_batch_pages_flush+0x16b/0x1e0"],
        ["__free_pages_ok+0x1/0x2", "kfree+0x3/0x4"]]
LOCS = {"post_alloc_hook": "mm/page_alloc.c:1551", "get_page_from_freelist": "mm/page_alloc.c:3477"}
COMMS = ["syz-executor", "cat", "kworker/u8:2", "a (b), ts 5"]
MTS = {"Unmovable": "0xcc0(GFP_KERNEL)", "Movable": "0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)"}
# other lines of a log; a report ends at the first line that is not its own, so a frame-like
# line (" dump_stack_lvl+...") only ever follows one of these
NOISE = ["BUG: KASAN: use-after-free in foo+0x1/0x2", "Call Trace:\n <TASK>\n dump_stack_lvl+0x1/0x2",
         "page:ffffea0000a8d200 refcount:0 mapcount:0 pfn:0x2a348", "Memory state around the buggy address:",
         "page last allocated", "Modules linked in: ext4", ""]


def prefixer(style: str, rng: random.Random):
    t = [rng.uniform(0, 99999)]

    def pre() -> str:
        t[0] += 0.000001
        if style == "none":
            return ""
        if style == "printk":
            return f"[{t[0]:12.6f}] "
        if style == "caller":
            return f"[{t[0]:12.6f}][ T{rng.randrange(1, 9999):>4}] "
        if style == "level":
            return f"<4>[{t[0]:12.6f}] "
        if style == "host":   # a console capture's fixed-width host stamp before printk's
            return f"2026-01-02T03:04:05.678901+00:00 node1 kernel: [{t[0]:12.6f}] "
        raise AssertionError(style)
    return pre


def make_log(seed: int, n: int, style: str, era: str = "new", symbolised: bool = False):
    """(log text, records): each record is what one report says."""
    rng = random.Random(seed)
    pre = prefixer(style, rng)
    out, recs = [], []
    for _ in range(n):
        for _ in range(rng.randrange(0, 3)):
            out.extend(pre() + ln for ln in rng.choice(NOISE).split("\n"))
        order = rng.choice([0, 0, 1, 3])
        mt = rng.choice(list(MTS))
        stack = rng.choice(ALLOC)
        free = rng.choice(FREE) if era != "old" and rng.random() < 0.7 else None
        pid, comm, ts = rng.randrange(1, 9000), rng.choice(COMMS), rng.randrange(10**6, 10**12)
        freed = rng.choice([None, "allocated", "freed"])
        if freed and era != "old":
            out.append(pre() + f"page_owner tracks the page as {freed}")
        if era == "old":
            out.append(pre() + f"page allocated via order {order}, migratetype {mt}, gfp_mask {MTS[mt]}")
        elif era == "5.11":
            out.append(pre() + f"page last allocated via order {order}, migratetype {mt}, "
                       f"gfp_mask {MTS[mt]}, pid {pid}, ts {ts}, free_ts 0")
        else:
            out.append(pre() + f"page last allocated via order {order}, migratetype {mt}, "
                       f"gfp_mask {MTS[mt]}, pid {pid}, tgid {pid} ({comm}), ts {ts}, free_ts 7")
        for i, fr in enumerate(stack):
            if symbolised:
                sym = fr.split("+")[0]
                if i == 1:
                    out.append(pre() + f" prep_new_page mm/page_alloc.c:1558 [inline]")
                fr = f"{fr} {LOCS.get(sym, 'mm/x.c:1')}"
            out.append(pre() + " " + fr)
        if free is not None:
            out.append(pre() + f"page last free pid {pid + 1} tgid {pid + 1} stack trace:")
            out.extend(pre() + " " + fr + (" mm/free.c:9" if symbolised else "") for fr in free)
        elif era != "old" and rng.random() < 0.5:
            out.append(pre() + "page last free pid 3 tgid 3 stack trace:")
            out.append(pre() + "page_owner free stack trace missing")
        recs.append({"order": order, "pages": 1 << order, "mt": mt, "stack": tuple(stack),
                     "free": tuple(free) if free else None, "pid": None if era == "old" else pid,
                     "comm": comm if era == "new" else None, "ts": None if era == "old" else ts,
                     "gfp": MTS[mt]})
    out.append(pre() + "---[ end trace ]---")
    return "\n".join(out) + "\n", recs


def count(recs, field):
    c: dict = {}
    for r in recs:
        e = c.setdefault(r[field], [0, 0])
        e[0] += 1
        e[1] += r["pages"]
    return c


@pytest.mark.parametrize("style", ["none", "printk", "caller", "level", "host"])
@pytest.mark.parametrize("symbolised", [False, True])
def test_reports_behind_any_prefix(tmp_path, style, symbolised):
    text, recs = make_log(hash((style, symbolised)) % 1000, 60, style, symbolised=symbolised)
    p = tmp_path / "log.txt"
    p.write_text(text)
    src = load_any(p)
    assert isinstance(src, KernelLog) and src.kind == "kernel_log" and len(src) == len(recs)
    for key, field in (("stack", "stack"), ("free_stack", "free"), ("comm", "comm"),
                       ("order", "order"), ("pid", "pid"), ("migratetype", "mt"), ("gfp", "gfp")):
        assert group_by(src, key).to_dict() == count(recs, field), key
    two = group_by(src, "stack,free_stack").to_dict()
    assert two == {(a, b): v for (a, b), v in
                   ((k, v) for k, v in count([dict(r, sf=(r["stack"], r["free"])) for r in recs], "sf").items())}
    assert list(src.ts_ns) == [r["ts"] for r in recs]


@pytest.mark.parametrize("era", ["old", "5.11"])
def test_older_report_forms(tmp_path, era):
    text, recs = make_log(5, 30, "printk", era=era)
    src = parse_log(text.splitlines(), "log")
    assert group_by(src, "stack").to_dict() == count(recs, "stack")
    assert group_by(src, "order").to_dict() == count(recs, "order")
    if era == "5.11":
        assert group_by(src, "pid").to_dict() == count(recs, "pid")


def test_cli_top_stacks_diff_on_logs(tmp_path, capsys):
    a_text, a = make_log(1, 50, "printk")
    b_text, b = make_log(2, 80, "caller", symbolised=True)
    pa, pb = tmp_path / "a.log", tmp_path / "b.log"
    pa.write_text(a_text)
    pb.write_text(b_text)
    rc, out, err = run_cli(["top", pb, "--by", "stack", "--format", "json"], capsys=capsys)
    assert rc == 0 and "80 page_owner report(s) read from a kernel log" in err
    assert {tuple(r["key"]): [r["blocks"], r["pages"]] for r in json.loads(out)} == count(b, "stack")
    rc, out, err = run_cli(["diff", pa, pb, "--format", "json"], capsys=capsys)
    ca, cb = count(a, "stack"), count(b, "stack")
    assert {tuple(r["key"]): r["delta_pages"] for r in json.loads(out)} == \
        {k: cb.get(k, [0, 0])[1] - ca.get(k, [0, 0])[1] for k in ca.keys() | cb.keys()}
    rc, out, err = run_cli(["stacks", pb, "--by", "free_stack", "--format", "json"], capsys=capsys)
    assert rc == 0
    want = {k: v for k, v in count(b, "free").items()}
    assert {tuple(r["key"]) if r["key"] is not None else None: r["pages"] for r in json.loads(out)} == \
        {k: v[1] for k, v in want.items()}


def test_a_log_without_reports(tmp_path, capsys):
    p = tmp_path / "dmesg.txt"
    p.write_text("[    0.000000] Linux version 6.12\n[    1.000000] Call Trace:\n")
    rc, out, err = run_cli(["top", p, "--by", "stack"], capsys=capsys)
    assert rc == 0 and "a kernel log without page_owner reports" in err and err.count("\n") == 1


def test_free_stack_of_a_dump_is_one_line(tmp_path, capsys):
    p = tmp_path / "d.txt"
    p.write_text("Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 1, tgid 1 (a), ts 5 ns\n f+0x1/0x2\n\n")
    rc, _, err = run_cli(["top", p, "--by", "free_stack"], capsys=capsys)
    assert rc == 1 and err.count("\n") == 1 and "only the page_owner reports of a kernel log" in err


@pytest.mark.parametrize("line", [
    "[" * 200_000, "[]" * 200_000, "<" * 200_000,
    "page last allocated via order " + "9" * 200_000,
    "page last allocated via order 0, migratetype X, gfp_mask 0x" + "f" * 200_000,
    "page last allocated via order 0, pid 1, tgid 1 (" + "), ts " * 60_000,
    "page last allocated via order 0, pid 1, tgid 1 (" + "(" * 200_000 + "), ts 5",
    "page_owner tracks the page as " * 20_000,
])
def test_hostile_lines_are_read(line):
    """Lines built to make a backtracking pattern or a re-scanning loop slow: each is read
    (the reader searches from a moving position; a quadratic reader would not finish these
    in the suite's lifetime). What matters here is the result: no error, at most a report."""
    src = parse_log([line, " f+0x1/0x2", line], "hostile")
    assert len(src) <= 2
    assert pf.analysis.group_by(src, "stack").total_blocks == len(src)
