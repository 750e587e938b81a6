"""The defects a new user hit (issue 13), one test each, and the figures of top/diff/
timeline/frag on the real 6.12 and 6.1 dumps against a plain-Python count over their text."""
from __future__ import annotations

import io
import json
import lzma
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pageowner_fast as pf
from pageowner_fast import _pyscan
from pageowner_fast.analysis import frag_loaded, normalize_frame
from pageowner_fast.dump import Dump
from conftest import CHILD_ENV, DATA, block, run_cli, run_subprocess

REAL = DATA / "real_dumps"
ROOT = Path(__file__).resolve().parent.parent


def blocks_of(text: str):
    """(header, pfn line or None, frames, trailer lines) per block, from the text."""
    for blk in text.split("\n\n"):
        lines = [ln for ln in blk.split("\n") if ln]
        if not lines or not lines[0].startswith("Page allocated via order "):
            continue
        pfn = next((ln for ln in lines if ln.startswith("PFN ")), None)
        yield (lines[0], pfn, tuple(ln[1:] for ln in lines[1:] if ln.startswith(" ")),
               [ln for ln in lines[1:] if not ln.startswith((" ", "PFN "))])


def order_of(header: str) -> int:
    return int(header.split("order ")[1].split(",")[0])


@pytest.fixture(scope="module")
def real_text():
    return {name: lzma.decompress((REAL / f"{name}_page_owner_t1.txt.xz").read_bytes()).decode()
            for name in ("k6.12", "k6.1")}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("i13")
    a = d / "a.txt"
    b = d / "b.txt"
    st_a = b" post_alloc_hook+0x1/0x2\n __filemap_get_folio+0x1ae/0x300\n vfs_write+0x1/0x2\n"
    st_b = b" post_alloc_hook+0x1/0x2\n kmalloc_big+0x1/0x2\n"
    a.write_bytes(block(0, 1, b"bash", 10, st_a) * 2 + block(2, 7, b"cat", 20, st_b) * 3)
    b.write_bytes(block(0, 1, b"bash", 10, st_a) * 40000 + block(2, 7, b"cat", 30, st_b) * 8)
    return a, b


# --- sizes and numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize("cmd", ["diff", "timeline"])
def test_page_size_on_diff_and_timeline(small, capsys, cmd):
    a, b = small
    rc, out, err = run_cli([cmd, a, b, "--page-size", "16K", "--format", "json"], capsys=capsys)
    assert rc == 0, err
    for r in json.loads(out):
        if cmd == "diff":
            assert (r["old_bytes"], r["new_bytes"], r["delta_bytes"]) == \
                (r["old_pages"] * 16384, r["new_pages"] * 16384, r["delta_pages"] * 16384)
        else:
            assert r["bytes"] == [p * 16384 for p in r["pages"]]
            assert r["slope_bytes"] == pytest.approx(r["slope"] * 16384)


def test_diff_ratios_have_one_style(small, capsys):
    a, b = small
    rc, out, _ = run_cli(["diff", a, b], capsys=capsys)
    rows = [ln.split() for ln in out.splitlines() if re.match(r"^ *[+-][0-9]", ln)]
    # as planted in `small`: 2 -> 40,000 pages (order 0) and 12 -> 32 pages (order 2); the
    # ratios with two decimals and thousands separators, the delta in pages and in MiB
    assert [r[5] for r in rows] == [f"{40000 / 2:,.2f}", f"{32 / 12:,.2f}"] == ["20,000.00", "2.67"]
    assert rows[0][:3] == ["+39,998", f"+{39998 * 4096 / 2**20:.1f}", "MiB"]
    rc, out, _ = run_cli(["diff", REAL / "k6.12_show_stacks_t1.txt.xz",
                          REAL / "k6.12_page_owner_t1.txt.xz"], capsys=capsys)
    assert "    new  __filemap_get_folio" in out


def test_timeline_slopes_have_units_and_separators(small, capsys):
    a, b = small
    rc, out, _ = run_cli(["timeline", a, b, a, b], capsys=capsys)
    assert "pages/snap" in out and "bytes/snap" in out
    first = next(ln for ln in out.splitlines() if ln.lstrip().startswith("+"))
    ys = [2, 40000, 2, 40000]   # the pages of the first key in a, b, a, b (as planted)
    xm, ym = 1.5, sum(ys) / 4
    slope = sum((x - xm) * (y - ym) for x, y in enumerate(ys)) / sum((x - xm) ** 2 for x in range(4))
    assert first.split()[:3] == [f"+{slope:,.1f}", f"+{slope * 4096 / 2**20:.1f}", "MiB"]


# --- the plot ------------------------------------------------------------------------------------------

def test_plot_legend_shows_underscore_names(small, tmp_path):
    pytest.importorskip("matplotlib")
    from pageowner_fast.render import plot
    a, b = small
    t = pf.timeline([a, b])
    captured = {}
    from matplotlib.axes import Axes
    orig = Axes.legend

    def spy(self, *args, **kw):
        leg = orig(self, *args, **kw)
        captured["texts"] = [x.get_text() for x in leg.get_texts()]
        return leg
    Axes.legend = spy
    try:
        plot.plot_timeline(t, tmp_path / "p.png")
    finally:
        Axes.legend = orig
    assert any(x.startswith("__filemap_get_folio") for x in captured["texts"])
    assert len(captured["texts"]) == len(t)


def test_plot_to_a_missing_directory_fails_before_any_output(small, capsys):
    pytest.importorskip("matplotlib")
    a, b = small
    rc, out, err = run_cli(["timeline", a, b, "--plot", "/no/such/dir/x.png"], capsys=capsys)
    assert rc == 1 and out == "" and err.count("\n") == 1
    assert "--plot /no/such/dir/x.png: cannot create it: no directory /no/such/dir" in err
    rc, out, err = run_cli(["top", a, "-o", "/no/such/dir/t.txt"], capsys=capsys)
    assert rc == 1 and out == "" and "no directory" in err


# --- empty inputs -----------------------------------------------------------------------------------

def test_empty_input_is_an_empty_dump(small, tmp_path, capsys):
    e = tmp_path / "empty.txt"
    e.write_bytes(b"")
    rc, out, err = run_cli(["top", e], capsys=capsys)
    assert rc == 0 and "0 pages" in out and "holds no page_owner blocks" in err
    p = run_subprocess(["diff", small[0], "-"], stdin=subprocess.DEVNULL, env=CHILD_ENV)
    assert p.returncode == 0, p.stderr
    assert b"show_stacks" not in p.stdout + p.stderr and b"early-boot" not in p.stderr
    assert b"# new: - (dump, 0 blocks, 0 pages" in p.stdout


# --- compact output -------------------------------------------------------------------------------------

def test_top_by_stack_is_compact(capsys):
    path = REAL / "k6.12_page_owner_t1.txt.xz"
    rc, out, _ = run_cli(["top", path, "--by", "stack"], capsys=capsys)
    lines = out.splitlines()
    rows = [ln for ln in lines if re.match(r"^ +[0-9,]+ +[0-9.]+ [KMG]?i?B ", ln)]
    assert len(rows) == 20
    assert len(lines) <= 2 + 20 * (1 + 8 + 1) + 1
    assert "… (+6 frames)" in out and lines[-1].startswith("# 585 more keys")
    rc, out, _ = run_cli(["top", path, "--by", "stack", "--frames", "2", "--top", "1"], capsys=capsys)
    assert out.splitlines()[3:6] == ["              get_page_from_freelist+0x330/0x1660",
                                     "              __alloc_pages_noprof+0x169/0x310",
                                     "              … (+12 frames)"]
    rc, out, _ = run_cli(["top", path, "--by", "stack", "--format", "json"], capsys=capsys)
    assert len(json.loads(out)) == 605   # json and csv stay complete


def test_top_by_pid_shows_the_comm(capsys, real_text):
    rc, out, _ = run_cli(["top", REAL / "k6.12_page_owner_t1.txt.xz", "--by", "pid", "--top", "3"],
                         capsys=capsys)
    rows = [ln for ln in out.splitlines() if re.match(r"^ +[0-9,]+ ", ln)]
    # the comm of pid 215 counted from the text
    comms = {re.search(r"tgid \d+ \((.*)\), ts", h).group(1) for h, *_ in blocks_of(real_text["k6.12"])
             if ", pid 215," in h}
    assert comms == {"dd"} and rows[0].endswith("215 (dd)")


# --- normalisation ----------------------------------------------------------------------------------------

def test_normalize_strips_noprof():
    assert normalize_frame("__alloc_pages_noprof+0x169/0x310") == "__alloc_pages"
    assert normalize_frame("alloc_pages_mpol_noprof+0x8f/0x1e0") == "alloc_pages_mpol"
    assert normalize_frame("__vmalloc_node_range_noprof.cold+0x1/0x2 [m]") == "__vmalloc_node_range [m]"


def test_real_6_1_and_6_12_share_normalized_stacks(capsys):
    rc, out, _ = run_cli(["diff", REAL / "k6.1_page_owner_t1.txt.xz", REAL / "k6.12_page_owner_t1.txt.xz",
                          "--normalize", "--format", "json"], capsys=capsys)
    recs = json.loads(out)
    both = [r for r in recs if r["old_pages"] and r["new_pages"]]
    assert any(r["key"][:2] == ["get_page_from_freelist", "__alloc_pages"] for r in both)


# --- the README and the command line's own words --------------------------------------------------------------

def test_readme_commands():
    text = (ROOT / "README.md").read_text()
    assert "python3-dev" in text
    assert "diff tests/data/real_dumps/k6.12_show_stacks_t1.txt.xz tests/data/real_dumps/" in text
    first = next(ln for ln in text.splitlines() if ln.startswith("python3 -m venv"))
    assert "example.txt" not in first or "cd " in first or "/tmp" in first or "$(mktemp" in first
    for cmd in ("top", "diff", "timeline", "frag", "stacks"):
        assert f"pageowner-fast {cmd} " in text, cmd


def test_help_texts_name_this_program(capsys):
    rc, out, _ = run_cli(["sort", "--help"], capsys=capsys)
    assert out.startswith("Usage: pageowner-fast sort [OPTIONS] <input> <output>")
    rc, out, _ = run_cli(["gen", "--help"], capsys=capsys)
    assert "python -m pageowner_fast.gen" not in out and "pageowner-fast gen" in out


def test_sort_without_output_says_why(tmp_path, capsys):
    rc, out, err = run_cli(["sort", "example.txt"], capsys=capsys)
    assert rc == 1 and out.startswith("Usage: ./page_owner_sort")
    assert "sort needs <input> and <output>" in err


def test_progress_bar_for_analyses(tmp_path):
    pty = pytest.importorskip("pty")
    from test_progress import _run_on_pty
    del pty
    import gzip
    import io

    from pageowner_fast import gen
    big = tmp_path / "big.txt.gz"
    buf = io.BytesIO()
    gen.generate(buf, size=40 << 20, seed=3)
    big.write_bytes(gzip.compress(buf.getvalue(), compresslevel=1))
    assert big.stat().st_size >= 1 << 20   # a compressed input worth a bar
    rc, out = _run_on_pty(["top", big], tmp_path)
    assert rc == 0 and b"reading:" in out
    small = tmp_path / "small.txt"
    small.write_bytes(buf.getvalue()[:1 << 20].rsplit(b"\n\n", 1)[0] + b"\n\n")
    rc, out = _run_on_pty(["top", small], tmp_path)
    assert rc == 0 and b"reading:" not in out


# --- the real dumps against a count over their text ----------------------------------------------------------

@pytest.mark.parametrize("name", ["k6.12", "k6.1"])
def test_real_top_bytes_and_memcg(real_text, name, capsys):
    t = pf.top(REAL / f"{name}_page_owner_t1.txt.xz", "memcg", page_size="64K")
    want: dict = {}
    for h, _, _, trailers in blocks_of(real_text[name]):
        mc = next((x.split("memcg ", 1)[1] for x in trailers if x.startswith("Charged ")), None)
        e = want.setdefault(mc, [0, 0])
        e[0] += 1
        e[1] += 1 << order_of(h)
    assert {r["key"]: [r["blocks"], r["pages"]] for r in t} == want
    assert all(r["bytes"] == r["pages"] * 65536 for r in t)


@pytest.mark.parametrize("engine", ["reference", "folded"])
@pytest.mark.parametrize("name", ["k6.12", "k6.1"])
def test_real_frag_against_the_text(real_text, name, engine):
    if engine == "folded":      # what `frag` runs: the compiled scan folding by stack and pageblock
        res = pf.frag(io.BytesIO(real_text[name].encode()))
    else:
        cols, tables, st = _pyscan.scan_bytes(real_text[name].encode())
        res = frag_loaded(Dump(cols, tables, st, source=name))
    seen: dict = {}
    mixed: dict = {}
    cul: dict = {}
    for h, pfn, frames, _ in blocks_of(real_text[name]):
        w = pfn.split()
        pt, num, bt = w[3], int(w[5]), w[7]
        seen.setdefault(bt, set()).add(num)
        if pt != bt:
            mixed.setdefault(bt, set()).add(num)
            e = cul.setdefault((frames, pt, bt), [set(), 0])
            e[0].add(num)
            e[1] += 1 << order_of(h)
    assert {r["block_type"]: (r["pageblocks"], r["mixed"]) for r in res.pageblocks.rows} == \
        {bt: (len(s), len(mixed.get(bt, ()))) for bt, s in seen.items()}
    assert {(tuple(c["stack"]), c["page_type"], c["block_type"]): (c["pageblocks"], c["pages"])
            for c in res.culprits.rows} == {k: (len(v[0]), v[1]) for k, v in cul.items()}


def test_real_time_window(real_text):
    path = REAL / "k6.12_page_owner_t1.txt.xz"
    ts = [(int(h.rsplit("ts ", 1)[1].split(" ")[0]), 1 << order_of(h)) for h, *_ in blocks_of(real_text["k6.12"])]
    newest = max(t for t, _ in ts)
    g = pf.group_by(path, "comm", since="-10s")
    assert g.total_pages == sum(p for t, p in ts if t >= newest - 10 * 10**9)
    g = pf.group_by(path, "comm", since="30s", until="32.5s")
    assert g.total_pages == sum(p for t, p in ts if 30 * 10**9 <= t < 32_500_000_000)


def test_engine_warning_is_one_line():
    """Without the compiled scanner, `import pageowner_fast` says so in one line."""
    code = ("import sys, warnings; sys.modules['pageowner_fast._scan'] = None\n"
            "import pageowner_fast._engine")
    env = {k: v for k, v in CHILD_ENV.items() if k != "PAGEOWNER_FAST_PUREPYTHON"}
    p = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True,
                       env=env)
    assert p.returncode == 0
    assert p.stderr.count("\n") == 1 and "compiled scanner unavailable" in p.stderr
