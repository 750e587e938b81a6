"""`top` (CLI and API) on a generated dump, checked against sums computed block by block."""
import csv
import io
import json
import re

import numpy as np
import pytest

import pageowner_fast as pf
from pageowner_fast import _fields as F
from pageowner_fast.export import schema
from conftest import DATA, generated_dump, run_cli

BY = ("comm", "pid", "tgid", "module", "allocator", "stack", "order", "gfp", "migratetype")


@pytest.fixture(scope="module")
def dump_path(tmp_path_factory):
    return generated_dump(tmp_path_factory, "top", blocks=2500, seed=11, n_paths=60, era="6.7")


@pytest.fixture(scope="module")
def dump(dump_path):
    return pf.load(dump_path)


def _naive(dump, by):
    """{key: (blocks, pages)}, one block at a time, from the text where possible."""
    out = {}
    for i in range(len(dump)):
        header = dump.headers[dump.header_id[i]].decode()
        stack = dump.stacks[dump.stack_id[i]].decode()
        if not header:
            continue
        order = int(re.search(r"order (\d+),", header).group(1))
        if by == "comm":
            key = re.search(r"tgid \d+ \((.*)\), ts", header).group(1)
        elif by == "pid":
            key = int(re.search(r"pid (\d+),", header).group(1))
        elif by == "tgid":
            key = int(re.search(r"tgid (\d+) ", header).group(1))
        elif by == "order":
            key = order
        elif by == "gfp":
            key = re.search(r"mask (0x[0-9a-f]+\([^)]*\))", header).group(1)
        elif by == "stack":
            key = tuple(ln[1:] for ln in stack.split("\n") if ln.startswith(" "))
        elif by == "module":
            m = re.search(r"\+0x[0-9a-f]+/0x[0-9a-f]+\s*\[([a-zA-Z0-9_-]+)\]", stack)
            key = m.group(1) if m else "vmlinux"
        elif by == "allocator":
            key = " ".join(n for b, n in F.ALLOCATOR_NAMES if dump.allocator[i] & b)
        elif by == "migratetype":
            mt = int(dump.migratetype[i])
            key = F.MIGRATETYPES[mt] if mt >= 0 else "unknown"
        b, p = out.get(key, (0, 0))
        out[key] = (b + 1, p + (1 << order))
    return out


@pytest.mark.parametrize("by", BY)
def test_top_api_matches_block_by_block_sums(dump, by):
    t = pf.top(dump, by, page_size=16384)
    naive = _naive(dump, by)
    assert {r["key"]: (r["blocks"], r["pages"]) for r in t} == naive
    total = sum(p for _, p in naive.values())
    assert all(r["bytes"] == r["pages"] * 16384 for r in t)
    assert sum(r["share"] for r in t) == pytest.approx(1.0)
    assert t["pages"] == sorted(t["pages"], reverse=True)
    assert t.meta["total_pages"] == total


@pytest.mark.parametrize("by", BY)
def test_top_cli_json_validates_and_agrees(dump_path, dump, by, capsys):
    jsonschema = pytest.importorskip("jsonschema")
    rc, out, err = run_cli(["top", dump_path, "--by", by, "--format", "json", "--top", "5",
                            "--page-size", "64K"], capsys=capsys)
    assert rc == 0, err
    recs = json.loads(out)
    jsonschema.validate(recs, schema("top"))
    expect = pf.top(dump, by, page_size=65536).to_records()[:5]
    assert recs == expect
    assert all({"key", "blocks", "pages", "bytes"} <= r.keys() for r in recs)


def test_top_text_is_a_human_summary(dump_path, dump, capsys):
    rc, out, _ = run_cli(["top", dump_path, "--by", "comm", "--top", "3"], capsys=capsys)
    assert rc == 0
    lines = out.splitlines()
    total = int(dump.pages.sum())
    assert lines[0].startswith("# ") and f"{total:,} pages" in lines[0] and "(4 KiB pages)" in lines[0]
    assert lines[1].split() == ["pages", "size", "share", "blocks", "comm"]
    first = pf.top(dump, "comm")[0]
    assert lines[2].split()[0] == f"{first['pages']:,}"
    assert re.search(r"\d+\.\d (KiB|MiB|GiB)", lines[2]) and "%" in lines[2]
    assert lines[-1].startswith("# ") and "more keys" in lines[-1]


def test_top_csv_loads_with_numbers(dump_path, capsys):
    rc, out, _ = run_cli(["top", dump_path, "--by", "pid", "--format", "csv"], capsys=capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["key", "blocks", "pages", "bytes", "share", "comm"]
    assert all(int(r["bytes"]) == int(r["pages"]) * 4096 for r in rows)
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(io.StringIO(out))
    for col in ("key", "blocks", "pages", "bytes"):
        assert pd.api.types.is_integer_dtype(df[col]), col
    assert pd.api.types.is_float_dtype(df["share"])


@pytest.mark.parametrize("size, expect", [("4K", 4096), ("16K", 16384), ("64K", 65536),
                                          ("16KiB", 16384), ("4096", 4096)])
def test_page_sizes(size, expect):
    from pageowner_fast.analysis import parse_page_size
    assert parse_page_size(size) == expect


def test_bad_page_size_is_one_line(dump_path, capsys):
    rc, out, err = run_cli(["top", dump_path, "--page-size", "12K"], capsys=capsys)
    assert rc == 1 and err.count("\n") == 1 and "power of two from 1K to 1G (4K, 16K, 64K)" in err


def test_top_of_a_show_stacks_file(capsys):
    path = DATA / "real_corpus" / "mm2024_osalvador_show_stacks_doc.txt"
    t = pf.top(path, "stack")
    assert t["pages"] == [20824, 8248, 234, 16] and t["blocks"] == [None] * 4
    rc, out, _ = run_cli(["top", path, "--by", "stack", "--format", "json"], capsys=capsys)
    assert [r["blocks"] for r in json.loads(out)] == [None] * 4


def test_aggregated_and_plain_loads_count_the_same(dump_path, dump):
    agg = pf.load(dump_path, aggregate=True)
    for by in BY:
        assert pf.top(agg, by).rows == pf.top(dump, by).rows, by


def test_diff_by_other_keys(dump_path, dump, tmp_path):
    half = dump.filter(pid=[int(p) for p in np.unique(dump.pid)[::2]])
    t = pf.diff(half, dump, by="pid")
    full = dict((r["key"], r["pages"]) for r in pf.top(dump, "pid"))
    part = dict((r["key"], r["pages"]) for r in pf.top(half, "pid"))
    for r in t:
        assert r["new_pages"] == full[r["key"]] and r["old_pages"] == part.get(r["key"], 0)
        assert r["ratio"] == (1.0 if r["key"] in part else None)
    assert {r["key"] for r in t} == set(full)


def test_result_table_to_pandas(dump):
    pytest.importorskip("pandas")
    df = pf.top(dump, "comm").to_pandas()
    assert list(df.columns) == ["key", "blocks", "pages", "bytes", "share"]
    assert int(df["pages"].sum()) == int(dump.pages.sum())


@pytest.mark.parametrize("case, by, msg", [
    ("lkml2021_v515_free_ts_era.txt", "comm", "has a comm field (kernels print it from 5.18 on)"),
    ("lkml2021_v515_free_ts_era.txt", "tgid", "has a tgid field"),
    ("mm2016_vbabka_migrate_reason.txt", "pid", "has a pid field (kernels print it from 5.11 on)"),
])
def test_by_a_field_the_dump_lacks_is_an_error(case, by, msg, capsys):
    path = DATA / "real_corpus" / case
    for cmd in ("top", "stacks"):
        rc, out, err = run_cli([cmd, path, "--by", by], capsys=capsys)
        # an option the input cannot serve is an option error: exit 1
        assert rc == 1 and out == "" and err.count("\n") == 1 and msg in err, err
    with pytest.raises(pf.UnsupportedKeyError, match=msg.split(" (")[0]):
        pf.top(path, by)
