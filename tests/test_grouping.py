"""`group_by` (the core of every analysis) against counts made block by block from the text
of hand-made dumps: one key and several, memcg (online, offline, via objcg, none),
pageblock types, time windows (absolute and counted back from the newest ts), page sizes.

The independent count (`naive`) splits the dump text at empty lines and reads each field
with plain string operations; it shares no code with the scanner or the grouping."""
from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pageowner_fast as pf
from pageowner_fast import _fields as F
from pageowner_fast import _pyscan
from pageowner_fast.analysis import KEYS, group_by, group_loaded, parse_by, parse_page_size
from pageowner_fast.dump import Dump
from pageowner_fast.exceptions import UnsupportedKeyError, UsageError
from pageowner_fast.timewindow import parse_time

COMMS = ["bash", "systemd-journal", "kworker/u8:2", "a (b) c"]
MEMCGS = [None, "Charged to memcg system.slice", "Charged (via objcg) to memcg user@1000.service",
          "Charged to offline memcg libpod-1", "Charged (via objcg) to offline memcg libpod-1",
          "Charged to offlined memcg old-pod"]
STACKS = [
    [" post_alloc_hook+0xca/0xd0", " get_page_from_freelist+0x5b2/0x1390",
     " __alloc_pages_noprof+0x1a2/0x350", " filemap_fault+0x5d8/0xb10"],
    [" post_alloc_hook+0xca/0xd0", " allocate_slab+0x2b6/0x3f0", " ext4_fill_super+0x5f/0x340 [ext4]"],
    [" post_alloc_hook+0xca/0xd0", " nvme_alloc+0x1/0x2 [nvme]", " kthread+0x1/0x2"],
]
TYPES = ["Unmovable", "Movable", "Reclaimable", "CMA"]
# the page's migratetype follows from its gfp mask, as in the kernel
MASKS = {"Unmovable": "0xcc0(GFP_KERNEL)", "Movable": "0x112cca(GFP_HIGHUSER_MOVABLE)",
         "Reclaimable": "0x10(__GFP_RECLAIMABLE)"}


def make_dump(seed: int, n: int = 400) -> str:
    """A 6.7+-era dump with every field varied; returns its text."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pid = rng.choice([1, 7, 42, 1000])
        comm = rng.choice(COMMS)
        order = rng.choice([0, 0, 0, 1, 2, 3])
        ts = rng.randrange(10**9, 10**12)
        block = rng.randrange(0, 30)
        page_t, block_t = rng.choice(TYPES[:3]), rng.choice(TYPES)
        lines = [f"Page allocated via order {order}, mask {MASKS[page_t]}, pid {pid}, "
                 f"tgid {pid} ({comm}), ts {ts} ns",
                 f"PFN 0x{block * 512 + i:x} type {page_t} Block {block} type {block_t} Flags 0x0()"]
        lines += rng.choice(STACKS)
        mc = rng.choice(MEMCGS)
        if mc:
            lines.append(mc)
        out.append("\n".join(lines) + "\n\n")
    return "".join(out)


def naive(text: str, names, lo: int | None = None, hi: int | None = None, page_size: int = 4096):
    """{key tuple: [blocks, pages, bytes]}, one block at a time, from the text."""
    out: dict = {}
    for blk in text.split("\n\n"):
        if not blk.strip():
            continue
        lines = blk.split("\n")
        hdr = lines[0]
        fields = {}
        order = int(hdr.split("order ")[1].split(",")[0])
        fields["order"] = order
        fields["pid"] = int(hdr.split(", pid ")[1].split(",")[0])
        fields["tgid"] = int(hdr.split(" tgid ")[1].split(" ")[0])
        fields["comm"] = hdr[hdr.index("(", hdr.index(" tgid ")) + 1:hdr.rindex("), ts")]
        ts = int(hdr.rsplit("ts ", 1)[1].split(" ")[0])
        if (lo is not None and ts < lo) or (hi is not None and ts >= hi):
            continue
        pfn = lines[1].split()
        fields["migratetype"], fields["block_migratetype"] = pfn[3], pfn[7]
        frames = tuple(x[1:] for x in lines[2:] if x.startswith(" "))
        fields["stack"] = frames
        mods = [f.split("[")[1].rstrip("]") for f in frames if f.endswith("]")]
        fields["module"] = mods[0] if mods else "vmlinux"
        memcg = None
        for x in lines:
            if x.startswith("Charged "):
                name = x.split("memcg ", 1)[1]
                memcg = name + " (offline)" if " offline memcg " in x or " offlined memcg " in x else name
        fields["memcg"] = memcg
        key = tuple(fields[n] for n in names)
        e = out.setdefault(key, [0, 0, 0])
        e[0] += 1
        e[1] += 1 << order
        e[2] += (1 << order) * page_size
    return out


def as_naive(g):
    return {tuple(k): [b, p, nb] for k, b, p, nb in
            ((g.keys[i], *rest) for i, rest in enumerate((b, p, nb) for _, b, p, nb in g.items()))}


@pytest.fixture(scope="module")
def text():
    return make_dump(7)


@pytest.fixture(scope="module")
def path(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("grouping") / "dump.txt"
    p.write_text(text)
    return p


@pytest.fixture(scope="module")
def ref_dump(text):
    """The dump read by the reference engine (which extracts the pageblock columns)."""
    columns, tables, stats = _pyscan.scan_bytes(text.encode())
    return Dump(columns, tables, stats, source="ref")


SINGLE = ["stack", "comm", "pid", "tgid", "module", "order", "migratetype", "memcg"]


@pytest.mark.parametrize("name", SINGLE)
def test_one_key_matches_block_by_block(path, text, name):
    g = group_by(path, name, page_size="16K")
    assert g.by == (name,)
    assert as_naive(g) == naive(text, [name], page_size=16384)


@pytest.mark.parametrize("names", [("comm", "module"), ("module", "stack"), ("memcg", "pid"),
                                   ("comm", "memcg", "order"), ("stack", "memcg", "comm", "pid")])
def test_several_keys_match_block_by_block(path, text, names):
    g = group_by(path, ",".join(names))
    assert as_naive(g) == naive(text, names)
    assert g.total_pages == sum(v[1] for v in naive(text, ["order"]).values())


def test_memcg_key_values(path, text):
    g = group_by(path, "memcg")
    keys = {k for (k,) in g.keys}
    assert keys == {None, "system.slice", "user@1000.service", "libpod-1 (offline)", "old-pod (offline)"}


def test_block_migratetype_with_the_reference_engine(ref_dump, text):
    for names in (["block_migratetype"], ["stack", "migratetype", "block_migratetype"]):
        g = group_loaded(ref_dump, names)
        assert as_naive(g) == naive(text, names)


def test_a_dump_without_the_pageblock_columns_says_so(ref_dump):  # e.g. a Dump built by hand
    d = ref_dump.subset(np.arange(len(ref_dump)))
    for name in F.PFN_BLOCK_COLUMNS:
        del d.columns[name]
    with pytest.raises(UnsupportedKeyError, match="has no 'block_migratetype' column"):
        group_loaded(d, "block_migratetype")


@pytest.mark.parametrize("since, until", [("5s", None), (None, "300s"), ("2e1", None),
                                          ("-100s", None), ("-500s", "-100s"), (0, 10**11),
                                          ("1500ms", "0.5h")])
def test_time_windows_match_block_by_block(path, text, since, until):
    if since == "2e1":
        with pytest.raises(UsageError, match="not a time"):
            group_by(path, "comm", since=since)
        return
    newest = max(int(b.split("ts ")[1].split(" ")[0]) for b in text.split("\n\n") if b.strip())

    def absolute(t):
        if t is None:
            return None
        b = parse_time(t)
        return max(0, newest - b.ns) if b.from_newest else b.ns
    g = group_by(path, ["comm", "stack"], since=since, until=until)
    want = naive(text, ["comm", "stack"], absolute(since), absolute(until))
    assert as_naive(g) == want
    w = g.meta["window"]
    assert (w["since_ns"], w["until_ns"], w["newest_ts_ns"]) == (absolute(since) or 0, absolute(until),
                                                                 newest)
    assert w["blocks"] == sum(v[0] for v in want.values())


def test_time_window_needs_timestamps(tmp_path):
    p = tmp_path / "old.txt"
    p.write_text("Page allocated via order 0, mask 0x24200ca(GFP_HIGHUSER_MOVABLE)\n f+0x1/0x2\n\n")
    with pytest.raises(UnsupportedKeyError, match=r"no block of .* has an allocation ts"):
        group_by(p, "stack", since="1s")
    s = tmp_path / "ss.txt"
    s.write_text(" f+0x1/0x2\nnr_base_pages: 4\n\n")
    with pytest.raises(UnsupportedKeyError, match="show_stacks file, which has no allocation timestamps"):
        group_by(s, "stack", until="1s")


def test_folded_dump_refuses_a_window(path):
    d = pf.load(path, aggregate=True)
    if int(d.count.max()) == 1:
        pytest.skip("this engine does not fold")
    with pytest.raises(UsageError, match="aggregate=False"):
        group_loaded(d, "comm", window=pf.analysis.time_window("1s"))


@pytest.mark.parametrize("text_, ns, from_newest", [
    ("1500000000", 1500000000, False), ("1.5s", 1500000000, False), ("-10m", 600 * 10**9, True),
    ("250 ms", 250 * 10**6, False), ("3us", 3000, False), ("2h", 7200 * 10**9, False),
    ("-0", 0, True), (-5, 5, True), (7, 7, False)])
def test_parse_time(text_, ns, from_newest):
    b = parse_time(text_)
    assert (b.ns, b.from_newest) == (ns, from_newest)


@pytest.mark.parametrize("bad", ["", "s", "1.5ns", "10 parsecs", "1e9", "0x10", "--1s", "9" * 41,
                                 "18446744073709551616", True, None])
def test_parse_time_refuses(bad):
    with pytest.raises(UsageError):
        parse_time(bad)


@pytest.mark.parametrize("value, n", [(4096, 4096), ("4K", 4096), ("16K", 16384), ("64k", 65536),
                                      ("64KiB", 65536), ("16KB", 16384), ("65536", 65536),
                                      ("2M", 2 << 20), (None, 4096)])
def test_parse_page_size(value, n):
    assert parse_page_size(value) == n


@pytest.mark.parametrize("bad", ["3K", "4097", "512", "2G", "K", "-4K", "4X", True, 0])
def test_parse_page_size_refuses(bad):
    with pytest.raises(UsageError):
        parse_page_size(bad)


def test_parse_by_and_the_registry():
    assert parse_by("comm, module") == ("comm", "module")
    assert parse_by(["stack"]) == ("stack",) and parse_by(None) is None and parse_by("auto") is None
    for bad in ("nope", "comm,comm", "comm,", ""):
        with pytest.raises(UsageError):
            parse_by(bad)
    assert {"memcg", "block_migratetype", "free_stack"} <= set(KEYS)
    assert KEYS["block_migratetype"].per_block and not KEYS["stack"].per_block
    assert "kernel_log" in KEYS["free_stack"].sources and "dump" not in KEYS["free_stack"].sources


def test_free_stack_of_a_dump_is_refused(path):
    with pytest.raises(UnsupportedKeyError, match="free_stack: only the page_owner reports of a kernel log"):
        group_by(path, "free_stack")


def test_pid_grouping_names_the_comm(ref_dump, text):
    g = group_loaded(ref_dump, "pid")
    # the comm with the most pages of each pid, counted block by block
    per: dict = {}
    for (pid, comm), (_, pages, _) in naive(text, ["pid", "comm"]).items():
        per.setdefault(pid, []).append((pages, comm))
    for i, (pid,) in enumerate(g.keys):
        best = max(p for p, _ in per[pid])
        assert g.comms[i] in {c for p, c in per[pid] if p == best}


def test_sums_stay_exact_past_int64(ref_dump):
    d = ref_dump.subset(np.arange(len(ref_dump)))
    d.pages = d.columns["pages"] = np.full(len(d), 1 << 62, dtype=np.int64)
    g = group_loaded(d, "order", page_size="64K")
    assert g.total_pages == len(d) * (1 << 62)
    assert sum(g.bytes.tolist()) == len(d) * (1 << 62) * 65536


def test_show_stacks_source(tmp_path):
    s = tmp_path / "ss.txt"
    s.write_text(" a+0x1/0x2\n b+0x1/0x2\nnr_base_pages: 4\n\n a+0x1/0x2\nnr_base_pages: 6\n\n")
    g = group_by(s, "stack", page_size="16K")
    assert g.blocks is None
    assert g.to_dict() == {("a+0x1/0x2", "b+0x1/0x2"): [None, 4], ("a+0x1/0x2",): [None, 6]}
    assert sorted(g.bytes.tolist()) == [4 * 16384, 6 * 16384]
    with pytest.raises(UnsupportedKeyError, match="needs a full page_owner dump"):
        group_by(s, "stack,comm")


def test_empty_input_is_an_empty_dump(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    g = group_by(p, "comm")
    assert len(g) == 0 and g.total_pages == 0 and g.total_blocks == 0
    assert g.meta["input"]["kind"] == "dump"


def test_combining_many_wide_keys_recodes(ref_dump, text):
    # five keys whose radix product passes 2**62 after re-coding: still exact
    names = ["stack", "comm", "pid", "memcg", "order"]
    g = group_loaded(ref_dump, names)
    assert as_naive(g) == naive(text, names)
    assert len(set(itertools.chain(g.keys))) == len(g)


def test_block_migratetype_from_a_path(path, text):
    g = group_by(path, "block_migratetype")
    assert as_naive(g) == naive(text, ["block_migratetype"])


# --- the tie-breaker of every ranking ------------------------------------------------------------

def _token_by_definition(value):
    """sort_token as its docstring defines it: None, ints, strings, tuples of any of them."""
    if value is None:
        return (0, 0)
    if isinstance(value, (bool, int, np.integer)):
        return (1, int(value))
    if isinstance(value, tuple):
        return (3, tuple(_token_by_definition(v) for v in value))
    return (2, str(value))


_KEY_VALUES = st.recursive(
    st.none() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: (st.tuples(inner) | st.tuples(inner, inner)
                   | st.lists(st.text(max_size=3), max_size=4).map(tuple)),
    max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_KEY_VALUES, max_size=12))
def test_sort_token_is_its_definition_and_orders_alike(values):
    """The stack shortcut of sort_token (a tuple of strings: its (2, frame) pairs made at
    once) gives the token of the general rule, so every ranking's ties order as before."""
    from pageowner_fast.analysis.keys import sort_token
    for v in values:
        assert sort_token(v) == _token_by_definition(v)
    assert sorted(values, key=sort_token) == sorted(values, key=_token_by_definition)


def test_result_table_json_keeps_stacks_and_nested_keys():
    from pageowner_fast.analysis.table import _json_value
    assert _json_value(("f+0x1/0x2", "g")) == ["f+0x1/0x2", "g"]
    assert _json_value(()) == []
    assert _json_value(("bash", ("f", "g"), 3, float("nan"))) == ["bash", ["f", "g"], 3, None]
