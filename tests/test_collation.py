"""Issue 12: the collation of many texts -- templated header tables, packed sort keys, the
radix sorts and the grouping helper -- against plain NumPy and Python references."""
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pageowner_fast import sortcull
from pageowner_fast._table import NATIVE_RANKS_MIN, Table, rank_together

_scan = pytest.importorskip("pageowner_fast._scan")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 300), seed=st.integers(0, 2**32 - 1),
       kinds=st.lists(st.sampled_from(["small", "neg", "wide", "u64", "const", "i8"]), min_size=1,
                      max_size=4))
def test_packed_keys_sort_as_lexsort(monkeypatch, n, seed, kinds):
    """Keys packed into one uint64 and radix-sorted give np.lexsort's stable order; keys
    that need more than 64 bits together fall back to it."""
    monkeypatch.setattr(sortcull, "PACK_MIN_ROWS", 0)
    rng = np.random.default_rng(seed)
    keys = []
    for k in kinds:
        if k == "small":
            keys.append(rng.integers(0, 5, n))
        elif k == "neg":
            keys.append(rng.integers(-3, 3, n).astype(np.int32))
        elif k == "wide":
            keys.append(rng.integers(-2**62, 2**62, n))
        elif k == "u64":
            keys.append(rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True))
        elif k == "i8":
            keys.append(rng.integers(-128, 127, n).astype(np.int8))
        else:
            keys.append(np.full(n, 7))
    want = np.lexsort(keys[::-1]) if n else np.zeros(0, dtype=np.int64)
    assert sortcull._lexsort(keys).tolist() == want.tolist()


@settings(max_examples=200, deadline=None)
@given(vals=st.lists(st.integers(0, 2**64 - 1), max_size=200), small=st.booleans())
def test_argsort_u64_is_stable(vals, small):
    keys = np.array([v % 7 if small else v for v in vals], dtype=np.uint64)
    assert _scan.argsort_u64(keys).tolist() == np.argsort(keys, kind="stable").tolist()


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("shape", ["random", "ts", "few", "outliers", "one", "sorted", "reversed"])
def test_argsort_u64_of_many_keys(shape, threads):
    """From 65,536 keys the argsort works in buckets, sorted on `threads` threads: still
    NumPy's stable order, whatever the keys' spread (outliers put nearly every key in one
    bucket; a ts-like band puts a few hundred in each)."""
    rng = np.random.default_rng(len(shape) * 7 + threads)
    n = 150_001
    keys = {"random": lambda: rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True),
            "ts": lambda: (rng.integers(0, 2**43, n) + 10**12).astype(np.uint64),
            "few": lambda: rng.integers(0, 5, n).astype(np.uint64),
            "outliers": lambda: np.concatenate([np.array([2**64 - 1], np.uint64),
                                                rng.integers(10**9, 10**9 + 500, n - 2).astype(np.uint64),
                                                np.zeros(1, np.uint64)]),
            "one": lambda: np.full(n, 12345, dtype=np.uint64),
            "sorted": lambda: np.arange(n, dtype=np.uint64) * 3,
            "reversed": lambda: np.arange(n, dtype=np.uint64)[::-1].copy()}[shape]()
    assert np.array_equal(_scan.argsort_u64(keys, threads=threads), np.argsort(keys, kind="stable"))


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.integers(0, 6), max_size=200), seed=st.integers(0, 1000))
def test_group_u64_as_numpy(keys, seed):
    rng = np.random.default_rng(seed)
    k = np.array(keys, dtype=np.uint64)
    count = rng.integers(1, 9, len(k))
    pages = rng.integers(0, 2**40, len(k))
    first, cnt, pg = _scan.group_u64(k, count, pages)
    order = np.argsort(k, kind="stable")
    starts = np.flatnonzero(np.r_[True, k[order][1:] != k[order][:-1]]) if len(k) else []
    assert first.tolist() == order[starts].tolist()
    if len(k):
        assert cnt.tolist() == np.add.reduceat(count[order], starts).tolist()
        assert pg.tolist() == np.add.reduceat(pages[order], starts).tolist()


def test_group_u64_says_when_a_page_sum_passes_int64():
    k = np.zeros(2, dtype=np.uint64)
    assert _scan.group_u64(k, np.ones(2, dtype=np.int64),
                           np.array([2**62, 2**62 - 1], dtype=np.int64)) is not None
    assert _scan.group_u64(k, np.ones(2, dtype=np.int64),
                           np.array([2**62, 2**62], dtype=np.int64)) is None


def _templated_headers():
    blocks = b"".join(
        b"Page allocated via order 0, mask 0x1(X), pid %d, tgid 1 (a), ts %d ns, free_ts %s ns\n"
        b" f+0x1/0x2\n\n" % (i % 3, i, v)
        for i, v in enumerate([b"12", b"0", b"120", b"007", b"13", b"12", b"", b"99999"]))
    cols, tables, _ = _scan.scan_bytes(blocks, aggregate=True)
    assert isinstance(tables["headers"], dict)
    return tables["headers"]


def test_templated_table_reads_like_a_list():
    t = Table(_templated_headers())
    items = [t[i] for i in range(len(t))]
    assert items == sorted(set(items))               # ids in text order, unique
    assert list(t) == items and t[-1] == items[-1] and t[1:3] == items[1:3]
    assert t.ranks().tolist() == list(range(len(t)))
    assert t.rank_of(np.array([2, 0], dtype=np.int32)).tolist() == [2, 0]
    for i, v in enumerate(items):
        assert t.id_of(v) == i
    assert t.id_of(b"nothing") == -1 and t.id_of(b"") == -1
    arena, offs = t.packed()
    assert [bytes(arena[offs[i]:offs[i + 1]]) for i in range(len(t))] == items
    assert t.text(0) == items[0].decode()
    assert t.take([2, 0, 2]) == [items[2], items[0], items[2]] and t.take([]) == []
    with pytest.raises(IndexError):
        t[len(t)]


@pytest.mark.parametrize("values", [[b"a", b"", b"bc"], [b"a", b"bc"], [b"", b"a"], []])
def test_packed_table_finds_the_empty_value_without_making_its_objects(values):
    lens = np.array([len(v) for v in values], dtype=np.int64)
    offs = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    t = Table((b"".join(values), offs))
    want = values.index(b"") if b"" in values else -1
    assert t.id_of(b"") == want
    assert t._list is None and t._index is None     # no list of objects, no dict made
    for i, v in enumerate(values):                  # the index made later agrees
        assert t.id_of(v) == i


def _packed(values):
    offs = np.concatenate([[0], np.cumsum([len(v) for v in values])]).astype(np.int64)
    return Table((b"".join(values), offs))


def test_rank_together_ranks_each_table_as_alone():
    rng = np.random.default_rng(5)
    n = NATIVE_RANKS_MIN + 50
    vals = [[b" f+0x%x/0x20\n" % v * 30 + b"%d" % i for i, v in enumerate(rng.integers(0, 9, n))],
            [bytes(rng.integers(97, 100, 40)) for _ in range(n)],
            [b"x%d" % i for i in range(10)]]       # too few for the compiled ranking: left
    tables = [_packed(v) for v in vals]
    rank_together(tables, 2)
    assert [t._ranks is not None for t in tables] == [True, True, False]
    for t, v in zip(tables, vals):
        assert t.ranks().tolist() == _packed(v).ranks().tolist()
        assert [v[i] for i in np.argsort(t.ranks())] == sorted(v)
    alone = [_packed(v) for v in vals]
    rank_together(alone, 1)                        # one thread: nothing done ahead
    assert all(t._ranks is None for t in alone)


def test_templated_table_without_the_compiled_packer():
    h = dict(_templated_headers())
    ref = [Table(h)[i] for i in range(len(Table(h)))]
    del h["packer"]
    t = Table(h)
    assert list(t) == ref
    assert [bytes(t.packed()[0][t.packed()[1][i]:t.packed()[1][i + 1]]) for i in range(len(t))] == ref


def test_sort_consume_gives_the_same_groups():
    rng = np.random.default_rng(1)
    g = sortcull.Groups(np.arange(50), rng.integers(1, 4, 50), rng.integers(0, 9, 50))

    class D:
        pass
    want = sortcull.sort(D(), g, [("times", -1)])
    copy = sortcull.Groups(g.rep.copy(), g.count.copy(), g.pages.copy())
    got = sortcull.sort(D(), copy, [("times", -1)], consume=True)
    assert got is copy
    assert got.rep.tolist() == want.rep.tolist() and got.pages.tolist() == want.pages.tolist()


@pytest.mark.parametrize("ties_by_ranks", [20_000, 0])
def test_no_sort_keys_leaves_lazy_groups_in_text_order(monkeypatch, ties_by_ranks):
    """sort() with no keys returns the cull's order, the texts' order, also when the cull
    left it pending (many distinct header lines: groups by id)."""
    from pageowner_fast import pipeline
    from pageowner_fast.dump import load
    rng = np.random.default_rng(3)
    blocks = []
    for i in range(60):
        ts = int(rng.integers(0, 40))
        blocks.append(f"Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid {i % 7}, tgid {i % 7} "
                      f"(c{i % 5}), ts {ts} ns\nPFN 0x{i:x} type Unmovable Block 1 type Unmovable "
                      f"Flags 0x0()\n f{i % 3}+0x1/0x2\n\n")
    data = "".join(blocks).encode()
    dump = load(io.BytesIO(data), strip_ts=False)
    opts = sortcull.SortOptions(sort=[])
    want = pipeline.sort_dump(dump, opts)
    monkeypatch.setattr(sortcull, "LAZY_TEXT_RANKS", 0)
    monkeypatch.setattr(sortcull, "TIES_BY_RANKS", ties_by_ranks)
    got = pipeline.sort_dump(dump, opts)
    texts = [dump.headers[int(dump.header_id[r])] + dump.stacks[int(dump.stack_id[r])]
             for r in got.groups.rep]
    assert texts == sorted(texts)
    assert got.groups.rep.tolist() == want.groups.rep.tolist()


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.binary(max_size=40) | st.sampled_from([b"", b"\x00", b"a", b"a\x00", b"ab", b"\xff"])
                      | st.lists(st.sampled_from([b" f+0x1/0x2\n", b" f+0x1/0x3\n", b" g+0x10/0x20\n",
                                                  b"a", b"b" * 9]), max_size=12).map(b"".join),
                      max_size=300),
       prefix=st.binary(max_size=300))
def test_rank_texts_is_pythons_bytes_order(texts, prefix):
    """The native ranks of packed texts (long shared prefixes, stacks of a few frames, NUL
    bytes, empty texts, one a prefix of another, equal texts in index order) against
    Python's stable sort of the bytes."""
    items = [prefix + t for t in texts]
    offs = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum([len(v) for v in items], out=offs[1:])
    ranks = _scan.rank_texts(b"".join(items), offs)
    want = sorted(range(len(items)), key=items.__getitem__)
    assert [int(x) for x in np.argsort(ranks)] == want


def test_rank_texts_checks_its_offsets():
    with pytest.raises(ValueError):
        _scan.rank_texts(b"abc", np.array([0, 5], dtype=np.int64))
    with pytest.raises(ValueError):
        _scan.rank_texts(b"abc", np.array([0, 2, 1], dtype=np.int64))


def test_table_ranks_native_and_python_agree(monkeypatch):
    from pageowner_fast import _table
    rng = np.random.default_rng(5)
    vals = list({bytes(rng.integers(0, 4, rng.integers(0, 12)).astype(np.uint8)) for _ in range(2000)})
    native = Table(vals).ranks()
    monkeypatch.setattr(_table, "_rank_texts", lambda: None)
    assert native.tolist() == Table(vals).ranks().tolist()
