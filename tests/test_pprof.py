"""pprof output (pageowner_fast.pprof, `stacks --format pprof`): decoded with the protobuf
library and checked against an independent count of the dump's text (tests/_independent.py);
where a Go toolchain is installed, read by `go tool pprof` itself."""
from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from collections import Counter

import pytest

pytest.importorskip("google.protobuf", reason="the pprof extra (protobuf) is not installed")

import _independent as ind  # noqa: E402
from conftest import DATA, PREFIX, block, run_cli  # noqa: E402

import pageowner_fast as pf  # noqa: E402
from pageowner_fast.pprof import parse_frame  # noqa: E402
from pageowner_fast.pprof.build import Frame  # noqa: E402

REAL = DATA / "real_dumps" / "k6.12_page_owner_t1.txt.xz"
SHOW_STACKS = DATA / "real_dumps" / "k6.12_show_stacks_t1.txt.xz"


def decode(data: bytes):
    from pageowner_fast.pprof import profile_pb2
    p = profile_pb2.Profile()
    p.ParseFromString(gzip.decompress(data))
    return p


def types(p) -> list[tuple[str, str]]:
    return [(p.string_table[t.type], p.string_table[t.unit]) for t in p.sample_type]


def frames_of_sample(p, sample) -> tuple[str, ...]:
    """The sample's frames as symbol+0xoff (module), innermost first, from the profile."""
    loc = {loc.id: loc for loc in p.location}
    fn = {f.id: f for f in p.function}
    out = []
    for lid in sample.location_id:
        f = fn[loc[lid].line[0].function_id]
        out.append((p.string_table[f.name], loc[lid].address, p.string_table[f.filename]))
    return tuple(out)


def labels(p, sample) -> dict:
    s = p.string_table
    return {s[lab.key]: (lab.num if s[lab.key] in ("pid", "tgid") else s[lab.str]) for lab in sample.label}


@pytest.fixture(scope="module")
def real():
    return ind.read_text(REAL), decode(pf.to_pprof(REAL))


def test_real_dump_totals_equal_an_independent_count(real):
    text, p = real
    nblocks, pages = ind.totals(text)
    assert types(p) == [("pages", "count"), ("bytes", "bytes"), ("blocks", "count")]
    assert p.string_table[p.default_sample_type] == "pages"
    assert sum(s.value[0] for s in p.sample) == pages
    assert sum(s.value[1] for s in p.sample) == pages * 4096
    assert sum(s.value[2] for s in p.sample) == nblocks


def test_real_dump_stacks_and_comms_match_the_text(real):
    text, p = real
    by_stack: Counter = Counter()
    by_comm: Counter = Counter()
    for s in p.sample:
        frames = tuple(f"{name}+{addr:#x}" + ("" if mod == "vmlinux" else f" [{mod}]")
                       for name, addr, mod in frames_of_sample(p, s))
        by_stack[frames] += s.value[0]
        by_comm[labels(p, s)["comm"]] += s.value[0]
    want = Counter()
    for frames, n in ind.pages_by_stack(text).items():   # sym+0xOFF/0xSIZE -> sym+0xOFF
        want[tuple(f.split("/")[0] for f in frames)] += n
    assert by_stack == want
    assert by_comm == ind.pages_by_comm(text)


def test_samples_are_distinct_and_labelled(real):
    _, p = real
    seen = set()
    for s in p.sample:
        lab = labels(p, s)
        assert set(lab) <= {"comm", "pid", "tgid", "allocator", "migratetype", "memcg"}
        assert {"comm", "pid", "tgid", "allocator", "migratetype"} <= set(lab)
        key = (tuple(s.location_id), tuple(sorted(lab.items())))
        assert key not in seen
        seen.add(key)
    numeric = [lab for s in p.sample for lab in s.label if p.string_table[lab.key] in ("pid", "tgid")]
    assert numeric and all(lab.str == 0 for lab in numeric)
    assert {m.id for m in p.mapping} and all(m.has_functions for m in p.mapping)
    assert p.string_table[0] == ""


def test_page_size_and_determinism(tmp_path):
    a = pf.to_pprof(REAL, page_size="16K")
    assert a == pf.to_pprof(REAL, page_size=16384)
    assert a[:2] == b"\x1f\x8b"
    p = decode(a)
    assert sum(s.value[1] for s in p.sample) == 16384 * sum(s.value[0] for s in p.sample)


def test_show_stacks_file_has_pages_and_bytes_only():
    p = decode(pf.to_pprof(SHOW_STACKS))
    assert types(p) == [("pages", "count"), ("bytes", "bytes")]
    assert sum(s.value[0] for s in p.sample) == ind.show_stacks_pages(ind.read_text(SHOW_STACKS))
    assert all(not s.label for s in p.sample)


def test_fields_an_old_kernel_lacks_are_no_labels(tmp_path):
    from pageowner_fast import gen
    path = tmp_path / "old.txt"
    with open(path, "wb") as f:
        gen.generate(f, blocks=300, era="4.6", seed=2)
    p = decode(pf.to_pprof(path))
    keys = {p.string_table[lab.key] for s in p.sample for lab in s.label}
    assert not keys & {"pid", "tgid", "comm"}
    assert sum(s.value[0] for s in p.sample) == ind.totals(path.read_text())[1]


def test_block_without_frames_and_module_frames(tmp_path):
    path = tmp_path / "d.txt"
    path.write_bytes(block(order=2, stack=b"") +
                     block(order=0, stack=b" ext4_mb_new+0x1a/0x40 [ext4]\n vfs_write+0x10/0x20\n"))
    p = decode(pf.to_pprof(path))
    got = sorted(frames_of_sample(p, s) for s in p.sample)
    assert got == [(("(no frames)", 0, "vmlinux"),),
                   (("ext4_mb_new", 0x1a, "ext4"), ("vfs_write", 0x10, "vmlinux"))]
    assert sorted(p.string_table[m.filename] for m in p.mapping) == ["ext4", "vmlinux"]


@pytest.mark.parametrize("text, want", [
    ("get_page_from_freelist+0x5b2/0x1390", Frame("get_page_from_freelist", 0x5b2, "vmlinux")),
    ("ext4_mb_new.isra.0+0x1a/0x40 [ext4]", Frame("ext4_mb_new.isra.0", 0x1a, "ext4")),
    ("[<ffffffff811c5b2a>] __alloc_pages_nodemask+0x2a/0x40", Frame("__alloc_pages_nodemask", 0x2a, "vmlinux")),
    ("0xffffffffc0a01234", Frame("0xffffffffc0a01234", 0, "vmlinux")),
    ("odd frame text", Frame("odd frame text", 0, "vmlinux")),
])
def test_parse_frame(text, want):
    assert parse_frame(text) == want


def test_cli_writes_the_same_bytes(tmp_path, capsys):
    out = tmp_path / "p.pb.gz"
    rc, _, err = run_cli(["stacks", REAL, "--format", "pprof", "-o", out], capsys=capsys)
    assert (rc, err) == (0, "")
    assert out.read_bytes() == pf.to_pprof(REAL)


@pytest.mark.parametrize("opt", [["--by", "comm"], ["--top", "3"], ["--threshold", "2"]])
def test_cli_options_that_do_not_apply(tmp_path, capsys, opt):
    rc, out, err = run_cli(["stacks", REAL, "--format", "pprof", *opt, "-o", tmp_path / "x"], capsys=capsys)
    assert rc == 1 and out == ""
    assert err.startswith(PREFIX + "error: stacks: " + opt[0]) and err.count("\n") == 1


def test_missing_protobuf_is_one_line(monkeypatch, tmp_path, capsys):
    import pageowner_fast.pprof as pkg
    monkeypatch.delitem(sys.modules, "pageowner_fast.pprof.profile_pb2", raising=False)
    monkeypatch.delattr(pkg, "profile_pb2", raising=False)
    monkeypatch.setitem(sys.modules, "google.protobuf", None)
    rc, _, err = run_cli(["stacks", REAL, "--format", "pprof", "-o", tmp_path / "x"], capsys=capsys)
    assert rc == 2
    assert err == PREFIX + 'error: pprof output needs protobuf: pip install "pageowner-fast[pprof]"\n'


# --- go tool pprof, where a Go toolchain is installed ----------------------------------------

GO = shutil.which("go")
needs_go = pytest.mark.skipif(GO is None, reason="no Go toolchain (go tool pprof) on this machine")


def go_pprof(*args, tmp_path):
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "GOPATH": str(tmp_path / "go"),
           "GOCACHE": str(tmp_path / "gocache"), "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local",
           "PPROF_TMPDIR": str(tmp_path)}
    p = subprocess.run([GO, "tool", "pprof", *map(str, args)], capture_output=True, text=True,
                       env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stdout


@needs_go
def test_go_tool_pprof_raw_reads_every_sample(tmp_path, real):
    text, p = real
    path = tmp_path / "t1.pb.gz"
    path.write_bytes(pf.to_pprof(REAL))
    raw = go_pprof("-raw", path, tmp_path=tmp_path)
    assert "Samples:\npages/count[dflt] bytes/bytes blocks/count\n" in raw
    # a sample is a line `PAGES BYTES BLOCKS: location ids`, its labels on the lines below
    lines = raw.split("Samples:\n", 1)[1].split("\nLocations", 1)[0].splitlines()[1:]
    values = [[int(v) for v in head] for line in lines
              if ":" in line and len(head := line.split(":")[0].split()) == 3 and all(v.isdigit() for v in head)]
    assert len(values) == len(p.sample)
    nblocks, pages = ind.totals(text)
    assert [sum(col) for col in zip(*values)] == [pages, pages * 4096, nblocks]


@needs_go
def test_go_tool_pprof_diff_base_lists_the_grown_stack(tmp_path):
    from pageowner_fast import gen
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    with open(old, "wb") as f:
        gen.generate(f, blocks=4000, seed=5)
    with open(new, "wb") as f:
        planted = gen.generate(f, blocks=4000, seed=5, plant=[{"path": 30, "blocks": 700}])["planted"][0]
    (tmp_path / "old.pb.gz").write_bytes(pf.to_pprof(old))
    (tmp_path / "new.pb.gz").write_bytes(pf.to_pprof(new))
    out = go_pprof("-top", "-nodecount=100", "-diff_base", tmp_path / "old.pb.gz", tmp_path / "new.pb.gz",
                   tmp_path=tmp_path)
    assert "Showing nodes accounting for 700," in out
    listed = {line.split()[-1] for line in out.splitlines() if line.strip() and line.split()[0].isdigit()}
    want = {parse_frame(f.strip()).symbol for f in planted["stack"].splitlines()}
    assert want <= listed
