"""The analyses on generated dumps with planted content, checked against the generator's own
ground truth (`gen.generate()` counts every block it writes) -- memcg lines (online and
offline), mixed pageblocks with known culprits, blocks in known time windows -- and
`frag`'s pageblock table against a plain-Python count over the dump text."""
from __future__ import annotations

import json

import pytest

import pageowner_fast as pf
from pageowner_fast import _pyscan, gen
from pageowner_fast.analysis import frag_loaded, group_by, group_loaded
from pageowner_fast.dump import Dump
from conftest import run_cli

WINDOWS = [{"start": 2 * 10**9, "end": 3 * 10**9, "blocks": 40},
           {"start": 5 * 10**9 + 1, "end": 5 * 10**9 + 2001, "blocks": 25, "order": 2}]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    p = tmp_path_factory.mktemp("planted") / "dump.txt"
    with open(p, "wb") as f:
        stats = gen.generate(
            f, blocks=6000, seed=21, era="6.7", memcg_rate=0.4, memcgs=4, memcg_offline=0.25,
            plant_memcg=[{"memcg": "zombie.scope", "blocks": 70, "offline": True},
                         {"memcg": "alive.slice", "blocks": 30, "order": 1}],
            plant_mixed=[{"blocks": 48, "pageblocks": 6},
                         {"blocks": 20, "pageblocks": 4, "block_type": "CMA", "order": 1}],
            plant_window=WINDOWS)
    return p, stats["truth"]


@pytest.fixture(scope="module", params=["reference", "folded"])
def ref(planted, request):
    """The dump as the reference engine reads it (with the pageblock columns), or as `frag`
    loads it: the compiled scanner folding blocks by stack and pageblock."""
    if request.param == "folded":
        from pageowner_fast.analysis.fragmentation import FRAG_FOLD_KEY
        d = pf.load(planted[0], aggregate=True, fold_key=FRAG_FOLD_KEY)
        assert d.stats["fold_key"] == ["block", "stacktrace"] and len(d) < d.nblocks
        return d
    cols, tables, st = _pyscan.scan_bytes(planted[0].read_bytes())
    return Dump(cols, tables, st, source=str(planted[0]))


def frames(stack: str) -> tuple[str, ...]:
    return tuple(ln[1:] for ln in stack.split("\n") if ln.startswith(" "))


def test_memcg_per_cgroup_matches_the_truth(planted):
    path, truth = planted
    want = {t["memcg"] + (" (offline)" if t["offline"] else ""): [t["blocks"], t["pages"]]
            for t in truth["memcg"]}
    assert "zombie.scope (offline)" in want and len(want) >= 4
    got = group_by(path, "memcg", page_size="64K")
    d = got.to_dict()
    assert {k: v for k, v in d.items() if k is not None} == want
    none_blocks = d.get(None, [0, 0])[0]
    assert none_blocks + sum(b for b, _ in want.values()) == got.total_blocks
    assert dict(zip([k for k, *_ in got.items()], got.bytes.tolist()))["zombie.scope (offline)"] == \
        want["zombie.scope (offline)"][1] * 65536


def test_memcg_cli_json_keys(planted, capsys):
    path, truth = planted
    rc, out, err = run_cli(["top", path, "--by", "memcg,comm", "--format", "json"], capsys=capsys)
    assert rc == 0, err
    recs = json.loads(out)
    per: dict = {}
    for r in recs:
        assert isinstance(r["key"], list) and len(r["key"]) == 2
        assert r["bytes"] == r["pages"] * 4096
        per.setdefault(r["key"][0], [0, 0])
        per[r["key"][0]][0] += r["blocks"]
        per[r["key"][0]][1] += r["pages"]
    for t in truth["memcg"]:
        assert per[t["memcg"] + (" (offline)" if t["offline"] else "")] == [t["blocks"], t["pages"]]


def test_frag_culprits_match_the_truth(ref, planted):
    _, truth = planted
    res = frag_loaded(ref)
    got = {(tuple(c["stack"]), c["page_type"], c["block_type"]): (c["blocks"], c["pages"], c["pageblocks"])
           for c in res.culprits.rows}
    want = {(frames(t["stack"]), t["page_type"], t["block_type"]): (t["blocks"], t["pages"], t["pageblocks"])
            for t in truth["mixed"]}
    assert got == want
    planted_mixed = [p for p in truth["plants"] if p["kind"] == "mixed"]
    for p in planted_mixed:   # the planted culprits pollute (at least) their own pageblocks
        key = (frames(p["stack"]), p["page_type"], p["block_type"])
        assert got[key][2] >= len(p["pageblock_numbers"])
    ranks = [(-c["pageblocks"], -c["pages"]) for c in res.culprits.rows]
    assert ranks == sorted(ranks)


def naive_pageblocks(text: str) -> dict:
    """{block type: [pageblocks, mixed, pages]}, block by block from the text."""
    seen: dict = {}
    mixed: dict = {}
    pages: dict = {}
    for blk in text.split("\n\n"):
        lines = blk.split("\n")
        pfn = [ln for ln in lines if ln.startswith("PFN ")]
        hdr = [ln for ln in lines if ln.startswith("Page allocated via order ")]
        if not pfn or not hdr:
            continue
        w = pfn[0].split()
        pt, num, bt = w[3], int(w[5]), w[7]
        order = int(hdr[0].split("order ")[1].split(",")[0])
        seen.setdefault(bt, set()).add(num)
        pages[bt] = pages.get(bt, 0) + (1 << order)
        if pt != bt:
            mixed.setdefault(bt, set()).add(num)
    return {bt: [len(s), len(mixed.get(bt, ())), pages[bt]] for bt, s in seen.items()}


def test_frag_pageblocks_match_a_count_over_the_text(ref, planted):
    res = frag_loaded(ref, page_size="16K")
    got = {r["block_type"]: [r["pageblocks"], r["mixed"], r["pages"]] for r in res.pageblocks.rows}
    assert got == naive_pageblocks(planted[0].read_text())
    assert all(r["bytes"] == r["pages"] * 16384 for r in res.pageblocks.rows)
    assert res.meta["mixed"] >= 6 + 4   # the planted pageblocks at least


@pytest.mark.parametrize("w", range(len(WINDOWS)))
def test_time_windows_match_the_truth(planted, w):
    path, truth = planted
    t = truth["windows"][w]
    g = group_by(path, "stack", since=t["start"], until=t["end"])
    assert (g.total_blocks, g.total_pages) == (t["blocks"], t["pages"])
    assert g.meta["window"]["blocks"] == t["blocks"]
    # the same window through the command line, with units
    top = pf.top(path, "order", since=f"{t['start']}ns", until=f"{t['end']}ns")
    assert sum(r["pages"] for r in top) == t["pages"]


def test_sort_since_until_keeps_the_window(planted, tmp_path, capsys):
    path, truth = planted
    t = truth["windows"][0]
    out = tmp_path / "sorted.txt"
    rc, _, err = run_cli(["sort", "--since", str(t["start"]), "--until", f"{t['end']}ns", path, out],
                         capsys=capsys)
    assert rc == 0, err
    times = sum(int(ln.split(" times")[0]) for ln in out.read_text().splitlines() if " times, " in ln)
    pages = sum(int(ln.split(" times, ")[1].split(" pages")[0])
                for ln in out.read_text().splitlines() if " times, " in ln)
    assert (times, pages) == (t["blocks"], t["pages"])


def test_frag_cli_json_shape(planted, capsys):
    path, truth = planted
    rc, out, err = run_cli(["frag", path, "--format", "json"], capsys=capsys)
    assert rc == 0, err
    d = json.loads(out)
    jsonschema = pytest.importorskip("jsonschema")
    from pageowner_fast.export import schema
    jsonschema.validate(d, schema("frag"))
    assert set(d) == {"pageblocks", "culprits"}
    assert set(d["pageblocks"][0]) == {"block_type", "pageblocks", "mixed", "pages", "bytes"}
    c = d["culprits"][0]
    assert set(c) == {"stack", "page_type", "block_type", "pageblocks", "pages", "bytes", "blocks"}
    assert isinstance(c["stack"], list)
    assert len(d["culprits"]) == len(truth["mixed"])


def test_block_migratetype_key_matches_frag(ref):
    res = frag_loaded(ref)
    g = group_loaded(ref, "block_migratetype")
    assert {k: p for k, _, p, _ in g.items()} == {r["block_type"]: r["pages"] for r in res.pageblocks.rows}
