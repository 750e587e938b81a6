"""page_owner_stacks files (show_stacks / show_handles / show_stacks_handles), `stacks`, `diff`
and `timeline`: on the real excerpts, on the real 6.12 dump + show_stacks taken together, and
on generated snapshot series with planted leaks."""
import io
import json
import lzma
import re
import sys

import pytest

import pageowner_fast as pf
from pageowner_fast import analysis as A, gen, stacks as S
from pageowner_fast.render.text import render_show_stacks
from conftest import DATA, run_cli

CORPUS = DATA / "real_corpus"
REAL = DATA / "real_dumps"
SHOW_STACKS_FILES = sorted(CORPUS.glob("*show_stacks*.txt"))


def _gen_bytes(**kw) -> tuple[bytes, dict]:
    b = io.BytesIO()
    kw.setdefault("blocks", 1500)
    kw.setdefault("seed", 3)
    kw.setdefault("n_paths", 40)
    stats = gen.generate(b, **kw)
    return b.getvalue(), stats


def _schema(name):
    from pageowner_fast.export import schema
    return schema(name)


# ------------------------------------------------------------------------------------------
# the real show_stacks excerpts
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SHOW_STACKS_FILES, ids=[p.stem for p in SHOW_STACKS_FILES])
def test_real_excerpts_match_expected(path):
    expected = json.loads(path.with_suffix(".expected.json").read_text())
    sf = pf.load_stacks(path)
    assert sf.kind == "show_stacks"
    assert len(sf) == len(expected)
    for fr, pages, label, exp in zip(sf.frames, sf.pages, sf.labels, expected):
        assert len(fr) == exp["nr_frames"]
        assert fr[0] == exp["first_frame"] and fr[-1] == exp["last_frame"]
        if exp["nr_base_pages"] is not None:
            assert (pages, label) == (exp["nr_base_pages"], "nr_base_pages")
        else:
            assert (pages, label) == (exp["stack_count"], "stack_count")
        mods = sorted({m for f in fr for m in re.findall(r"\[(\w+)\]$", f)})
        assert mods == sorted(exp["modules"])


def test_stack_count_files_are_flagged(capsys):
    poc = CORPUS / "mm2024_osalvador_show_stacks_v10_poc.txt"
    assert pf.load_stacks(poc).unit == "allocations"
    assert pf.load_stacks(CORPUS / "mm2024_osalvador_show_stacks_doc.txt").unit == "mixed"
    assert pf.load_stacks(CORPUS / "blog2026_mfo_show_stacks_handles.txt").unit == "pages"
    rc, out, err = run_cli(["stacks", poc], capsys=capsys)
    assert rc == 0
    assert "count allocations, not pages" in err
    # the text output is show_stacks again, with the file's own count lines
    again = S.parse_stacks(out.encode())
    assert again.labels == ["stack_count"] * 4
    assert sorted(again.pages, reverse=True) == again.pages == [8641, 6781, 4609, 521]


def test_text_output_round_trips(capsys):
    path = CORPUS / "mm2024_osalvador_show_stacks_doc.txt"
    rc, out, _ = run_cli(["stacks", path], capsys=capsys)
    assert rc == 0
    a, b = pf.load_stacks(path), S.parse_stacks(out.encode())
    assert dict(zip(a.frames, zip(a.pages, a.labels))) == dict(zip(b.frames, zip(b.pages, b.labels)))


def test_threshold_top_and_folded(capsys):
    path = CORPUS / "mm2024_osalvador_show_stacks_v10_poc.txt"
    rc, out, _ = run_cli(["stacks", path, "--threshold", "4609"], capsys=capsys)
    assert rc == 0 and S.parse_stacks(out.encode()).pages == [8641, 6781, 4609]
    rc, out, _ = run_cli(["stacks", path, "--top", "2", "--format", "folded"], capsys=capsys)
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0] == ("ret_from_fork_asm+0x1b/0x30;ret_from_fork+0x30/0x50;kthread+0xe3/0x110;"
                        "worker_thread+0x12a/0x2a0;process_scheduled_works+0x84/0x380;"
                        "pcpu_balance_workfn+0x2d1/0x4a0;pcpu_populate_chunk+0xec/0x350;"
                        "__alloc_pages+0x18b/0x350;get_page_from_freelist+0x801/0x2210;"
                        "prep_new_page+0xa9/0x120 8641")
    assert lines[1].endswith(" 6781") and "ext4_write_begin+0xbd/0x4b0 [ext4]" in lines[1]


def test_json_and_csv_of_stacks(capsys):
    path = CORPUS / "mm2024_osalvador_show_stacks_doc.txt"
    rc, out, _ = run_cli(["stacks", path, "--format", "json"], capsys=capsys)
    recs = json.loads(out)
    assert [r["pages"] for r in recs] == [20824, 8248, 234, 16]
    assert recs[0]["key"][0] == "post_alloc_hook+0x177/0x1a0" and recs[0]["blocks"] is None
    rc, out, _ = run_cli(["stacks", path, "--format", "csv"], capsys=capsys)
    import csv
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["pages"]) for r in rows] == [20824, 8248, 234, 16]
    assert rows[3]["key"].split("\n")[-1] == "create_new_namespaces+0x4a1/0x820"


# ------------------------------------------------------------------------------------------
# show_handles / show_stacks_handles and errors
# ------------------------------------------------------------------------------------------

HANDLES = b"handle: 1048577\nnr_base_pages: 12\n\nhandle: 2097154\nnr_base_pages: 3\n\n"
STACKS_HANDLES = (b" post_alloc_hook+0x1/0x2\n foo+0x1/0x2\nhandle: 1048577\n\n"
                  b" post_alloc_hook+0x1/0x2\n bar+0x3/0x4 [ext4]\nhandle: 2097154\n\n")


def test_show_handles_kinds(tmp_path, capsys):
    h = S.parse_stacks(HANDLES, "h")
    sh = S.parse_stacks(STACKS_HANDLES, "sh")
    assert (h.kind, h.unit, h.handles, h.pages) == ("show_handles", "pages", [1048577, 2097154], [12, 3])
    assert (sh.kind, sh.unit, sh.pages) == ("show_stacks_handles", None, [None, None])
    assert A.counts(h) == {1048577: [None, 12], 2097154: [None, 3]}
    resolved = h.resolve_handles(sh)
    assert A.counts(resolved) == {("post_alloc_hook+0x1/0x2", "foo+0x1/0x2"): [None, 12],
                                  ("post_alloc_hook+0x1/0x2", "bar+0x3/0x4 [ext4]"): [None, 3]}
    hp, shp = tmp_path / "show_handles", tmp_path / "show_stacks_handles"
    hp.write_bytes(HANDLES)
    shp.write_bytes(STACKS_HANDLES)
    rc, out, _ = run_cli(["stacks", hp, "--format", "json"], capsys=capsys)
    assert rc == 0 and json.loads(out)[0] == {"key": 1048577, "pages": 12, "bytes": 12 * 4096,
                                              "blocks": None, "handle": 1048577}
    rc, out, _ = run_cli(["stacks", hp, "--stacks-handles", shp, "--format", "folded"], capsys=capsys)
    assert out == "foo+0x1/0x2;post_alloc_hook+0x1/0x2 12\nbar+0x3/0x4 [ext4];post_alloc_hook+0x1/0x2 3\n"
    rc, out, _ = run_cli(["stacks", shp], capsys=capsys)  # no counts: listed with handles
    assert rc == 0 and S.parse_stacks(out.encode()).handles == [1048577, 2097154]
    rc, out, _ = run_cli(["diff", hp, hp, "--format", "json"], capsys=capsys)
    assert rc == 0 and {r["key"] for r in json.loads(out)} == {1048577, 2097154}


@pytest.mark.parametrize("args, code, msg", [
    # options the input cannot serve, and bad options: exit 1
    (["stacks", "{ss}", "--by", "comm"], 1, "--by comm needs a full page_owner dump"),
    (["stacks", "{h}", "--by", "stack"], 1, "show_handles file (no frames): use --by handle"),
    (["diff", "{h}", "{ss}"], 1, "can be compared only with another show_handles file"),
    (["diff", "{sh}", "{ss}"], 1, "counts no pages"),
    (["top", "{ss}", "--by", "pid"], 1, "--by pid needs a full page_owner dump"),
    (["stacks", "{ss}", "--threshold", "x"], 1, "--threshold: not a number"),
    (["diff", "{ss}"], 1, "the following arguments are required: new"),
    (["stacks", "{missing}"], 1, "no such file"),  # as page_owner_sort's failed open
    # inputs that are not what they should be: exit 2
    (["stacks", "{bad}"], 2, "line 2: expected a frame"),
    (["stacks", "{sorted}"], 2, "page_owner_sort output"),
])
def test_errors_are_one_line(tmp_path, capsys, args, code, msg):
    files = {"ss": CORPUS / "blog2026_mfo_show_stacks_handles.txt", "h": tmp_path / "h",
             "sh": tmp_path / "sh", "bad": tmp_path / "bad", "sorted": tmp_path / "sorted",
             "missing": tmp_path / "missing"}
    files["h"].write_bytes(HANDLES)
    files["sh"].write_bytes(STACKS_HANDLES)
    files["bad"].write_bytes(b" foo+0x1/0x2\nsomething else\n\n")
    files["sorted"].write_bytes(b"3 times, 3 pages, allocated by OTHERS :\nPage allocated via\n\n")
    rc, out, err = run_cli([a.format(**files) for a in args], capsys=capsys)
    assert rc == code
    assert err.count("\n") == 1 and msg in err, err
    assert "Traceback" not in err and out == ""


def test_errors_through_a_subprocess_have_no_traceback(tmp_path):
    from conftest import run_subprocess
    p = run_subprocess(["stacks", CORPUS / "blog2026_mfo_show_stacks_handles.txt", "--by", "comm"])
    assert p.returncode == 1 and p.stdout == b""
    assert p.stderr.count(b"\n") == 1 and b"needs a full page_owner dump" in p.stderr


def test_normalize_frame():
    n = A.normalize_frame
    assert n("__slab_alloc.isra.86+0x22/0x40") == "__slab_alloc"
    assert n("___slab_alloc.constprop.0+0x512/0x730") == "___slab_alloc"
    assert n("link_path_walk.part.0.constprop.0+0x1/0x2") == "link_path_walk"
    assert n("foo.cold+0x1/0x2") == "foo"
    assert n("bar.llvm.12345678901234+0x10/0x20 [xfs]") == "bar [xfs]"
    assert n("xfs_file_read_iter+0x1f0/0x380 [xfs]") == "xfs_file_read_iter [xfs]"
    assert n("[<ffffffff811682c4>] __alloc_pages_nodemask+0x134/0x230") == "__alloc_pages_nodemask"
    assert n("0xffffffffc0a1b2c3") == "0xffffffffc0a1b2c3"
    assert n("post_alloc_hook") == "post_alloc_hook"


# ------------------------------------------------------------------------------------------
# the real 6.12 dump and its show_stacks, taken at the same moment
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real612():
    dump = pf.load(REAL / "k6.12_page_owner_t1.txt.xz")  # one row per block (not aggregated)
    return dump, REAL / "k6.12_show_stacks_t1.txt.xz"


def _naive_show_stacks(path) -> dict:
    """An independent reading: records split on blank lines, frames = lines with a blank."""
    out = {}
    for rec in lzma.decompress(path.read_bytes()).decode().split("\n\n"):
        lines = [ln for ln in rec.split("\n") if ln]
        if not lines:
            continue
        frames = tuple(ln[1:] for ln in lines if ln.startswith(" "))
        (count,) = [int(ln.split(":")[1]) for ln in lines if ln.startswith("nr_base_pages:")]
        assert frames not in out
        out[frames] = count
    return out


def _naive_dump_pages(dump) -> dict:
    """sum of 2^order per frame stack, block by block from the columns."""
    out = {}
    frames_of_sid = {}
    for sid, order in zip(dump.stack_id.tolist(), dump.order.tolist()):
        fr = frames_of_sid.get(sid)
        if fr is None:
            text = dump.stacks[sid].decode()
            fr = frames_of_sid[sid] = tuple(ln[1:] for ln in text.split("\n") if ln.startswith(" "))
        out[fr] = out.get(fr, 0) + (1 << order)
    return out


def test_real_612_diff_equals_each_file_on_its_own(real612, capsys):
    dump, ss_path = real612
    ss = _naive_show_stacks(ss_path)
    dp = _naive_dump_pages(dump)
    assert sum(ss.values()) == 81919 and sum(dp.values()) == 103052
    table = pf.diff(ss_path, dump)
    assert len(table) == len(ss.keys() | dp.keys())
    for r in table:
        assert r["old_pages"] == ss.get(r["key"], 0)
        assert r["new_pages"] == dp.get(r["key"], 0)
        assert r["delta_pages"] == r["new_pages"] - r["old_pages"]
    deltas = table["delta_pages"]
    assert deltas == sorted(deltas, reverse=True)
    assert sum(deltas) == 103052 - 81919 == 21133
    # what accounts for it: two stacks absent from show_stacks
    top2 = table[:2]
    assert [(r["old_pages"], r["new_pages"]) for r in top2] == [(0, 11058), (0, 10071)]
    assert "blkdev_write_iter+0x177/0x310" in top2[0]["key"]
    assert top2[1]["key"][0].startswith("register_early_stack")
    rest = [r["delta_pages"] for r in table[2:] if r["delta_pages"]]
    assert sum(rest) == 21133 - 11058 - 10071 == 4 and max(map(abs, rest)) <= 16
    # the CLI prints the same numbers (json), and the json validates
    jsonschema = pytest.importorskip("jsonschema")
    rc, out, err = run_cli(["diff", ss_path, REAL / "k6.12_page_owner_t1.txt.xz", "--format", "json"],
                           capsys=capsys)
    assert rc == 0 and "early-boot" in err
    recs = json.loads(out)
    jsonschema.validate(recs, _schema("diff"))
    assert recs == table.to_records()  # the aggregated CLI load counts the same


def test_real_612_dump_rendered_as_show_stacks(real612):
    dump, ss_path = real612
    rendered = S.parse_stacks(render_show_stacks(dump))
    assert rendered.total_pages() == 103052
    ss = pf.load_stacks(ss_path)
    common = set(rendered.frames) & set(ss.frames)
    assert len(common) == 603  # 605 dump stacks, 607 show_stacks records


# ------------------------------------------------------------------------------------------
# generated snapshot series with planted leaks
# ------------------------------------------------------------------------------------------

LEAK, DECOY = 5, 9


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """Four snapshots: path LEAK grows by 100 blocks (order 0) per snapshot, DECOY stays."""
    d = tmp_path_factory.mktemp("series")
    paths, stats = [], None
    for i in range(4):
        plant = [{"path": DECOY, "blocks": 50}] + ([{"path": LEAK, "blocks": 100 * i}] if i else [])
        data, st = _gen_bytes(plant=plant)
        p = d / f"snap{i}.txt"
        p.write_bytes(data)
        paths.append(p)
        if i:
            stats = st
    leak_frames = S.frames_of(next(x["stack"] for x in stats["planted"] if x["path"] == LEAK))
    # another build of the same kernel: other offsets, .isra/.constprop suffixes
    data, _ = _gen_bytes(plant=[{"path": DECOY, "blocks": 50}, {"path": LEAK, "blocks": 300}],
                         stack_variant=1)
    other = d / "snap3_build2.txt"
    other.write_bytes(data)
    return paths, leak_frames, other


def test_planted_leak_ranks_first_in_diff(series):
    paths, leak, _ = series
    t = pf.diff(paths[0], paths[3])
    assert t[0]["key"] == leak and t[0]["delta_pages"] == 300
    assert all(r["delta_pages"] == 0 for r in t[1:])
    assert t[0]["new_blocks"] - t[0]["old_blocks"] == 300


def test_planted_leak_show_stacks_vs_dump(series, tmp_path):
    paths, leak, _ = series
    old = tmp_path / "show_stacks"
    old.write_bytes(render_show_stacks(pf.load(paths[0])))
    t = pf.diff(old, paths[3])
    assert t[0]["key"] == leak and t[0]["delta_pages"] == 300 and t[0]["old_blocks"] is None
    assert all(r["delta_pages"] == 0 for r in t[1:])
    # the other way round too: a dump as OLD, a show_stacks file as NEW
    new = tmp_path / "show_stacks_new"
    new.write_bytes(render_show_stacks(pf.load(paths[3])))
    t = pf.diff(paths[0], new)
    assert t[0]["key"] == leak and t[0]["delta_pages"] == 300


def test_planted_leak_across_builds_needs_normalize(series, capsys):
    paths, leak, other = series
    raw = pf.diff(paths[0], other)
    assert raw[0]["key"] != leak or raw[0]["delta_pages"] != 300  # offsets differ: no match
    t = pf.diff(paths[0], other, normalize=True)
    assert t[0]["key"] == A.normalize_stack(leak) and t[0]["delta_pages"] == 300
    assert all(r["delta_pages"] == 0 for r in t[1:])
    rc, out, _ = run_cli(["diff", paths[0], other, "--normalize", "--format", "json", "--top", "1"],
                         capsys=capsys)
    assert rc == 0
    (rec,) = json.loads(out)
    assert rec["key"] == list(A.normalize_stack(leak)) and rec["delta_pages"] == 300
    assert rec["ratio"] == pytest.approx(rec["new_pages"] / rec["old_pages"]) if rec["old_pages"] else True


def test_timeline_ranks_the_leak_by_slope(series, capsys):
    paths, leak, _ = series
    t = pf.timeline(paths)
    assert t[0]["key"] == leak
    assert t[0]["slope"] == pytest.approx(100.0) and t[0]["delta_pages"] == 300
    base = t[0]["pages"][0]
    assert t[0]["pages"] == [base, base + 100, base + 200, base + 300]
    assert all(r["slope"] == 0 for r in t[1:])
    rc, out, _ = run_cli(["timeline", *paths, "--format", "json", "--top", "1"], capsys=capsys)
    (rec,) = json.loads(out)
    assert rec["key"] == list(leak) and rec["pages"] == t[0]["pages"]
    rc, out, _ = run_cli(["timeline", *paths, "--format", "csv", "--top", "2"], capsys=capsys)
    assert out.splitlines()[0] == ("key,pages_1,pages_2,pages_3,pages_4,bytes_1,bytes_2,bytes_3,bytes_4,"
                                   "delta_pages,delta_bytes,slope,slope_bytes")
    rc, out, _ = run_cli(["timeline", *paths, "--top", "1"], capsys=capsys)
    assert rc == 0 and "+100.0" in out


def test_timeline_by_comm_mixed_with_show_stacks_is_refused(series, tmp_path, capsys):
    paths, _, _ = series
    ss = tmp_path / "ss"
    ss.write_bytes(render_show_stacks(pf.load(paths[0])))
    rc, _, err = run_cli(["timeline", paths[1], ss, "--by", "comm"], capsys=capsys)
    assert rc == 1 and "needs a full page_owner dump" in err


def test_timeline_plot(series, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    paths, _, _ = series
    out = tmp_path / "growth.png"
    rc, _, err = run_cli(["timeline", *paths, "--top", "3", "--plot", out, "-o", tmp_path / "t.txt"],
                         capsys=capsys)
    assert rc == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "growth.svg"
    assert run_cli(["timeline", *paths, "--plot", svg, "-o", tmp_path / "t.txt"], capsys=capsys)[0] == 0
    assert b"<svg" in svg.read_bytes()[:400]


def test_timeline_plot_without_matplotlib(series, tmp_path, capsys, monkeypatch):
    paths, _, _ = series
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    rc, out, err = run_cli(["timeline", *paths, "--plot", tmp_path / "x.png"], capsys=capsys)
    assert rc == 2 and "needs matplotlib" in err and err.count("\n") == 1


def test_diff_text_summary(series, capsys):
    paths, _, _ = series
    rc, out, _ = run_cli(["diff", paths[0], paths[2]], capsys=capsys)
    assert rc == 0
    assert "(+200 pages, +800.0 KiB; 4 KiB pages); 1 of" in out
    rows = [ln.split() for ln in out.splitlines() if re.match(r"^ *[+-][0-9]", ln)]
    assert len(rows) == 1 and rows[0][0] == "+200"


def test_stacks_of_a_dump_equals_render(series, capsys):
    paths, _, _ = series
    rc, out, _ = run_cli(["stacks", paths[1]], capsys=capsys)
    assert rc == 0
    assert out.encode() == render_show_stacks(pf.load(paths[1]))
    rc, out, _ = run_cli(["stacks", paths[1], "--by", "comm", "--format", "json"], capsys=capsys)
    recs = json.loads(out)
    d = pf.load(paths[1])
    assert sum(r["pages"] for r in recs) == int(d.pages.sum())
    assert sum(r["blocks"] for r in recs) == len(d)
