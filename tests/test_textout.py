"""One text writer: the C writer of the default layout (_native/pof_textout.c, through
_scan.TextRecords and _textwrite) against the pure-Python one (compat.iter_text), on random
records -- so the two stay byte-identical by test, not by hand. Both ways of writing it
(in order through write(), and in parts at once with pwrite) give the same bytes."""
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pageowner_fast import _textwrite, compat

_scan = pytest.importorskip("pageowner_fast._scan")

texts = st.lists(st.binary(max_size=40) | st.sampled_from([b"", b"Page allocated via order 0\n",
                                                            b" f+0x1/0x2\n", b"\x00\xff\n"]),
                 min_size=1, max_size=6)
int64 = st.integers(-2**63, 2**63 - 1) | st.sampled_from([0, 1, -1, 2**63 - 1, -2**63])


def packed(values):
    offs = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum([len(v) for v in values], out=offs[1:])
    return np.frombuffer(b"".join(values), dtype=np.uint8).copy(), offs


def text_records(headers, stacks, count, pages, alloc, hid, sid):
    return _scan.TextRecords(*packed(headers), *packed(stacks),
                             np.asarray(count, dtype=np.int64), np.asarray(pages, dtype=np.int64),
                             np.asarray(alloc, dtype=np.uint8), np.asarray(hid, dtype=np.int32),
                             np.asarray(sid, dtype=np.int32))


def c_writer(*rec, chunk=1 << 20):
    out = []
    _textwrite.write_records(lambda mv: out.append(bytes(mv)), text_records(*rec), chunk)
    return out


def parts_writer(*rec, parts, chunk=1 << 20, offset=0):
    """pwrite_records into a bytearray 'file'; also returns the end position it reports."""
    f = bytearray(b"?" * offset)
    calls = []

    def pwrite(mv, pos):
        calls.append(pos)
        if len(f) < pos + len(mv):
            f.extend(b"\0" * (pos + len(mv) - len(f)))
        f[pos:pos + len(mv)] = mv
    end = _textwrite.pwrite_records(pwrite, offset, text_records(*rec), parts, chunk)
    assert len(set(calls)) == len(calls)        # no position written twice
    return bytes(f[offset:]), end


def python_writer(headers, stacks, count, pages, alloc, hid, sid):
    n = len(count)
    dump = SimpleNamespace(headers=headers, stacks=stacks, allocator=np.asarray(alloc, dtype=np.uint8),
                           header_id=np.asarray(hid, dtype=np.int32), stack_id=np.asarray(sid, dtype=np.int32))
    groups = SimpleNamespace(rep=np.arange(n), count=np.asarray(count, dtype=np.int64),
                             pages=np.asarray(pages, dtype=np.int64))
    return b"".join(compat.iter_text(dump, groups, SimpleNamespace(cull=frozenset())))


@st.composite
def records(draw):
    headers, stacks = draw(texts), draw(texts)
    n = draw(st.integers(0, 12))
    return (headers, stacks, draw(st.lists(int64, min_size=n, max_size=n)),
            draw(st.lists(int64, min_size=n, max_size=n)),
            draw(st.lists(st.integers(0, 31), min_size=n, max_size=n)),
            draw(st.lists(st.integers(0, len(headers) - 1), min_size=n, max_size=n)),
            draw(st.lists(st.integers(0, len(stacks) - 1), min_size=n, max_size=n)))


@settings(max_examples=500, deadline=None)
@given(rec=records(), chunk=st.sampled_from([1, 7, 100, 1 << 20]))
def test_c_writer_equals_python_writer(rec, chunk):
    out = c_writer(*rec, chunk=chunk)
    assert b"".join(out) == python_writer(*rec)
    assert all(out)                             # no empty writes


@settings(max_examples=300, deadline=None)
@given(rec=records(), parts=st.integers(1, 5), chunk=st.sampled_from([1, 7, 100, 1 << 20]),
       offset=st.sampled_from([0, 3]))
def test_parts_at_once_equal_the_python_writer(rec, parts, chunk, offset):
    got, end = parts_writer(*rec, parts=parts, chunk=chunk, offset=offset)
    assert got == python_writer(*rec)
    assert end == offset + len(got)


@given(rec=records())
@settings(max_examples=200, deadline=None)
def test_size_of_every_run_is_its_written_length(rec):
    recs = text_records(*rec)
    n = len(recs)
    for lo in range(n + 1):
        for hi in range(lo, n + 1):
            w, nxt, need = recs.fill(bytearray(1 << 16), lo, hi, 1 << 16)
            assert (nxt, need) == (hi, 0)
            assert recs.size(lo, hi) == w


def test_templated_headers_by_both_writers():
    """Header tables of templates (-a: the ts digits put back in) through both writers."""
    tpl = [b"Page allocated via order 0, ts  ns\n", b"no digits\n"]
    q = np.array([tpl[0].index(b"ts ") + 3, -1], np.int32)
    etpl = np.array([0, 0, 1, 0], np.int32)
    edn = np.array([3, 1, -1, 0], np.int8)
    edv = np.array([123, 7, 0, 0], np.uint64)
    want = [b"Page allocated via order 0, ts 123 ns\n", b"Page allocated via order 0, ts 7 ns\n",
            b"no digits\n", b"Page allocated via order 0, ts  ns\n"]
    n = 60
    hid = [i % 4 for i in range(n)]
    rec = (want, [b" s\n"], list(range(n)), [1] * n, [16] * n, hid, [0] * n)
    recs = _scan.TextRecords(*packed(tpl), *packed([b" s\n"]), *(np.asarray(a, dtype=t) for a, t in
                             zip(rec[2:], (np.int64, np.int64, np.uint8, np.int32, np.int32))),
                             templated=(q, etpl, edn, edv))
    seq = []
    _textwrite.write_records(lambda mv: seq.append(bytes(mv)), recs, 50)
    f = bytearray(recs.size(0, n))
    end = _textwrite.pwrite_records(lambda mv, pos: f.__setitem__(slice(pos, pos + len(mv)), mv),
                                    0, recs, 3, 50)
    assert b"".join(seq) == bytes(f) == python_writer(*rec)
    assert end == len(f)


def test_record_longer_than_the_buffer():
    big = b"h" * (3 << 20) + b"\n"
    rec = ([big, b"x\n"], [b" s\n"], [2, 1], [4, 1], [16, 2], [0, 1], [0, 0])
    out = c_writer(*rec, chunk=1 << 10)
    assert b"".join(out) == python_writer(*rec)
    assert parts_writer(*rec, parts=2, chunk=1 << 10)[0] == python_writer(*rec)


@pytest.mark.parametrize("hid,sid", [([2], [0]), ([-1], [0]), ([0], [5])])
def test_ids_outside_their_tables_are_an_error(hid, sid):
    with pytest.raises(ValueError, match="record 0: a header or stack id"):
        c_writer([b"a\n", b"b\n"], [b"s\n"], [1], [1], [16], hid, sid)
    with pytest.raises(ValueError, match="record 0: a header or stack id"):
        parts_writer([b"a\n", b"b\n"], [b"s\n"], [1], [1], [16], hid, sid, parts=2)


def test_broken_offsets_are_an_error():
    arena, offs = packed([b"a\n", b"b\n"])
    offs[2] = 99            # past the arena
    with pytest.raises(ValueError, match="outside its table"):
        _textwrite.write_records(lambda mv: None, _scan.TextRecords(
            arena, offs, *packed([b"s\n"]), np.ones(1, np.int64), np.ones(1, np.int64),
            np.full(1, 16, np.uint8), np.ones(1, np.int32), np.zeros(1, np.int32)))


def test_lengths_must_agree():
    with pytest.raises(ValueError, match="same length"):
        _scan.TextRecords(*packed([b"a\n"]), *packed([b"s\n"]), np.ones(2, np.int64),
                          np.ones(1, np.int64), np.full(1, 16, np.uint8), np.zeros(1, np.int32),
                          np.zeros(1, np.int32))


# --- the write-behind thread (two buffers: one written while the next is made) ---------------

def _many(n=400):
    headers = [b"Page allocated via order %d\n" % i for i in range(7)]
    stacks = [b" f+0x%x/0x2\n" % i for i in range(5)]
    return (headers, stacks, list(range(n)), [2 * i for i in range(n)], [16] * n,
            [i % 7 for i in range(n)], [i % 5 for i in range(n)])


def test_a_slow_write_sees_each_buffer_whole():
    """write() is still copying one buffer while the next chunk is made: the bytes it reads
    must not change under it (a view is handed over, and its buffer reused only after)."""
    import time
    rec = _many()
    seen = []

    def slow(mv):
        first = bytes(mv)
        time.sleep(0.002)
        assert bytes(mv) == first
        seen.append(first)
    _textwrite.write_records(slow, text_records(*rec), chunk=200)
    assert len(seen) > 10
    assert b"".join(seen) == python_writer(*rec)


def test_an_error_of_write_stops_the_writer():
    """write() fails on its third call (a full disk): the writer raises that error, calls
    write() no more and leaves no thread behind."""
    import threading
    rec = _many()
    calls = []

    def failing(mv):
        calls.append(len(mv))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
    before = threading.active_count()
    with pytest.raises(OSError, match="No space left"):
        _textwrite.write_records(failing, text_records(*rec), chunk=200)
    assert len(calls) == 3
    assert threading.active_count() == before


def test_a_bad_record_after_the_first_chunk_is_an_error():
    """A bad id found while the thread writes earlier chunks: the error, and no thread left."""
    import threading
    rec = list(_many())
    rec[5] = rec[5][:-1] + [99]         # the last record's header id is outside the table
    before = threading.active_count()
    with pytest.raises(ValueError, match="record 399: a header or stack id"):
        c_writer(*rec, chunk=200)
    assert threading.active_count() == before


# --- parts at once (pwrite) ---------------------------------------------------------------------

def test_an_error_of_pwrite_stops_every_part():
    """pwrite fails in one part (a full disk): that error is raised once every thread has
    ended, and the other parts stop at their next chunk instead of writing on."""
    import threading
    rec = _many(4000)
    calls = []
    lock = threading.Lock()

    def failing(mv, pos):
        with lock:
            calls.append(pos)
            if len(calls) == 5:
                raise OSError(28, "No space left on device")
    before = threading.active_count()
    with pytest.raises(OSError, match="No space left"):
        _textwrite.pwrite_records(failing, 0, text_records(*rec), 3, chunk=200)
    total = len(b"".join(c_writer(*rec, chunk=200)))
    assert len(calls) < total // 200 // 2         # stopped early, not written to the end
    assert threading.active_count() == before


def test_a_bad_record_in_a_later_part_is_an_error():
    import threading
    rec = list(_many())
    rec[5] = rec[5][:-1] + [99]
    before = threading.active_count()
    with pytest.raises(ValueError, match="record 399: a header or stack id"):
        parts_writer(*rec, parts=3, chunk=200)
    assert threading.active_count() == before


def test_parts_run_on_threads_of_their_own():
    """Each part is written from its own thread (part 0 on the caller's)."""
    import threading
    rec = _many(3000)
    seen = set()

    def pwrite(mv, pos):
        seen.add(threading.current_thread())    # not the ident: an ended thread's is reused
    _textwrite.pwrite_records(pwrite, 0, text_records(*rec), 3, chunk=1000)
    assert len(seen) == 3 and threading.current_thread() in seen


def test_more_parts_than_records():
    rec = _many(2)
    assert parts_writer(*rec, parts=8)[0] == python_writer(*rec)
    assert parts_writer(*_many(0), parts=4) == (b"", 0)


class _FakeRecords:
    """Records of one byte each, whose fill fails at record `bad` (an error found only while
    a helper thread makes its part), or whose size() counts `extra` bytes too many."""

    def __init__(self, n, bad=None, extra=0):
        self.n, self.bad, self.extra = n, bad, extra

    def __len__(self):
        return self.n

    def size(self, lo, hi):
        return hi - lo + self.extra

    def fill(self, buf, lo, hi, target):
        if self.bad is not None and lo <= self.bad < hi:
            raise ValueError(f"record {self.bad}: broken")
        k = min(hi - lo, target)
        buf[:k] = b"x" * k
        return k, lo + k, 0


def test_an_error_while_a_helper_makes_its_part():
    """A record that fails only when its part is made (not when sizes are counted), in the
    last part: that error is raised, every thread has ended."""
    import threading
    before = threading.active_count()
    written = []
    with pytest.raises(ValueError, match="record 2990: broken"):
        _textwrite.pwrite_records(lambda mv, pos: written.append(pos), 0,
                                  _FakeRecords(3000, bad=2990), 3, chunk=10)
    assert threading.active_count() == before
    assert max(written) < 3000


def test_a_part_shorter_than_counted_is_an_internal_error():
    with pytest.raises(RuntimeError, match=r"internal error: part \d of the output wrote 1000 "
                                           "bytes, 1001 counted"):
        _textwrite.pwrite_records(lambda mv, pos: None, 0, _FakeRecords(3000, extra=1), 3)


# --- the output's blocks allocated before the parts are written ---------------------------------

def _fs_type(path):
    """The file system type of `path`, from /proc/self/mountinfo (the longest mount point
    that holds it); None where that cannot be read."""
    import os
    try:
        with open("/proc/self/mountinfo") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    real, best = os.path.realpath(path), (None, -1)
    for line in lines:
        fields = line.split()
        mnt, fstype = fields[4], fields[fields.index("-") + 1]
        if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) > best[1]:
            best = (fstype, len(mnt))
    return best[0]


def test_reserve_gets_the_end_before_any_part_is_written():
    """pwrite_records tells `reserve` where the output will end once the parts' sizes are
    counted, before the first byte is written; the bytes are those of the writer without it."""
    rec = _many(3000)
    events = []
    written = {}

    def pwrite(mv, pos):
        events.append("w")
        written[pos] = bytes(mv)
    end = _textwrite.pwrite_records(pwrite, 7, text_records(*rec), 3, chunk=1000,
                                    reserve=lambda e: events.append(e))
    want = b"".join(c_writer(*rec))
    assert events[0] == end == 7 + len(want)
    assert events.count(end) == 1 and set(events[1:]) == {"w"}
    assert b"".join(written[p] for p in sorted(written)) == want


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="Linux fallocate")
@pytest.mark.parametrize("where", ["tmp", "shm"])
def test_preallocate_only_where_it_pays(tmp_path, where):
    """_output._preallocate allocates a file's blocks on ext4 (size and blocks as asked, the
    bytes zeros) and leaves a file on any other file system as it was (tmpfs: its fallocate
    would zero pages in memory first)."""
    import os
    from pageowner_fast import _output
    d = tmp_path if where == "tmp" else "/dev/shm"
    if not os.path.isdir(d):
        pytest.skip(f"no {d}")
    fstype = _fs_type(d)
    path = os.path.join(d, f"pof-prealloc-{os.getpid()}.bin")
    try:
        with open(path, "wb") as f:
            got = _output._preallocate(f.fileno(), 5 << 20)
        st = os.stat(path)
        if fstype == "ext4":
            assert got and st.st_size == 5 << 20 and st.st_blocks * 512 >= 5 << 20
            with open(path, "rb") as f:
                assert f.read() == bytes(5 << 20)
        else:
            assert not got and st.st_size == 0, fstype
    finally:
        os.unlink(path)


def test_the_sort_reserves_its_output_in_parts(tmp_path, tmp_path_factory, monkeypatch):
    """`sort -a` of many blocks reserves exactly its output's final size once, before writing
    it in parts (two threads) or in order (one); both outputs are the same bytes."""
    from pageowner_fast import _output, pipeline
    from pageowner_fast.cli._getopt import parse_sort_args
    from conftest import generated_dump
    src = generated_dump(tmp_path_factory, "reserve", size=24 << 20, seed=5)
    asked = []
    monkeypatch.setattr(_output, "_preallocate", lambda fd, size: asked.append(size) or False)
    opts = parse_sort_args(["-a", "in", "out"]).options
    pipeline.run(src, tmp_path / "parts.txt", opts, threads=2)
    pipeline.run(src, tmp_path / "one.txt", opts, threads=1)     # in order, reserved alike
    size = (tmp_path / "parts.txt").stat().st_size
    assert size > 16 << 20 and asked == [size, size] and (tmp_path / "parts.txt").read_bytes() == (tmp_path / "one.txt").read_bytes()
