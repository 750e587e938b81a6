"""The Cython scanner against the pure-Python reference (the oracle), on random dumps."""
import io
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pageowner_fast
import pageowner_fast._fields
from pageowner_fast import _pyscan

_scan = pytest.importorskip("pageowner_fast._scan")


def test_compiled_engine_is_loaded():
    """An installed wheel must not silently run the slow engine (fastavro's lesson)."""
    if os.environ.get("PAGEOWNER_FAST_PUREPYTHON"):
        pytest.skip("pure-Python engine forced by the environment")
    assert pageowner_fast.engine == "cython"


def test_compiled_engine_hashes_with_xxh3():
    """The interner hashes with XXH3-128 from the xxhash wheel (a dependency); the fallback
    hash (which compares bytes on every hit) running where XXH3 should be is a build or
    packaging fault a wheel test must catch."""
    if os.environ.get("PAGEOWNER_FAST_PUREPYTHON"):
        pytest.skip("pure-Python engine forced by the environment")
    assert _scan.HASH == "xxh3-128"
    assert _scan.info()["hash"] == "xxh3-128"


def test_info_says_what_runs():
    info = _scan.info()
    assert info["simd"] == _scan.SIMD in ("avx2", "sse2", "portable")
    assert info["simd"] != "avx2" or info["cpu_avx2"]
    assert isinstance(info["debug"], bool) and info["compiler"]
    assert _scan._use_splitter("portable") == "portable" == _scan.info()["simd"]
    assert _scan._use_splitter("best") == _scan.SIMD
    with pytest.raises(ValueError):
        _scan._use_splitter("lines")
    with pytest.raises(ValueError):
        _scan._use_hash("md5")


class Trickle(io.RawIOBase):
    """A stream that hands out at most `step` bytes per read: chunk boundaries everywhere."""

    def __init__(self, data, step):
        self.data, self.pos, self.step = data, 0, step

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.step, len(self.data) - self.pos)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


def assert_same(a, b):
    ca, ta, sa = a
    cb, tb, sb = b
    assert ca.keys() == cb.keys()
    for k in cb:
        assert ca[k].dtype == cb[k].dtype, k
        np.testing.assert_array_equal(ca[k], cb[k], err_msg=k)
    from pageowner_fast.dump import Table
    assert {k: list(Table(v)) for k, v in ta.items()} == {k: list(Table(v)) for k, v in tb.items()}
    assert sa == sb


# --- random dumps -----------------------------------------------------------------------------
COMMS = [b"bash", b"x), free_ts 12 ns, y", b"alloc_pages", b"systemd-journal", b"a (b) c", b"x), ts 7 ns, y", b"x), ts 8 ns, y", b"kworker/u8:2", b"",
         b"0123456789abcdef", b"(sd-pam)", b"a,b", b"\xff\xfeodd", b"tgid 3 (x)", b"p\x00n"]
FRAMES = [b" post_alloc_hook+0xca/0xd0", b" get_page_from_freelist+0x5b2/0x1390",
          b" __alloc_pages_noprof+0x1a2/0x350", b" alloc_pages_bulk_noprof+0x1/0x2",
          b" __vmalloc_node_range_noprof+0x3/0x4", b" __vmalloc_area_node+0x1/0x2",
          b" ext4_fill_super+0x5f/0x340 [ext4]", b" foo+0x1/0x2\t[nvme-core]", b"   (null)",
          b" [<ffffffff811682c4>] __alloc_pages_nodemask+0x134/0x230", b" 0xffffffffc0a1b2c3",
          b" x+0x1/0x2 [bad mod]", b" ts 5 ns", b" free_ts 9 ns", b" free_ts 12 ns", b" order 3,", b" pid 4,",
          b" x+0x1/0x2 [free_ts12ns]", b"[a] +0x1/0x2 [m12]",
          b"Page has been migrated, last migrate reason: compaction", b"Slab cache page",
          b"Charged (via objcg) to memcg system.slice", b"handle: 12", b"nr_base_pages: 7",
          b" +0x1/0x2", b"[m]", b" rapid,", b" mask 0xFF", b" mask 0x000000000000000000ff",
          b" alloc_pages_bulk __vmalloc_node_range+0x1/0x2", b" tgid (tgid (a), ts", b" (x), ts"]
PFNS = [b"PFN 0x10a3f type Movable Block 133 type Movable Flags 0x17ffffc0020838(uptodate|lru)",
        b"PFN 4610 type Unmovable Block 9 type Unmovable Flags 0x10200(slab|head)",
        b"PFN 0x20000 type Movable Block 256 type CMA Flags 0x0()", b"PFN", b"PFNx type Bogus",
        b"PFN 99999999999999999999999 type Isolate",
        b"PFN 0000000000000000000000000000000000000007 type Movable", b"PFN 0x0000000000000000000000001f"]


@st.composite
def header(draw):
    parts = [b"Page allocated via order ", draw(st.sampled_from([b"0", b"3", b"007", b"", b"63", b"65",
                                                             b"99999999999999999999999999"])), b","]
    parts.append(draw(st.sampled_from([b" mask 0x112cca(GFP_HIGHUSER_MOVABLE)", b" mask 0x0()", b"",
                                       b" mask 0x", b" mask 0x11111111111111111"])))
    if draw(st.booleans()):
        parts.append(b", pid " + draw(st.sampled_from([b"1", b"162970", b"", b"4294967297"])) + b",")
    if draw(st.booleans()):
        parts.append(b" tgid " + draw(st.sampled_from([b"1", b"", b"12"])) +
                     draw(st.sampled_from([b" ", b"", b"\n"])) + b"(" + draw(st.sampled_from(COMMS)) + b"),")
    if draw(st.booleans()):
        parts.append(b" ts " + draw(st.sampled_from([b"10", b"", b"7328440281", b"121463164s",
                                                     b"99999999999999999999"])) +
                     draw(st.sampled_from([b" ns", b"ns", b"\nns", b" n"])))
    if draw(st.booleans()):
        # 2 to 19 digits followed by a blank: a slot of the folded scan (pof_fold.c)
        parts.append(b", free_ts " + draw(st.sampled_from([b"0", b"5", b"", b"12", b"007", b"120",
                                                           b"1234567890123", b"9999999999999999999",
                                                           b"18446744073709551616"]))
                     + draw(st.sampled_from([b" ns", b" ns", b"ns", b"  ns", b" ns, x", b"\nns"])))
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from([b" +0x1/0x2", b" +0x1/0x2 ", b" vmalloc_node_range"])))
    return b"".join(parts)


@st.composite
def block(draw):
    lines = []
    if draw(st.integers(0, 9)) > 0:
        lines.append(draw(header()))
    n = draw(st.integers(0, 6))
    body = draw(st.lists(st.sampled_from(FRAMES), min_size=n, max_size=n))
    if draw(st.booleans()):
        body.insert(draw(st.integers(0, len(body))), draw(st.sampled_from(PFNS)))
    lines += body
    text = b"".join(line + b"\n" for line in lines)
    return text + b"\n" * draw(st.sampled_from([1, 1, 1, 2, 3]))


@st.composite
def dump(draw):
    blocks = draw(st.lists(block(), min_size=0, max_size=8))
    data = (b"\n" if draw(st.booleans()) else b"") + b"".join(blocks)
    cut = draw(st.sampled_from([0, 0, 0, 1, 2, 5]))
    if cut and len(data) > cut:
        data = data[:-cut]
    if draw(st.integers(0, 5)) == 0:
        data = data.replace(b"\n", b"\r\n")
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=dump(), strip=st.booleans(), step=st.sampled_from([1, 3, 64, 1 << 20]))
def test_cython_matches_reference(data, strip, step):
    ref = _pyscan.scan_bytes(data, strip_ts=strip)
    got = _scan.scan_stream(io.BufferedReader(Trickle(data, step), 7) if step < 64 else
                            io.BytesIO(data), strip_ts=strip)
    assert_same(got, ref)


@settings(max_examples=100, deadline=None)
@given(data=dump(), strip=st.booleans())
def test_fallback_hash_matches_reference(data, strip):
    """Without XXH3 (a platform whose xxhash build hides it) the own hash + byte compare."""
    try:
        _scan._use_hash("fallback")
        got = _scan.scan_bytes(data, strip_ts=strip)
    finally:
        _scan._use_hash("xxh3")
    assert_same(got, _pyscan.scan_bytes(data, strip_ts=strip))


def _use_splitter(name):
    """Select a block splitter for a test; skip where this build or CPU lacks it."""
    if _scan._use_splitter(name) != name:
        _scan._use_splitter("best")
        pytest.skip(f"no {name} block splitter in this build or on this CPU")


@pytest.mark.parametrize("splitter", ["sse2", "portable"])
@settings(max_examples=100, deadline=None)
@given(data=dump(), strip=st.booleans())
def test_other_block_splitters_match_reference(splitter, data, strip):
    """The splitters an import does not pick here (SSE2 where AVX2 exists; the per-line one
    of platforms without SSE2) against the reference."""
    _use_splitter(splitter)
    try:
        got = _scan.scan_bytes(data, strip_ts=strip)
    finally:
        _scan._use_splitter("best")
    assert_same(got, _pyscan.scan_bytes(data, strip_ts=strip))


@pytest.mark.parametrize("splitter", ["avx2", "sse2", "portable"])
def test_block_ends_and_pfn_lines_at_every_offset(splitter):
    """The 64-byte-window splitters: empty lines, PFN lines (and a 'P' line that is not one)
    and the end of the input at every offset relative to a window."""
    blocks = []
    for pad in range(0, 140):
        blocks.append(b"Page allocated via order 0, mask 0x0(), pid %d, tgid 1 (x), ts 5 ns\n"
                      b"%sPFN 0x%x type Movable Block 1 type Movable Flags 0x0()\n"
                      b" a+0x1/0x2\nPFX no\n%s\n" % (pad, b" x\n" * (pad % 3), pad, b" y" * pad)
                      + b"PFN 0x1 type Unmovable Block 2 CMA slab\n" * (pad % 2)
                      + b"\n" * (1 + pad % 2))
    data = b"".join(blocks)
    _use_splitter(splitter)
    try:
        for cut in (0, 1, 2, 3, 65):
            for strip in (True, False):
                d = data[:len(data) - cut]
                assert_same(_scan.scan_bytes(d, strip_ts=strip), _pyscan.scan_bytes(d, strip_ts=strip))
    finally:
        _scan._use_splitter("best")


@pytest.mark.parametrize("splitter", ["avx2", "sse2", "portable"])
def test_pfn_verdict_at_every_offset(splitter):
    """The CMA/slab verdict of a PFN line (SIMD: its 'A' and 'b', then the letters before
    them), with the line at every offset in a 32-byte block: near misses in the line, and
    the words right after its newline, where they must not count."""
    words = [b"CMA", b"slab", b"xlab", b"sLab", b"CXA", b"XMA", b"CM", b"lab", b"Slab", b"CMa"]
    blocks = []
    for pad in range(40):
        for k, w in enumerate(words):
            after = words[(k + pad) % len(words)]
            blocks.append(b"Page allocated via order 0, mask 0x0(), pid %d, tgid 1 (x), ts 5 ns\n"
                          b"PFN 0x%x type Movable Block 1 type %s%s Flags 0x0()\n"
                          b"%s %s_alloc+0x1/0x2\n\n" % (pad, k, b"y" * pad, w, after, after))
    data = b"".join(blocks)
    _use_splitter(splitter)
    try:
        got = _scan.scan_bytes(data, strip_ts=True)
    finally:
        _scan._use_splitter("best")
    ref = _pyscan.scan_bytes(data, strip_ts=True)
    assert_same(got, ref)
    F = pageowner_fast._fields
    assert {int(a) for a in ref[0]["allocator"]} == {F.ALLOC_CMA, F.ALLOC_SLAB, F.ALLOC_OTHERS}


def test_real_dump_engines_agree(plain_input):
    from conftest import DATA
    data = plain_input(DATA / "real_dumps" / "k6.12_page_owner_cut_by_oops.txt.xz").read_bytes()
    for strip in (True, False):
        assert_same(_scan.scan_bytes(data, strip_ts=strip), _pyscan.scan_bytes(data, strip_ts=strip))


OPTION_SETS = [[], ["-m"], ["-a"], ["-n"], ["-p"], ["-P"], ["-s"], ["-M"], ["--cull=st"],
               ["--cull=pid,name"], ["--cull=ator"], ["--cull=mod"], ["--cull=tg,st,ator"],
               ["--sort=n,-p"], ["--sort=at,p"], ["--sort=-at"], ["--sort=T"], ["--sort=p,at"],
               ["--cull=f,st"], ["--sort=ft,p", "--cull=st"], ["--pid=1,-1"],
               ["--name=bash,", "--cull=st"], ["--tgid=1,12"], ["--module=ext4,vmlinux", "-m"]]


def _sort_output(scan, args):
    from pageowner_fast import pipeline
    from pageowner_fast.cli._getopt import parse_sort_args
    from pageowner_fast.dump import Dump
    opts = parse_sort_args([*args, "in", "out"]).options
    columns, tables, stats = scan(opts.strip_ts)
    d = Dump(columns, tables, stats, strip_ts=opts.strip_ts)
    return pipeline.sort_dump(d, opts, report=lambda message: None).text()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=dump(), args=st.sampled_from(OPTION_SETS))
def test_aggregated_scan_gives_same_output(data, args):
    """Folding identical blocks while reading (the CLI's bounded-memory mode) changes
    nothing in the output, compared with the reference engine's one row per block."""
    got = _sort_output(lambda strip: _scan.scan_bytes(data, strip_ts=strip, aggregate=True), args)
    ref = _sort_output(lambda strip: _pyscan.scan_bytes(data, strip_ts=strip), args)
    assert got == ref


@pytest.mark.parametrize("blocks,args", [
    # the ts digits cut from the text sit inside the comm: the comms still differ
    ([b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (x), ts %d ns, y), ts 30 ns\n f+0x1/0x2\n\n" % d
      for d in (7, 8, 7)], ["--cull=name"]),
    # no ts field: the first `ts N ns` is free_ts's, and its value decides RELEASED
    ([b"Page allocated via order 0, mask 0x1(X), pid 1, free_ts %d ns\n f+0x1/0x2\n\n" % d
      for d in (0, 5, 0)], ["--cull=f"]),
])
def test_aggregation_keeps_fields_hidden_by_ts_cut(blocks, args):
    data = b"".join(blocks)
    got = _sort_output(lambda strip: _scan.scan_bytes(data, strip_ts=strip, aggregate=True), args)
    ref = _sort_output(lambda strip: _pyscan.scan_bytes(data, strip_ts=strip), args)
    assert got == ref
    assert got.count(b"\n") == 2  # two groups, not one


@pytest.mark.parametrize("head", [
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (x), ts %s ns\n",
    # the digits inside the comm's capture: comms differ with them, the rows too
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (x), ts %s ns, y), ts 30 ns\n",
    # a 6.1 header: the free_ts slot after the ts digits moves with their length
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (x), ts %s ns, free_ts 12 ns\n",
])
def test_ts_digit_runs_of_any_length_share_a_row(head):
    """The shortcut key treats ts digit runs of 1 to 19 digits alike (pof_rows.c, fast_key):
    whatever the lengths, and in every mode, the rows and the output are the reference's."""
    stack = b" post_alloc_hook+0xca/0xd0\n __alloc_pages_noprof+0x1a2/0x350\n\n"
    digits = [b"7", b"123456789", b"1234567890", b"77", b"9999999999999999999",
              b"18446744073709551616", b"", b"0000000000000000000000000", b"5"]
    data = b"".join(head % d + stack for d in digits + digits[::-1])
    for strip in (True, False):
        assert_same(_scan.scan_bytes(data, strip_ts=strip), _pyscan.scan_bytes(data, strip_ts=strip))
    for args in ([], ["--cull=name"], ["-a"], ["-t"], ["--cull=f"], ["-d"]):
        got = _sort_output(lambda strip: _scan.scan_bytes(data, strip_ts=strip, aggregate=True), args)
        assert got == _sort_output(lambda strip: _pyscan.scan_bytes(data, strip_ts=strip), args)


def test_row_copy_only_from_a_header_line_of_the_same_shape():
    """A block whose header line, its ts digits cut, equals an earlier one gets that row's
    fields copied -- but cutting "0" from "free_ts 0 ns" leaves the text of "free_ts  ns",
    whose free_ts differs, and "free_ts  0ns" cuts to it too. Found by hypothesis."""
    head = b"Page allocated via order 3, mask 0x, pid 1, ts  n, free_ts %s vmalloc_node_range\n"
    stack = b" post_alloc_hook+0xca/0xd0\n __alloc_pages_noprof+0x1a2/0x350\n\n"
    for order in ([b" ns", b"0 ns", b"1 ns", b" 0ns", b" 1ns", b" ns"],
                  [b"0 ns", b" ns", b" 0ns", b"1 ns"]):
        data = b"".join(head % t + stack for t in order)
        for strip in (True, False):
            assert_same(_scan.scan_bytes(data, strip_ts=strip), _pyscan.scan_bytes(data, strip_ts=strip))
        for args in (["--cull=f"], ["-a"], ["-d"]):
            got = _sort_output(lambda strip: _scan.scan_bytes(data, strip_ts=strip, aggregate=True), args)
            assert got == _sort_output(lambda strip: _pyscan.scan_bytes(data, strip_ts=strip), args)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=dump(), strip=st.booleans(), threads=st.sampled_from([1, 2, 3, 5]),
       aggregate=st.booleans())
def test_mapped_threaded_scan_matches_reference(tmp_path_factory, data, strip, threads, aggregate):
    """A regular file is memory-mapped and cut into parts scanned on threads, then merged:
    the rows, ids and stats are those of one sequential pass (CR files fall back)."""
    import mmap
    path = tmp_path_factory.mktemp("m") / "d.txt"
    path.write_bytes(data)
    if not data:
        return
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        got = _scan.scan_mapped(mm, strip_ts=strip, aggregate=aggregate, threads=threads)
    if b"\r" in data:
        assert got is None  # streamed instead, where CRLF becomes LF
        return
    if aggregate:
        ref = _scan.scan_bytes(data, strip_ts=strip, aggregate=True)
        assert_same(got, ref)
    else:
        assert_same(got, _pyscan.scan_bytes(data, strip_ts=strip))


def test_block_with_many_pfn_lines_matches_reference():
    """More PFN lines in one block than the fast block finder records (16): the slow path."""
    pfn = b"PFN 0x20000 type Movable Block 256 type CMA Flags 0x0()\n"
    block = (b"Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns\n" + pfn * 20 +
             b" f+0x1/0x2\n" + b"PFN 1 type Unmovable Block 0 type Unmovable Flags 0x200(slab)\n\n")
    data = block + block.replace(b"PFN 0x", b"PFX 0x") + b"\n" + pfn + b"\n"
    for strip in (True, False):
        assert_same(_scan.scan_bytes(data, strip_ts=strip), _pyscan.scan_bytes(data, strip_ts=strip))


def test_dedup_entries_keeps_first_of_equal_entries():
    """The -a scan keeps one header entry (template, digit count, value) per row and makes
    them unique afterwards: entries that differ in any one part stay apart, equal ones
    become the first of them, and nothing changes when all differ."""
    etpl = np.array([0, 1, 0, 0, 0, 2, 0, 1], dtype=np.int32)
    edn = np.array([3, -1, 3, 4, -1, 3, 3, -1], dtype=np.int8)
    edv = np.array([123, 0, 123, 123, 0, 5, 124, 0], dtype=np.uint64)
    (t, n, v), remap = _scan.dedup_entries(etpl, edn, edv)
    assert remap.tolist() == [0, 1, 0, 2, 3, 4, 5, 1]
    assert (t.tolist(), n.tolist(), v.tolist()) == ([0, 1, 0, 0, 2, 0], [3, -1, 4, -1, 3, 3],
                                                    [123, 0, 123, 0, 5, 124])
    keep = [0, 1, 3, 4, 5, 6]
    assert _scan.dedup_entries(etpl[keep], edn[keep], edv[keep])[1] is None


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-1, 2), st.integers(0, 2)), max_size=60))
def test_dedup_entries_matches_a_dict(entries):
    """dedup_entries against its definition: ids of first appearance of each distinct entry."""
    a = np.array(entries or [(0, 0, 0)][:0], dtype=np.int64).reshape(-1, 3)
    (t, n, v), remap = _scan.dedup_entries(a[:, 0].astype(np.int32), a[:, 1].astype(np.int8),
                                           a[:, 2].astype(np.uint64))
    first: dict[tuple[int, int, int], int] = {}
    want = [first.setdefault(e, len(first)) for e in entries]
    if remap is None:
        assert want == list(range(len(entries)))
    else:
        assert remap.tolist() == want
    assert list(zip(t.tolist(), n.tolist(), v.tolist())) == list(first)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from([b"t", b"s", b"ts", b"C", b"CM", b"CMA", b"slab", b"sla",
                                        b"\n", b" ", b"x" * 13, b"PFN 0x1 "]), max_size=40),
       i=st.integers(0, 80))
def test_line_helpers_agree(parts, i):
    """The SSE2 line helpers (aligned 16-byte reads) against the portable ones and against
    plain Python: the first "ts" at or after i, and a line's length and CMA/slab verdict."""
    from pageowner_fast import _scan
    text = b"".join(parts) + b"\n"
    i = min(i, len(text) - 1)
    for off in range(16):      # every alignment of the text
        buf = bytearray(b"_" * off + text)
        data = memoryview(buf)[off:]
        simd = _scan._line_helpers(data, i, False)
        plain = _scan._line_helpers(data, i, True)
        line = text[i:text.index(b"\n", i)]
        assert simd == plain == (text.find(b"ts", i),
                                 (len(line), b"CMA" in line, b"slab" in line))


# --- free_ts slots: the folded scan's collation (pof_fold.c) -----------------------------------
SLOT_LINES = [
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), ts %s ns, free_ts %s ns\n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), ts %s ns, free_ts %s ns, y\n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), ts %s ns, free_ts %s ns,\n",
    b"Page allocated via order 1, mask 0x1(X), pid 2, tgid 2 (b), ts %s ns, free_ts %s ns\n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), ts %s ns, free_ts %sns\n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), ts %s ns, free_ts %s\tns\n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), ts %s ns, free_ts x%s ns\n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), ts %s ns, free_ts \n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), ts %s ns, free_ts %s\n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a free_ts %s ns), ts %s ns\n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, free_ts %s ns, ts %s ns\n",
    b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), free_ts %s ns\n",
    b"free_ts %s ns %s\n",
    b"\n",
]
SLOT_DIGITS = [b"0", b"00", b"1", b"12", b"120", b"1200", b"13", b"007", b"99", b"", b"10",
               b"9999999999999999999", b"1999999999999999999", b"18446744073709551615",
               b"123456789012345678901234"]
SLOT_STACKS = [b" f+0x1/0x2\n", b" g+0x1/0x2 [m]\n f+0x1/0x2\n", b" f+0x1/0x2\nCharged to memcg x\n"]


@st.composite
def slot_dump(draw):
    blocks = []
    for _ in range(draw(st.integers(1, 40))):
        line = draw(st.sampled_from(SLOT_LINES))
        args = tuple(draw(st.sampled_from(SLOT_DIGITS)) for _ in range(line.count(b"%s")))
        pfn = draw(st.sampled_from([b"", b"PFN 0x1 type Movable Block 0 type Movable Flags 0x0()\n",
                                    b"PFN 0x2 type Movable Block 0 type CMA Flags 0x0()\n"]))
        if line == b"\n":
            blocks.append(pfn + b"\n")
            continue
        blocks.append(line % args + pfn + draw(st.sampled_from(SLOT_STACKS)) + b"\n")
    return b"".join(blocks)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=slot_dump(), args=st.sampled_from(OPTION_SETS + [["--cull=f"], ["--sort=ft"],
                                                            ["--sort=T", "--cull=st"]]))
def test_free_ts_slots_fold_and_order_as_the_reference(data, args):
    """Header lines whose free_ts digits are a slot of the folded scan: the same output as
    the reference's one row per block -- the digits folded by sorting, the texts ordered by
    (class of P, digits left-aligned, their count, S) or compared whole where one P is a
    prefix of another."""
    got = _sort_output(lambda strip: _scan.scan_bytes(data, strip_ts=strip, aggregate=True), args)
    ref = _sort_output(lambda strip: _pyscan.scan_bytes(data, strip_ts=strip), args)
    assert got == ref


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=slot_dump(), strip=st.booleans())
def test_free_ts_slot_headers_are_unique_and_in_text_order(data, strip):
    from pageowner_fast.dump import Table
    cols, tables, stats = _scan.scan_bytes(data, strip_ts=strip, aggregate=True)
    headers = list(Table(tables["headers"]))
    assert len(headers) == len(set(headers))
    if isinstance(tables["headers"], dict):     # templated: ids in text order
        assert headers == sorted(headers)
    ref_cols, ref_tables, _ = _pyscan.scan_bytes(data, strip_ts=strip)
    ref_headers = list(Table(ref_tables["headers"]))
    # every block's text is a row's text, and the counts add up per text
    got = {}
    for h, s, n in zip(cols["header_id"], cols["stack_id"], cols["count"]):
        key = headers[h] + list(Table(tables["stacks"]))[s]
        got[key] = got.get(key, 0) + int(n)
    want = {}
    ref_stacks = list(Table(ref_tables["stacks"]))
    for h, s in zip(ref_cols["header_id"], ref_cols["stack_id"]):
        key = ref_headers[h] + ref_stacks[s]
        want[key] = want.get(key, 0) + 1
    assert got == want
    assert list(cols["lineno"]) == sorted(cols["lineno"])   # rows in order of first appearance


# --- runs of near twins: the last-block shortcut (pof_rows.c, same_as_last) -------------------
DIGITS = [b"1", b"7", b"12", b"99", b"100", b"1234567890", b"12345678901", b"9999999999999999999",
          b"18446744073709551616", b"123456789012345678901", b"0", b"00", b"007"]


@st.composite
def twin_dump(draw):
    """Blocks that mostly repeat the one before with one change: the digits after every
    "ts" (longer, shorter, 20+ digits, none), one byte anywhere, the PFN line's verdict
    (CMA / slab), the PFN line dropped or moved; now and then a fresh block."""
    first = draw(st.one_of(block(), slot_dump()))
    blocks = [first if first.endswith(b"\n\n") else first + b"\n"]
    for _ in range(draw(st.integers(1, 12))):
        prev = blocks[-1]
        edit = draw(st.sampled_from(["digits", "digits", "digits", "same", "byte", "verdict",
                                     "drop_pfn", "fresh"]))
        if edit == "digits":
            runs = len(re.findall(rb"ts(\s*)\d*", prev))
            new = iter([draw(st.sampled_from(DIGITS)) for _ in range(runs)])
            cur = re.sub(rb"ts(\s*)\d*", lambda m: b"ts" + m.group(1) + next(new), prev)
        elif edit == "same":
            cur = prev
        elif edit == "byte":
            i = draw(st.integers(0, max(0, len(prev) - 3)))
            cur = prev[:i] + draw(st.sampled_from([b"x", b"1", b" ", b"s"])) + prev[i + 1:]
        elif edit == "verdict":
            cur = prev.replace(b"type Movable Flags", b"type CMA Flags").replace(b"(uptodate|lru)", b"(slab)") \
                if draw(st.booleans()) else prev.replace(b"type CMA", b"type Movable").replace(b"slab", b"lru")
        elif edit == "drop_pfn":
            cur = b"".join(line for line in prev.splitlines(True) if not line.startswith(b"PFN"))
        else:
            cur = draw(block())
        blocks.append(cur if cur.endswith(b"\n\n") else cur.rstrip(b"\n") + b"\n\n")
    return b"".join(blocks)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=twin_dump(), strip=st.booleans(), step=st.sampled_from([5, 1 << 20]))
def test_near_twin_blocks_match_reference_rows(data, strip, step):
    """A block that repeats the last one but for its digits takes the last one's key and row
    without hashing (pof_rows.c, same_as_last): the rows of both row modes are the
    reference's, read in one piece or in small chunks (the shortcut must not outlive one)."""
    ref = _pyscan.scan_bytes(data, strip_ts=strip)
    assert_same(_scan.scan_bytes(data, strip_ts=strip), ref)
    assert_same(_scan.scan_stream(io.BufferedReader(Trickle(data, step), 7) if step < 64 else
                                  io.BytesIO(data), strip_ts=strip), ref)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=twin_dump(), args=st.sampled_from(OPTION_SETS + [["--cull=f"], ["--sort=ft"]]))
def test_near_twin_blocks_fold_as_the_reference(data, args):
    """The same runs folded while reading (by text, and by a cull's key): the output is the
    reference's byte for byte."""
    ref = _sort_output(lambda strip: _pyscan.scan_bytes(data, strip_ts=strip), args)
    assert _sort_output(lambda strip: _scan.scan_bytes(data, strip_ts=strip, aggregate=True), args) == ref
    if any(a.startswith("--cull") for a in args):
        assert _key_output(data, args, _key_stream) == ref


TWIN_HEAD = b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), ts %s ns%s\n"
TWIN_PFN = b"PFN 0x%d type Movable Block 0 type %s Flags 0x0(%s)\n"
TWIN_STACK = b" f+0x1/0x2\n g+0x1/0x2 [m]\n"


@pytest.mark.parametrize("second", [
    (b"8", b"", b"Movable", b"", TWIN_STACK),                         # a twin
    (b"12345678901", b"", b"Movable", b"", TWIN_STACK),              # more ts digits
    (b"123456789012345678901", b"", b"Movable", b"", TWIN_STACK),    # 21 digits: no value
    (b"", b"", b"Movable", b"", TWIN_STACK),                         # no digits
    (b"8", b"", b"CMA", b"", TWIN_STACK),                            # the PFN verdict: CMA
    (b"8", b"", b"Movable", b"slab", TWIN_STACK),                    # ... slab
    (b"8", b"", None, b"", TWIN_STACK),                              # no PFN line
    (b"8", b", free_ts 5 ns", b"Movable", b"", TWIN_STACK),          # more after the ts
    (b"8", b"", b"Movable", b"", TWIN_STACK.replace(b"[m]", b"[n]")),  # another stack
    (b"8", b"", b"Movable", b"", TWIN_STACK + b"Slab cache page\n"),  # a trailer line
])
def test_a_block_after_its_near_twin(second):
    """The last-block shortcut (pof_rows.c, same_as_last) against the reference, one change at
    a time after a first block: rows in both row modes, and the folded outputs."""
    def blk(ts, tail, btype, flags, stack, pfn=1):
        text = TWIN_HEAD % (ts, tail)
        if btype is not None:
            text += TWIN_PFN % (pfn, btype, flags)
        return text + stack + b"\n"
    first = blk(b"7", b"", b"Movable", b"", TWIN_STACK)
    data = first + blk(*second, pfn=2) + first + blk(*second, pfn=3)
    for strip in (True, False):
        assert_same(_scan.scan_bytes(data, strip_ts=strip), _pyscan.scan_bytes(data, strip_ts=strip))
    for args in ([], ["-a"], ["--cull=ator"], ["--cull=f"], ["--cull=st"], ["-d"]):
        ref = _sort_output(lambda strip: _pyscan.scan_bytes(data, strip_ts=strip), args)
        assert _sort_output(lambda strip: _scan.scan_bytes(data, strip_ts=strip, aggregate=True), args) == ref
        if args and args[0].startswith("--cull"):
            assert _key_output(data, args, _key_stream) == ref


def test_ts_digits_elsewhere_in_the_same_cut_line():
    """"ts 1 ns" and "ts  1ns" leave the same line once their digits are cut, at different
    places: the shortcut key tells them apart, so -a keeps both lines as they are."""
    head = b"Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (a), "
    data = b"".join(head + ts + b", free_ts 1 ns\n" + TWIN_STACK + b"\n"
                    for ts in (b"ts 1 ns", b"ts  1ns", b"ts 1 ns", b"ts1  ns"))
    for strip in (True, False):
        assert_same(_scan.scan_bytes(data, strip_ts=strip), _pyscan.scan_bytes(data, strip_ts=strip))
    for args in ([], ["-a"]):
        ref = _sort_output(lambda strip: _pyscan.scan_bytes(data, strip_ts=strip), args)
        assert _sort_output(lambda strip: _scan.scan_bytes(data, strip_ts=strip, aggregate=True), args) == ref


# --- folding by a cull's fields (SortOptions.fold_key) --------------------------------------

CULL_SETS = [a for a in OPTION_SETS if any(x.startswith("--cull") for x in a)] + [
    ["--cull=st", "--pid=1,-1"], ["--cull=n", "--module=ext4,vmlinux", "-t"],
    ["--cull=f", "--sort=ft"], ["--cull=st,f", "-r"], ["--cull=f,pid"], ["--cull=ator,mod", "--sort=-ft,st"]]


def _key_output(data, args, scan):
    """The sort's output when the folded scan folds by the options' fold_key."""
    from pageowner_fast.cli._getopt import parse_sort_args
    key = parse_sort_args([*args, "in", "out"]).options.fold_key()
    return _sort_output(lambda strip: scan(data, strip, key), args)


def _key_stream(data, strip, key):
    return _scan.scan_bytes(data, strip_ts=strip, aggregate=True, fold_key=key)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(dump(), slot_dump()), args=st.sampled_from(CULL_SETS))
def test_fold_by_cull_key_gives_same_output(data, args):
    """A cull's input folded by the cull's (and the filters') fields while reading -- one
    row per key, the first block's -- gives the reference's output byte for byte."""
    ref = _sort_output(lambda strip: _pyscan.scan_bytes(data, strip_ts=strip), args)
    assert _key_output(data, args, _key_stream) == ref


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(dump(), slot_dump()), args=st.sampled_from(CULL_SETS),
       threads=st.sampled_from([2, 3, 5]))
def test_fold_by_cull_key_on_threads_gives_same_rows(tmp_path_factory, data, args, threads):
    """Key-folded parts scanned on threads and merged: the rows of one sequential pass."""
    import mmap
    from pageowner_fast.cli._getopt import parse_sort_args
    if not data or b"\r" in data:
        return
    key = parse_sort_args([*args, "in", "out"]).options.fold_key()
    path = tmp_path_factory.mktemp("k") / "d.txt"
    path.write_bytes(data)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        got = _scan.scan_mapped(mm, aggregate=True, threads=threads, fold_key=key)
    assert _resolved(got) == _resolved(_key_stream(data, True, key))


def _resolved(res):
    """A scan's rows with each id replaced by its text, and its stats: what two scans must
    agree on when their tables may also hold values no row names (a merged key fold keeps
    the texts of rows folded into an earlier part's)."""
    from pageowner_fast.dump import Table
    cols, tables, stats = res
    texts = {k: list(Table(v)) for k, v in tables.items()}
    ids = {"header_id": "headers", "stack_id": "stacks", "comm_id": "comms", "module_id": "modules"}
    rows = [{k: (texts[ids[k]][int(cols[k][i])] if k in ids else cols[k][i].item()) for k in cols}
            for i in range(len(cols["count"]))]
    return rows, stats


def test_fold_by_cull_key_keeps_one_row_per_key_and_exact_sums():
    """Blocks of 3 stacks, 2 orders and many ts/free_ts values fold to one row per (stack,
    order): its count and pages are the blocks', its fields and text the first block's."""
    stacks = [b" a+0x1/0x2\n", b" b+0x1/0x2\n", b" c+0x1/0x2\n"]
    blocks, want = [], {}
    for i in range(60):
        order, s = i % 2, stacks[i % 3]
        blocks.append(b"Page allocated via order %d, mask 0x1(X), pid %d, tgid %d (p%d), "
                      b"ts %d ns, free_ts %d ns\nPFN 0x%x type Movable Block %d type Movable "
                      b"Flags 0x0()\n%s\n" % (order, i, i, i % 4, 1000 + i, 50 + 7 * i, i, i, s))
        n, p, first = want.get((s, order), (0, 0, i))
        want[(s, order)] = (n + 1, p + (1 << order), first)
    cols, tables, _ = _scan.scan_bytes(b"".join(blocks), aggregate=True, fold_key=["stacktrace"])
    assert len(cols["count"]) == len(want) == 6
    stacks_t = _table_values(tables["stacks"])
    for r in range(6):
        key = (stacks_t[cols["stack_id"][r]], int(cols["order"][r]))
        n, p, first = want[key]
        assert (int(cols["count"][r]), int(cols["pages"][r])) == (n, p)
        assert int(cols["pid"][r]) == first and int(cols["pfn"][r]) == first
        assert int(cols["free_ts_ns"][r]) == 50 + 7 * first
    headers = _table_values(tables["headers"])
    assert headers[cols["header_id"][0]].endswith(b"ts  ns, free_ts 50 ns\n")


def _table_values(packed):
    arena, offs = packed[0], packed[1]
    return [bytes(arena[offs[i]:offs[i + 1]]) for i in range(len(offs) - 1)]
