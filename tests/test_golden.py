"""Every golden, real_corpus and real_dumps case: output byte-identical to page_owner_sort."""
import pytest

from conftest import GOLDEN_DIRS, load_cases, read_expected, run_cli

CASES = [c for kind in GOLDEN_DIRS for c in load_cases(kind)]


def test_case_counts():
    # the suite must run every case the references list (148 + 48 + 21)
    counts = {k: len(load_cases(k)) for k in GOLDEN_DIRS}
    assert counts == {"golden": 148, "real_corpus": 48, "real_dumps": 21}


@pytest.mark.parametrize("case", CASES, ids=[f"{c['kind']}/{c['id']}" for c in CASES])
def test_golden_case(case, tmp_path, plain_input, capsys):
    out = tmp_path / "out.txt"
    rc, _, err = run_cli(["sort", *case["args"], plain_input(case["input_path"]), out],
                         capsys=capsys)
    assert rc == 0, err
    expected = read_expected(case["expected_path"])
    got = out.read_bytes()
    if got != expected:
        # show the first differing line, not a 70 MB diff
        gl, el = got.split(b"\n"), expected.split(b"\n")
        for i, (a, b) in enumerate(zip(gl, el)):
            if a != b:
                pytest.fail(f"line {i + 1} differs:\n got: {a[:200]!r}\n exp: {b[:200]!r}")
        pytest.fail(f"lengths differ: {len(gl)} vs {len(el)} lines")


def test_compressed_input_same_as_plain(tmp_path, capsys):
    """The .xz real dump read directly gives the same output as its decompressed text."""
    case = next(c for c in load_cases("real_dumps") if c["id"] == "k6.12_t1__cull-st")
    out = tmp_path / "o.txt"
    rc, _, err = run_cli(["sort", *case["args"], case["input_path"], out], capsys=capsys)
    assert rc == 0, err
    assert out.read_bytes() == read_expected(case["expected_path"])


NO_CULL = [c for c in CASES if not any(a.startswith("--cull") for a in c["args"])
           and c["kind"] != "real_dumps"]


@pytest.mark.parametrize("ties_by_ranks", [20_000, 0], ids=["ties-one-run-at-a-time", "ties-by-ranks"])
@pytest.mark.parametrize("case", NO_CULL, ids=[f"{c['kind']}/{c['id']}" for c in NO_CULL])
def test_lazy_text_order_same_output(case, ties_by_ranks, tmp_path, monkeypatch, capsys):
    """With many distinct texts (-a on a big dump) only sort-key ties are put in text order
    (each run of ties on its own, or, when there are many, by the tables' ranks); forcing
    either path on every case gives the same bytes."""
    from pageowner_fast import sortcull
    monkeypatch.setattr(sortcull, "LAZY_TEXT_RANKS", 0)
    monkeypatch.setattr(sortcull, "TIES_BY_RANKS", ties_by_ranks)
    out = tmp_path / "out.txt"
    rc, _, err = run_cli(["sort", *case["args"], case["input_path"], out], capsys=capsys)
    assert rc == 0, err
    assert out.read_bytes() == read_expected(case["expected_path"])


@pytest.mark.parametrize("case", NO_CULL + [c for c in CASES if c["kind"] == "real_dumps"
                                            and c["args"] == ["-a"]],
                         ids=lambda c: f"{c['kind']}/{c['id']}")
def test_output_in_parts_same_output(case, tmp_path, monkeypatch, capsys):
    """The default layout written in parts at once (pwrite at offsets), forced on every case
    however few its records, with three writer threads: the same bytes."""
    from pageowner_fast import compat
    monkeypatch.setattr(compat, "PARTS_MIN_RECORDS", 0)
    out = tmp_path / "out.txt"
    rc, _, err = run_cli(["sort", "--threads", "3", *case["args"], case["input_path"], out],
                         capsys=capsys)
    assert rc == 0, err
    assert out.read_bytes() == read_expected(case["expected_path"])


@pytest.mark.parametrize("case", CASES, ids=[f"{c['kind']}/{c['id']}" for c in CASES])
def test_prefetched_scan_same_output(case, tmp_path, plain_input, monkeypatch, capsys):
    """The scan started before the sort command is imported (cli/_early.py), forced on every
    case however small: where the command line is one it reads, the scan is started, taken
    over by the command (not wasted: same file, same mode) and the output is the same."""
    from pageowner_fast import _engine
    monkeypatch.setattr(_engine, "PREFETCH_MIN_BYTES", 0)
    started, taken = [], []
    real_prefetch, real_take = _engine.prefetch, _engine._take_prefetch
    monkeypatch.setattr(_engine, "prefetch", lambda *a, **k: started.append(real_prefetch(*a, **k))
                        or started[-1])
    monkeypatch.setattr(_engine, "_take_prefetch", lambda *a: taken.append(real_take(*a))
                        or taken[-1])
    out = tmp_path / "out.txt"
    rc, _, err = run_cli(["sort", *case["args"], plain_input(case["input_path"]), out],
                         capsys=capsys)
    assert rc == 0, err
    assert out.read_bytes() == read_expected(case["expected_path"])
    assert _engine._prefetched == []
    plain = all(a in ("-a", "-m", "-n", "-p", "-P", "-s", "-t", "-M")
                or a.startswith(("--cull=", "--sort=")) for a in case["args"])
    nonempty = plain_input(case["input_path"]).stat().st_size > 0
    if plain and nonempty and len({a for a in case["args"] if not a.startswith("--")}) <= 1:
        assert started == [True], case["args"]
        assert len(taken) == 1 and taken[0] is not None
    if started == [True]:
        assert taken and taken[0] is not None
