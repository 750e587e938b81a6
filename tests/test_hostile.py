"""Hostile input for the engines (issue 16, engine part): file objects that break their
contract, page sums that would wrap, numbers of any length, adversarial lines, and the
VMALLOC edge case of issue 11 -- each a clear result or a clear error, never a crash."""
import io
import mmap

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pageowner_fast as pf
from pageowner_fast import _pyscan
from pageowner_fast.exceptions import InputError

_scan = pytest.importorskip("pageowner_fast._scan")

BLOCK = (b"Page allocated via order 0, mask 0x112cca(GFP_HIGHUSER_MOVABLE), pid 834, tgid 834 "
         b"(systemd-journal), ts %d ns\nPFN 0x10a3f type Movable Block 133 type Movable Flags "
         b"0x17ffffc0020838(uptodate|lru)\n post_alloc_hook+0xca/0xd0\n get_page_from_freelist+0x5b2/0x1390\n\n")
DUMP = b"".join(BLOCK % i for i in range(40000))          # ~9 MB, several reads


def same(a, b):
    """Two scan results are equal: columns, tables and stats."""
    ca, ta, sa = a
    cb, tb, sb = b
    assert ca.keys() == cb.keys()
    for k in ca:
        assert ca[k].dtype == cb[k].dtype and np.array_equal(ca[k], cb[k]), k
    from pageowner_fast.dump import Table
    assert {k: list(Table(v)) for k, v in ta.items()} == {k: list(Table(v)) for k, v in tb.items()}
    assert sa == sb


# --- file objects that break their contract ----------------------------------------------------

class Seekable:
    """A seekable file-like object over `data`, without readinto."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def read(self, n=-1):
        out = self.data[self.pos:self.pos + (n if n >= 0 else len(self.data))]
        self.pos += len(out)
        return out

    def seekable(self):
        return True

    def seek(self, pos, whence=0):
        self.pos = pos
        return pos

    def tell(self):
        return self.pos


class GreedyRead(Seekable):
    """Seekable, no readinto, and read(n) ignores n: hands out 6 MiB at once (the heap
    overflow of issue 16: the whole chunk was copied into a 4 MiB buffer)."""

    name = "greedy.txt"

    def __init__(self, data, piece=6 << 20):
        super().__init__(data)
        self.piece = piece

    def read(self, n=-1):
        return super().read(self.piece)


class ReadReturns(GreedyRead):
    """read() returns `kind` of object."""

    def __init__(self, data, kind):
        super().__init__(data, 1 << 20)
        self.kind = kind

    def read(self, n=-1):
        return self.kind(super().read(n))


class Readinto(Seekable):
    """readinto() that reports `report(len(b), n)` after filling n bytes (read() is there
    for pf.load()'s look at the first bytes)."""

    name = "lying.txt"

    def __init__(self, data, report):
        super().__init__(data)
        self.report = report

    def readinto(self, b):
        n = min(len(b), len(self.data) - self.pos)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return self.report(len(b), n) if n else 0


def test_read_ignoring_its_size_is_copied_in_pieces():
    got = _scan.scan_stream(GreedyRead(DUMP), aggregate=True)
    same(got, _scan.scan_bytes(DUMP, aggregate=True))
    assert got[2]["blocks"] == 40000


def test_read_ignoring_its_size_through_load():
    """pf.load() with such an object (seekable, so it reaches the engine as it is)."""
    d = pf.load(GreedyRead(DUMP, piece=9 << 20))
    assert d.nblocks == 40000 and len(d) == 40000


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_read_may_return_any_bytes_like_object(kind):
    same(_scan.scan_stream(ReadReturns(DUMP, kind)), _scan.scan_bytes(DUMP))


@pytest.mark.parametrize("kind,match", [
    (lambda b: b.decode("latin-1"), "read\\(\\) returned str, not bytes \\(a file opened in text mode\\?\\)"),
    (lambda b: len(b), "read\\(\\) returned int, not bytes"),
])
def test_read_returning_no_bytes_is_an_error(kind, match):
    with pytest.raises(InputError, match="greedy.txt: " + match):
        _scan.scan_stream(ReadReturns(DUMP, kind))


@pytest.mark.parametrize("report,match", [
    (lambda size, n: size + 1, r"lying.txt: readinto\(\) reported 1048577 bytes read into a buffer of 1048576"),
    (lambda size, n: 1 << 40, r"readinto\(\) reported 1099511627776 bytes"),
    (lambda size, n: -1, r"readinto\(\) reported -1 bytes"),
    (lambda size, n: None, r"readinto\(\) returned None"),
    (lambda size, n: "7", r"readinto\(\) returned str, not a byte count"),
])
def test_readinto_reporting_nonsense_is_an_error(report, match):
    with pytest.raises(InputError, match=match):
        _scan.scan_stream(Readinto(DUMP, report))


def test_readinto_reporting_nonsense_through_load():
    if pf.engine != "cython":
        pytest.skip("the pure-Python engine reads with read(), not readinto()")
    with pytest.raises(InputError, match=r"readinto\(\) reported"):
        pf.load(Readinto(DUMP, lambda size, n: size + 1))


def test_unnamed_object_is_described_by_its_type():
    class Anon(Readinto):
        name = 3        # a file descriptor number, not a name
    with pytest.raises(InputError, match=r"^<Anon object>: readinto"):
        _scan.scan_stream(Anon(DUMP, lambda size, n: size + 1))


# --- page sums that would wrap -----------------------------------------------------------------

ORDER62 = b"Page allocated via order 62, mask 0x0(), pid 1, tgid 1 (a), ts %d ns\n f+0x1/0x2\n\n"


@pytest.mark.parametrize("threads", [1, 2])
def test_folded_page_sums_are_clamped_and_counted(tmp_path, threads):
    """Four identical order-62 blocks: 4 * 2**62 wrapped to 0 ("4 times, 0 pages"); now the
    sum stops at 2**63-1 and stats["pages_overflow"] counts the row, once."""
    data = b"".join(ORDER62 % i for i in range(4)) + b"".join(ORDER62.replace(b"f+", b"g+") % 9
                                                              for _ in range(2))
    cols, _, stats = _scan.scan_bytes(data, aggregate=True)
    assert cols["count"].tolist() == [4, 2]
    assert cols["pages"].tolist() == [2**63 - 1, 2**63 - 1]   # 2 * 2**62 = 2**63 wraps too
    assert stats["pages_overflow"] == 2
    path = tmp_path / "d.txt"
    path.write_bytes(data * 200)     # long enough to be cut into parts
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        cols, _, stats = _scan.scan_mapped(mm, aggregate=True, threads=threads)
    assert cols["count"].tolist() == [800, 400]
    assert cols["pages"].tolist() == [2**63 - 1, 2**63 - 1]
    assert stats["pages_overflow"] == 2


def test_rows_per_block_never_overflow():
    data = b"".join(ORDER62 % i for i in range(4))
    for got in (_scan.scan_bytes(data), _pyscan.scan_bytes(data)):
        assert got[0]["pages"].tolist() == [2**62] * 4
        assert got[2]["pages_overflow"] == 0


# --- numbers of any length ---------------------------------------------------------------------

digits = st.one_of(
    st.integers(0, 2**70).map(str),
    st.tuples(st.integers(0, 60), st.integers(0, 2**66)).map(lambda z: "0" * z[0] + str(z[1])),
)
hexdigits = st.tuples(st.integers(0, 40), st.integers(0, 2**70)).map(lambda z: "0" * z[0] + format(z[1], "x"))


@settings(max_examples=300, deadline=None)
@given(pfn=st.one_of(digits, hexdigits.map(lambda h: "0x" + h)), order=digits, pid=digits,
       ts=digits, mask=hexdigits)
def test_numbers_of_any_length_parse_alike(pfn, order, pid, ts, mask):
    """Both engines read every number alike: header fields by page_owner_sort's FIELD_BUFF
    rule (a capture of 25+ characters fails, leading zeros count), the PFN and the gfp mask
    -- our own columns -- by value (leading zeros ignored; -1 / bad when it does not fit)."""
    data = (f"Page allocated via order {order}, mask 0x{mask}(X), pid {pid}, tgid 1 (a), ts {ts} ns\n"
            f"PFN {pfn} type Movable Block 1 type Movable Flags 0x0()\n f+0x1/0x2\n\n").encode()
    same(_scan.scan_bytes(data), _pyscan.scan_bytes(data))
    cols = _pyscan.scan_bytes(data)[0]
    base = 16 if pfn.startswith("0x") else 10
    value = int(pfn, base)
    assert cols["pfn"][0] == (value if value < 2**63 else -1)
    m = int(mask, 16)
    assert cols["gfp_mask"][0] == (m if m < 2**64 else 0)
    assert bool(cols["bad"][0] & 4) == (len(pid) >= 25 or int(pid) >= 2**63)


def test_pfn_with_42_digits():
    """The case of issue 16: 41 leading zeros and a 7 (C said 7, Python -1)."""
    data = b"Page allocated via order 0, pid 1,\nPFN " + b"0" * 41 + b"7 type Movable\n f\n\n"
    for engine in (_scan, _pyscan):
        assert engine.scan_bytes(data)[0]["pfn"].tolist() == [7]


# --- adversarial lines: right answers too ------------------------------------------------------

SHAPES = [b"tgid (", b"tgid ()", b"(", b")", b"),", b"ts ", b" ", b"+0x", b"+0x1/0x", b"[", b"PFN",
          b"0123456789", b"mask 0x", b"__vmalloc_node_range alloc_pages", b"free_ts "]


@pytest.mark.parametrize("unit", SHAPES, ids=lambda u: u.decode())
def test_adversarial_lines_scan_alike(unit):
    """A 64 KiB line of each shape, as a header line and as a stack line (with a few
    prefixes that make the matchers work hardest): both engines agree."""
    line = unit * (65536 // len(unit))
    for prefix in (b"", b"tgid 1 (", b"ts", b"+0x1/0x2 "):
        data = (b"Page allocated via order 0, " + prefix + line + b"\n f\n\n" +
                b"Page allocated via order 0, pid 1,\n" + prefix + line + b"\n\n")
        for strip in (True, False):
            same(_scan.scan_bytes(data, strip_ts=strip), _pyscan.scan_bytes(data, strip_ts=strip))


def test_huge_block_streams_in_chunks():
    """One 24 MiB block read 1 MiB at a time: the splitter resumes inside it (it is not
    looked at again per chunk) and the result is that of one piece."""
    stack = b" frame+0x1/0x2\n" * (24 << 16)
    data = b"Page allocated via order 3, pid 1, tgid 1 (a), ts 5 ns\n" + stack + b"\n" + BLOCK % 1

    class Chunks(io.RawIOBase):
        def __init__(self):
            self.pos = 0

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), 1 << 20, len(data) - self.pos)
            b[:n] = data[self.pos:self.pos + n]
            self.pos += n
            return n
    got = _scan.scan_stream(Chunks())
    same(got, _scan.scan_bytes(data))
    assert got[2]["blocks"] == 2 and got[0]["order"].tolist() == [3, 0]


# --- VMALLOC on the first two lines (issue 11, edge case a) ------------------------------------

@pytest.mark.parametrize("text,vmalloc", [
    # the C tool walks back before its buffer here (undefined; it never says VMALLOC)
    (b"Page allocated via order 0, pid 1, tgid 1 (alloc_pages), ts 5 ns\n __vmalloc_node_range+0x1/0x2\n", False),
    (b"Page allocated via order 0, pid 1\n alloc_pages_bulk __vmalloc_node_range+0x1/0x2\n", False),
    (b"Page allocated via order 0 alloc_pages __vmalloc_node_range\n x\n", False),
    # below the first stack line: the frame above must mention alloc_pages
    (b"Page allocated via order 0, pid 1\n x\n __alloc_pages_bulk+0x1/0x2\n __vmalloc_node_range_noprof+0x1/0x2\n", True),
    (b"Page allocated via order 0 alloc_pages, pid 1\n x\n __vmalloc_node_range+0x1/0x2\n", False),
    (b"Page allocated via order 0, pid 1\n a\n b alloc_pages_bulk __vmalloc_node_range+0x1/0x2\n", True),
])
def test_vmalloc_only_below_the_first_stack_line(text, vmalloc):
    for engine in (_scan, _pyscan):
        for aggregate in ((False, True) if engine is _scan else (False,)):
            cols = engine.scan_bytes(text + b"\n", aggregate=aggregate)[0] if aggregate else \
                engine.scan_bytes(text + b"\n")[0]
            assert cols["allocator"].tolist() == [8 if vmalloc else 16], (engine.__name__, aggregate)


def test_scanner_after_its_result_is_an_error():
    """result() hands the C buffers to NumPy: the Scanner cannot go on (no crash)."""
    s = _scan.Scanner()
    s.feed_stream(io.BytesIO(BLOCK % 1))
    assert s.result()[2]["blocks"] == 1
    with pytest.raises(RuntimeError, match="taken already"):
        s.result()
    with pytest.raises(RuntimeError, match="taken already"):
        s.feed_stream(io.BytesIO(BLOCK % 2))


@pytest.mark.parametrize("piece", [6 << 20, 1])
def test_unseekable_read_ignoring_its_size_through_load(piece):
    """pf.load() wraps an unseekable object without readinto in a buffered reader; a read()
    that returns more than asked for is kept for the next call, not an error."""
    class Unseekable(GreedyRead):
        def seekable(self):
            return False
    data = DUMP[:300_000]
    d, ref = pf.load(Unseekable(data, piece=piece)), pf.load(io.BytesIO(data))
    assert d.nblocks == ref.nblocks == 1145 and len(d) == len(ref)


def test_unseekable_text_stream_through_load():
    class Text(GreedyRead):
        def seekable(self):
            return False

        def read(self, n=-1):
            return super().read(n).decode("latin-1")
    with pytest.raises(InputError, match="read\\(\\) returned str"):
        pf.load(Text(DUMP[:1000]))
