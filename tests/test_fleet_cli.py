"""`pageowner-fast fleet ...`: bad options are one line and exit 1; a dump that fails is a line
naming it, the others are written, exit 2 at the end; text, JSON and CSV; --resume. (The
clusters, --workers and --scheduler: tests/test_fleet_cluster.py.)"""
from __future__ import annotations

import csv
import io
import json

import fleetdata as FD
import pytest
from conftest import PREFIX, run_cli

pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

from pageowner_fast import fleet


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    return FD.lab_in(tmp_path_factory)


@pytest.fixture(scope="module")
def ds(lab, tmp_path_factory):
    root, _ = lab
    out = tmp_path_factory.mktemp("ds") / "fleet"
    rc, _, _ = run_cli(["fleet", "ingest", root, "--out", out, "--labels-from", FD.REGEX,
                        "--workers", "0"])
    assert rc == 0
    return out


def _bad(lab_root, ds, tmp):
    r, d = str(lab_root), str(ds)
    return [
        ["fleet"],
        ["fleet", "bogus"],
        ["fleet", "ingest", r],                                   # no --out
        ["fleet", "ingest", r, "--out", tmp, "--workers", "-1"],
        ["fleet", "ingest", r, "--out", tmp, "--workers", "2", "--scheduler", "tcp://x:1"],
        ["fleet", "ingest", r, "--out", tmp, "--label", "host=a/b"],
        ["fleet", "ingest", r, "--out", tmp, "--label", "nokey"],
        ["fleet", "ingest", r, "--out", tmp, "--labels-from", "("],
        ["fleet", "ingest", r, "--out", tmp, "--labels-from", "(?P<host>nomatch)"],
        ["fleet", "ingest", r, "--out", tmp, "--threads", "0"],
        ["fleet", "ingest", "-", "--out", tmp],
        ["fleet", "ingest", tmp + "-missing-folder/", "--out", tmp],
        ["fleet", "top", d, "--by", "bogus"],
        ["fleet", "top", d, "--where", "nolabel"],
        ["fleet", "top", d, "--top", "-1"],
        ["fleet", "top", d, "--format", "yaml"],
        ["fleet", "top", tmp + "-nope"],
        ["fleet", "outliers", d, "--by", "stack"],                # no --across
        ["fleet", "outliers", d, "--across", "comm"],
        ["fleet", "outliers", d, "--across", "host", "--threshold", "x"],
        ["fleet", "growth", d, "--across", "host"],               # no --time
        ["fleet", "growth", d, "--across", "host", "--time", "kernel", "--by", "kernel"],
    ]


@pytest.mark.parametrize("i", range(22))
def test_bad_usage_is_one_line_and_exit_1(lab, ds, tmp_path, capsys, i):
    args = _bad(lab[0], ds, str(tmp_path / "new"))[i]
    rc, out, err = run_cli(args, capsys=capsys)
    assert rc == 1, (args, err)
    assert err.count("\n") == 1 and err.startswith(PREFIX) and "Traceback" not in err, (args, err)
    assert out == ""
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("sub", [[], ["ingest"], ["top"], ["outliers"], ["growth"]])
def test_help_exits_0(capsys, sub):
    rc, out, err = run_cli(["fleet", *sub, "--help"], capsys=capsys)
    assert rc == 0 and err == "" and "usage" in out.lower()


def test_fleet_is_listed(capsys):
    rc, out, _ = run_cli(["--help"], capsys=capsys)
    assert rc == 0 and "fleet" in out


def test_a_failed_dump_is_one_line_naming_it_and_exit_2(lab, tmp_path, capsys):
    _, info = lab
    good = sorted(info["files"])[:2]
    bad = tmp_path / "hb" / "6.7" / "100.txt"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"garbage\n")
    rc, out, err = run_cli(["fleet", "ingest", *good, bad, "--out", tmp_path / "ds",
                            "--labels-from", FD.REGEX, "--workers", "0"], capsys=capsys)
    assert rc == 2
    lines = err.splitlines()
    assert len(lines) == 2 and all(x.startswith(PREFIX + "error: ") for x in lines)
    assert str(bad) in lines[0] and "1 of 3 dumps failed" in lines[1]
    assert "ingested 2 dumps" in out and "1 failed" in out
    assert len(FD.committed_ids(tmp_path / "ds")) == 2


def test_queries_in_text_json_and_csv(lab, ds, capsys):
    _, info = lab
    leak = fleet.stack_hash(info["leak_stack"])
    rc, out, err = run_cli(["fleet", "top", ds, "--by", "host", "--format", "json"], capsys=capsys)
    assert (rc, err) == (0, "")
    rows = json.loads(out)
    assert [set(r) for r in rows] == [{"key", "pages", "bytes", "blocks", "dumps"}] * 6
    assert rows == fleet.top(ds, "host").to_records()
    rc, out, _ = run_cli(["fleet", "outliers", ds, "--by", "stack", "--across", "host",
                          "--format", "json", "--top", "1"], capsys=capsys)
    (first,) = json.loads(out)
    assert {k: first[k] for k in ("key", "host")} == {"key": leak, "host": FD.LEAKY}
    assert set(first) == {"key", "host", "pages", "median_pages", "score", "label"}
    rc, out, _ = run_cli(["fleet", "growth", ds, "--by", "stack", "--across", "host",
                          "--time", "taken", "--format", "csv", "--top", "3"], capsys=capsys)
    got = list(csv.DictReader(io.StringIO(out)))
    assert len(got) == 3 and got[0]["key"] == leak and got[0]["host"] == FD.LEAKY
    rc, out, _ = run_cli(["fleet", "top", ds, "--by", "comm,kernel", "--format", "csv",
                          "--where", "host=h0"], capsys=capsys)
    assert out.splitlines()[0] == "comm,kernel,pages,bytes,blocks,dumps"
    rc, out, _ = run_cli(["fleet", "outliers", ds, "--by", "stack", "--across", "host"],
                         capsys=capsys)
    assert rc == 0 and out.splitlines()[1].split()[3] == FD.LEAKY
    assert leak[:12] in out.splitlines()[1]
    for args in (["top", ds, "--by", "stack"], ["growth", ds, "--across", "host", "--time", "taken"]):
        rc, out, err = run_cli(["fleet", *args], capsys=capsys)
        assert (rc, err) == (0, "") and "more rows" in out


def test_resume_from_the_command_line(lab, tmp_path, capsys):
    root, info = lab
    args = ["fleet", "ingest", root, "--out", tmp_path / "ds", "--labels-from", FD.REGEX]
    rc, out, err = run_cli([*args, "--workers", "0", "--threads", "1"], capsys=capsys)
    assert (rc, err) == (0, "") and "ingested 12 dumps" in out and "in this process" in out
    # all present: nothing to do, and no cluster started for it
    rc, out, err = run_cli([*args, "--resume"], capsys=capsys)
    assert (rc, err) == (0, "") and "ingested 0 dumps" in out and "12 already present" in out
    assert FD.dataset_loop(tmp_path / "ds") == FD.plain_loop(info["files"])
