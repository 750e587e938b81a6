"""`sort --format json|csv` and the analysis commands on every kind of source: path, .gz,
.xz, stdin (subprocess), a binary file object, a FIFO. JSON validates against the shipped
schemas; CSV loads in pandas with the right dtypes."""
import csv
import gzip
import io
import json
import lzma
import os
import re
import threading

import numpy as np
import pytest

import pageowner_fast as pf
from pageowner_fast import analysis as A, gen, stacks as S
from pageowner_fast.render.text import render_show_stacks
from pageowner_fast.export import schema
from conftest import DATA, run_cli, run_subprocess

jsonschema = pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def data():
    b = io.BytesIO()
    gen.generate(b, blocks=600, seed=5, n_paths=30, era="6.7")
    return b.getvalue()


@pytest.fixture(scope="module")
def sources(data, tmp_path_factory):
    d = tmp_path_factory.mktemp("src")
    plain, gz, xz = d / "dump.txt", d / "dump.txt.gz", d / "dump.txt.xz"
    plain.write_bytes(data)
    gz.write_bytes(gzip.compress(data))
    xz.write_bytes(lzma.compress(data))
    return {"path": plain, "gz": gz, "xz": xz}


def _text_records(text: bytes):
    """(times, pages, text) of each record of page_owner_sort's default output."""
    out = []
    for m in re.finditer(rb"^(\d+) times, (\d+) pages, allocated by [A-Z ]*:\n(.*?)\n(?=\d+ times|\Z)",
                         text, re.S | re.M):
        out.append((int(m.group(1)), int(m.group(2)), m.group(3).decode()))
    return out


def _fifo(tmp_path, payload: bytes):
    """A FIFO with a writer thread feeding `payload` (st_size is 0, like the debugfs file)."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "fifo"
    os.mkfifo(path)

    def writer():
        with open(path, "wb") as f:
            f.write(payload)
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    return path, t


# ------------------------------------------------------------------------------------------
# sort --format json / csv
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["path", "gz", "xz"])
def test_sort_json_from_files_validates_and_matches_text(sources, kind, tmp_path, capsys):
    txt, js = tmp_path / "out.txt", tmp_path / "out.json"
    assert run_cli(["sort", sources[kind], txt], capsys=capsys)[0] == 0
    rc, _, err = run_cli(["sort", "--format", "json", sources[kind], js], capsys=capsys)
    assert rc == 0, err
    recs = json.loads(js.read_bytes())
    jsonschema.validate(recs, schema("sort"))
    expect = _text_records(txt.read_bytes())
    assert len(expect) > 10
    assert [(r["count"], r["pages"], r["text"]) for r in recs] == expect
    for r in recs:
        header, _, rest = r["text"].partition("\n")
        assert rest == r["stacktrace"]
        assert f"pid {r['pid']}, tgid {r['tgid']} ({r['comm']}), ts  ns" in header


def test_sort_json_equals_api_records(sources, tmp_path, capsys):
    js = tmp_path / "out.json"
    run_cli(["sort", "-m", "--format=json", sources["path"], js], capsys=capsys)
    api = list(pf.load(sources["path"]).sort("-pages").records())
    assert json.loads(js.read_bytes()) == api


def test_sort_json_with_cull_has_no_text(sources, tmp_path, capsys):
    txt, js = tmp_path / "o.txt", tmp_path / "o.json"
    run_cli(["sort", "--cull=pid,name", sources["path"], txt], capsys=capsys)
    run_cli(["sort", "--cull=pid,name", "--format", "json", sources["path"], js], capsys=capsys)
    recs = json.loads(js.read_bytes())
    jsonschema.validate(recs, schema("sort"))
    assert all("text" not in r for r in recs)
    lines = txt.read_text().splitlines()
    assert lines == [f"{r['count']} times, {r['pages']} pages, PID {r['pid']}, task_comm_name: {r['comm']}"
                     for r in recs]


def test_sort_csv_loads_in_pandas(sources, tmp_path, capsys):
    out = tmp_path / "o.csv"
    rc, _, err = run_cli(["sort", "--format", "csv", sources["xz"], out], capsys=capsys)
    assert rc == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["count", "pages", "pid", "tgid", "comm", "module", "allocator",
                             "stacktrace", "text"]
    js = list(pf.load(sources["path"]).sort().records())
    assert [int(r["count"]) for r in rows] == [r["count"] for r in js]
    assert [r["allocator"].split("|") for r in rows] == [r["allocator"] for r in js]
    assert [r["text"] for r in rows] == [r["text"] for r in js]
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(out)
    for col in ("count", "pages", "pid", "tgid"):
        assert df[col].dtype == np.int64, col
    for col in ("comm", "module", "allocator", "stacktrace", "text"):
        assert pd.api.types.is_string_dtype(df[col]) or df[col].dtype == object, col
    assert int(df["pages"].sum()) == int(pf.load(sources["path"]).pages.sum())


def test_sort_json_from_stdin_subprocess(data):
    p = run_subprocess(["sort", "--format", "json", "-", "-"], input=data)
    assert p.returncode == 0, p.stderr
    recs = json.loads(p.stdout)
    jsonschema.validate(recs, schema("sort"))
    assert sum(r["count"] for r in recs) == data.count(b"\n\n")


def test_sort_csv_from_a_fifo(data, tmp_path, capsys):
    fifo, t = _fifo(tmp_path, gzip.compress(data))
    out = tmp_path / "o.csv"
    rc, _, err = run_cli(["sort", "--format", "csv", fifo, out], capsys=capsys)
    t.join(5)
    assert rc == 0, err
    assert sum(int(r["count"]) for r in csv.DictReader(io.StringIO(out.read_text()))) == data.count(b"\n\n")


@pytest.mark.parametrize("case", sorted(p.name for p in (DATA / "real_corpus").glob("*.txt")
                                        if "show_stacks" not in p.name))
def test_sort_json_of_every_real_excerpt_validates(case, tmp_path, capsys):
    """Old eras (no pid, no comm, no ts), memcg lines, CMA: the schema holds for all."""
    out = tmp_path / "o.json"
    rc, _, err = run_cli(["sort", "--format", "json", DATA / "real_corpus" / case, out], capsys=capsys)
    assert rc == 0, err
    jsonschema.validate(json.loads(out.read_bytes()), schema("sort"))


def test_schemas_are_shipped_as_package_data():
    from importlib import resources
    d = resources.files("pageowner_fast").joinpath("schema")
    names = sorted(p.name for p in d.iterdir() if p.name.endswith(".json"))
    assert names == ["diff.schema.json", "frag.schema.json", "sort.schema.json", "top.schema.json"]
    for n in ("sort", "top", "diff", "frag"):
        jsonschema.Draft202012Validator.check_schema(schema(n))
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    from pathlib import Path
    py = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "schema/*.json" in py["tool"]["setuptools"]["package-data"]["pageowner_fast"]


# ------------------------------------------------------------------------------------------
# the analysis commands and load_any on every kind of source
# ------------------------------------------------------------------------------------------

class _ReadOnly:
    """A binary stream with read() only: not seekable, no peek (a socket-like object)."""

    def __init__(self, data):
        self._b = io.BytesIO(data)

    def read(self, n=-1):
        return self._b.read(n)


@pytest.mark.parametrize("how", ["bytesio", "gz_bytesio", "xz_readonly", "open_file", "readonly"])
def test_load_any_from_file_objects(data, sources, how):
    expect = A.counts(pf.load(sources["path"]))
    if how == "bytesio":
        src = io.BytesIO(data)
    elif how == "gz_bytesio":
        src = io.BytesIO(gzip.compress(data))
    elif how == "xz_readonly":
        src = _ReadOnly(lzma.compress(data))
    elif how == "readonly":
        src = _ReadOnly(data)
    else:
        src = open(sources["path"], "rb")
    try:
        got = pf.load_any(src)
    finally:
        if hasattr(src, "close"):
            src.close()
    assert isinstance(got, pf.Dump) and A.counts(got) == expect


def test_load_stacks_from_file_object_and_refuses_a_dump(data):
    text = render_show_stacks(pf.load(io.BytesIO(data)))
    sf = pf.load_stacks(_ReadOnly(gzip.compress(text)))
    assert sf.kind == "show_stacks" and sf.total_pages() == int(pf.load(io.BytesIO(data)).pages.sum())
    with pytest.raises(pf.DumpFormatError, match="a full page_owner dump"):
        pf.load_stacks(io.BytesIO(data))


def test_analysis_commands_on_stdin(data):
    p = run_subprocess(["top", "-", "--by", "order", "--format", "json"], input=lzma.compress(data))
    assert p.returncode == 0, p.stderr
    recs = json.loads(p.stdout)
    jsonschema.validate(recs, schema("top"))
    assert sum(r["blocks"] for r in recs) == data.count(b"\n\n")
    ss = render_show_stacks(pf.load(io.BytesIO(data)))
    p = run_subprocess(["stacks", "-", "--format", "folded"], input=ss)
    assert p.returncode == 0 and sum(int(ln.rsplit(" ", 1)[1]) for ln in p.stdout.decode().splitlines()) \
        == int(pf.load(io.BytesIO(data)).pages.sum())
    p = run_subprocess(["diff", "-", "-"], input=ss)
    assert p.returncode != 0 and p.stderr.count(b"\n") == 1 and b"only once" in p.stderr


@pytest.mark.parametrize("payload", ["dump", "show_stacks"])
def test_analysis_commands_on_a_fifo(data, tmp_path, capsys, payload):
    body = data if payload == "dump" else render_show_stacks(pf.load(io.BytesIO(data)))
    fifo, t = _fifo(tmp_path, body)
    rc, out, err = run_cli(["stacks", fifo, "--format", "json"], capsys=capsys)
    t.join(5)
    assert rc == 0, err
    assert sum(r["pages"] for r in json.loads(out)) == int(pf.load(io.BytesIO(data)).pages.sum())


def test_diff_json_of_a_mix_of_sources(data, sources, tmp_path, capsys):
    ss = tmp_path / "ss.gz"
    ss.write_bytes(gzip.compress(render_show_stacks(pf.load(io.BytesIO(data)))))
    rc, out, err = run_cli(["diff", ss, sources["xz"], "--format", "json"], capsys=capsys)
    assert rc == 0, err
    recs = json.loads(out)
    jsonschema.validate(recs, schema("diff"))
    assert all(r["delta_pages"] == 0 and r["ratio"] == 1.0 for r in recs)
    assert [r["delta_pages"] for r in recs] == sorted((r["delta_pages"] for r in recs), reverse=True)
    rc, out, _ = run_cli(["diff", ss, sources["xz"], "--format", "csv"], capsys=capsys)
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(io.StringIO(out))
    assert list(df.columns[:5]) == ["key", "old_pages", "new_pages", "delta_pages", "ratio"]
    assert df["old_pages"].dtype == np.int64 and df["ratio"].dtype == np.float64


def test_output_file_option(sources, tmp_path, capsys):
    out = tmp_path / "top.json"
    rc, stdout, _ = run_cli(["top", sources["gz"], "--format", "json", "-o", out], capsys=capsys)
    assert rc == 0 and stdout == "" and json.loads(out.read_bytes())
    rc, _, err = run_cli(["top", sources["gz"], "-o", tmp_path / "no" / "such" / "dir.txt"], capsys=capsys)
    assert rc != 0 and err.count("\n") == 1
