"""The Python API: Dump.filter / cull / sort / to_pandas / to_arrow / to_parquet, the lazy
top-level names, and its type annotations (inline, checked by mypy)."""
import io
import os
from pathlib import Path

import numpy as np
import pytest

import pageowner_fast as pf
from conftest import DATA, generated_dump, run_cli

PKG = Path(pf.__file__).parent


@pytest.fixture(scope="module")
def dump_path(tmp_path_factory):
    return generated_dump(tmp_path_factory, "api", blocks=1200, seed=21, n_paths=50, era="6.7")


@pytest.fixture(scope="module")
def dump(dump_path):
    return pf.load(dump_path)


def test_filter(dump):
    pid = int(dump.pid[0])
    comm = dump.comms.text(int(dump.comm_id[0]))
    sub = dump.filter(pid=pid)
    assert len(sub) == int((dump.pid == pid).sum()) > 0
    assert np.all(sub.pid == pid) and sub.stacks is dump.stacks
    assert np.array_equal(sub.lineno, dump.lineno[dump.pid == pid])
    both = dump.filter(pid=[pid, int(dump.pid[-1])], comm=comm)
    assert np.all(both.comm_id == dump.comm_id[0]) and len(both) <= len(dump)
    assert len(dump.filter(comm=b"no such task")) == 0
    assert len(dump.filter(module="vmlinux")) + sum(
        len(dump.filter(module=m.decode())) for m in dump.modules if m != b"vmlinux") == len(dump)
    assert len(dump.filter(tgid=int(dump.tgid[0]))) == int((dump.tgid == dump.tgid[0]).sum())


def test_cull_matches_sort_cli(dump, dump_path, tmp_path, capsys):
    g = dump.cull(("stacktrace",))
    assert int(g.count.sum()) == len(dump) and int(g.pages.sum()) == int(dump.pages.sum())
    assert len(g) == len(set(dump.stack_id.tolist()))
    for opts, call in ([[], lambda: dump.sort()],
                       [["-m"], lambda: dump.sort("-pages")],
                       [["--cull=st"], lambda: dump.sort(cull="st")],
                       [["--cull=pid,name", "--sort=n,-p"], lambda: dump.sort("name,-pid", cull=("pid", "comm"))]):
        out = tmp_path / "o.txt"
        assert run_cli(["sort", *opts, dump_path, out], capsys=capsys)[0] == 0
        assert call().text() == out.read_bytes(), opts


def test_group_table_records_and_pandas(dump):
    g = dump.sort("-pages", cull="pid")
    recs = list(g.records())
    assert len(recs) == len(g) and recs[0] == g[0] and recs[-1] == g[-1]
    assert [r["pages"] for r in recs] == sorted((r["pages"] for r in recs), reverse=True)
    assert "text" not in recs[0] and set(recs[0]) == {"count", "pages", "pid", "tgid", "comm", "module",
                                                     "allocator", "stacktrace"}
    assert len(g[:3]) == 3
    pytest.importorskip("pandas")
    df = g.to_pandas()
    assert len(df) == len(g) and int(df["count"].sum()) == len(dump)


def test_bad_keys_raise_usage_error(dump):
    with pytest.raises(pf.UsageError, match="unknown cull key"):
        dump.cull("bogus")
    with pytest.raises(pf.UsageError, match="unknown sort key"):
        dump.sort("bogus")


def test_to_pandas(dump):
    pd = pytest.importorskip("pandas")
    df = dump.to_pandas()
    assert len(df) == len(dump)
    for name in ("order", "pages", "pid", "tgid", "ts_ns", "pfn", "gfp_mask", "lineno"):
        assert df[name].dtype == dump.columns[name].dtype, name
    for name, table, ids in (("comm", dump.comms, dump.comm_id), ("module", dump.modules, dump.module_id),
                             ("stack", dump.stacks, dump.stack_id)):
        assert isinstance(df[name].dtype, pd.CategoricalDtype)
        i = int(np.argmax(ids))
        assert df[name].iloc[i] == table.text(int(ids[i]))
    top = df.groupby("comm", observed=True)["pages"].sum().sort_values(ascending=False)
    first = pf.top(dump, "comm")[0]
    assert (top.index[0], int(top.iloc[0])) == (first["key"], first["pages"])


def test_to_arrow_is_zero_copy_and_dictionary_encoded(dump):
    pa = pytest.importorskip("pyarrow")
    t = dump.to_arrow()
    assert t.num_rows == len(dump)
    for name in ("pid", "pages", "ts_ns", "stack_id"):
        buf = t.column(name).chunk(0).buffers()[1]
        assert buf.address == dump.columns[name].ctypes.data, name  # no copy
    comm = t.column("comm").chunk(0)
    assert pa.types.is_dictionary(comm.type)
    assert comm.indices.buffers()[1].address == dump.comm_id.ctypes.data
    assert comm.dictionary.to_pylist() == [dump.comms.text(i) for i in range(len(dump.comms))]
    assert t.column("stack").chunk(0)[5].as_py() == dump.stacks.text(int(dump.stack_id[5]))
    assert t.schema.metadata[b"source"] == str(dump.source).encode()


def test_to_parquet_round_trip(dump, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "d.parquet"
    dump.to_parquet(path, compression="zstd")
    back = pq.read_table(path)
    assert back.num_rows == len(dump)
    assert np.array_equal(back.column("pages").to_numpy(), dump.pages)
    assert back.column("comm").to_pylist()[:10] == [dump.comms.text(int(i)) for i in dump.comm_id[:10]]


def test_missing_extra_is_a_clear_import_error(dump, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install pageowner-fast\[arrow\]"):
        dump.to_arrow()


def test_top_level_names():
    for name in pf.__all__:
        assert getattr(pf, name) is not None, name
    assert pf.load_stacks is pf.stacks.load_stacks and pf.diff is pf.analysis.diff
    with pytest.raises(AttributeError):
        pf.no_such_name  # noqa: B018
    sf = pf.load_stacks(DATA / "real_corpus" / "blog2026_mfo_show_stacks_handles.txt")
    assert isinstance(sf, pf.StackFile) and sf.pages == [9643]
    t = pf.diff(sf, sf)
    assert isinstance(t, pf.ResultTable) and t[0]["ratio"] == 1.0


def test_no_stub_beside_python_code():
    """Typing is inline: a .pyi may stand only beside a compiled module (mypy would read the
    stub instead of the code, and the two drift apart)."""
    stubs = sorted(PKG.rglob("*.pyi"))
    assert [p.name for p in stubs if p.with_suffix(".py").exists()] == []
    assert (PKG / "py.typed").exists()


def _public_callables():
    import inspect
    from pageowner_fast import analysis, groups, pipeline, sortcull, stacks
    for mod in (pf, analysis, pipeline, stacks, sortcull):
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                yield f"{mod.__name__}.{name}", obj
            elif inspect.isclass(obj) and obj.__module__.startswith("pageowner_fast"):
                for mname, meth in vars(obj).items():
                    if inspect.isfunction(meth) and (not mname.startswith("_") or mname == "__init__"):
                        yield f"{obj.__module__}.{obj.__name__}.{mname}", meth
    yield "groups.GroupTable.text", groups.GroupTable.text


def test_public_api_is_annotated():
    import inspect
    seen = 0
    for name, fn in _public_callables():
        sig = inspect.signature(fn)
        missing = [p for p, v in sig.parameters.items()
                   if p not in ("self", "cls") and v.annotation is inspect.Parameter.empty]
        assert not missing, f"{name}: parameters without a type: {missing}"
        assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return type"
        seen += 1
    assert seen > 30


def test_annotations_typecheck_a_user_script(tmp_path, monkeypatch):
    api = pytest.importorskip("mypy.api")
    if PKG.parent.name not in ("site-packages", "dist-packages"):
        # a source tree: point mypy at it (an installed package is found, py.typed, as is;
        # mypy refuses site-packages in MYPYPATH)
        monkeypatch.setenv("MYPYPATH", str(PKG.parent))
    script = tmp_path / "use.py"
    script.write_text(
        "import pageowner_fast as pf\n"
        "d: pf.Dump = pf.load('x')\n"
        "n: int = len(d.filter(pid=[1, 2]))\n"
        "g = d.sort('-pages', cull=('pid',))\n"
        "t: bytes = g.text()\n"
        "r: pf.ResultTable = pf.diff('a', d, by='comm', normalize=True)\n"
        "s: pf.StackFile = pf.load_stacks('s')\n"
        "x: int = pf.top(d, 'order')[0]['pages']\n")
    bad = tmp_path / "bad.py"
    bad.write_text("import pageowner_fast as pf\ny: str = pf.top('x')\nz: int = pf.load('x').to_parquet('p')\n")
    args = ["--follow-imports=silent", "--no-error-summary", "--cache-dir", str(tmp_path / "cache")]
    out, err, rc = api.run([str(script), *args])
    assert rc == 0, out + err
    out, err, rc = api.run([str(bad), *args])  # the annotations are really used
    assert rc == 1 and 'has type "ResultTable"' in out and "does not return a value" in out, out + err


def test_threads_argument(dump_path, dump):
    """threads= reaches the scanner (no environment variable between them); every count
    gives the same rows."""
    for n in (1, 2, 3):
        d = pf.load(dump_path, threads=n)
        assert np.array_equal(d.pages, dump.pages) and d.stacks[:] == dump.stacks[:]
    for bad in (0, -1, 65, 1.5, "2", True):
        with pytest.raises(pf.UsageError, match="threads"):
            pf.load(dump_path, threads=bad)
    with pytest.raises(pf.UsageError, match="threads"):
        pf.top(dump_path, "comm", threads=0)
    assert pf.top(dump_path, "comm", threads=2).rows == pf.top(dump, "comm").rows


def test_default_threads():
    from pageowner_fast import _engine
    mib = 1 << 20
    assert _engine.default_threads(10 * mib, cpus=8) == 1        # small: one thread
    assert _engine.default_threads(64 * mib, cpus=8) == 2        # one per 32 MiB
    assert _engine.default_threads(1 << 40, cpus=8) == 8         # at most one per CPU
    assert _engine.default_threads(1 << 40, cpus=256) == 64      # at most 64
    assert _engine.default_threads(0, cpus=1) == 1
    assert 1 <= _engine.usable_cpus() <= (os.cpu_count() or 1)


def test_pipeline_is_what_the_cli_runs(dump_path, tmp_path, capsys):
    """The one sort pipeline: pipeline.run writes the file `sort` writes; sort_dump's text
    is the same bytes; its warnings go to the reporter given, else through `warnings`."""
    from pageowner_fast import pipeline
    from pageowner_fast.sortcull import SortOptions
    opts = SortOptions(cull=frozenset({"pid", "name"}), sort=[("pages", -1)])
    out = tmp_path / "api.txt"
    pipeline.run(dump_path, out, opts, report=lambda m: None)
    cli_out = tmp_path / "cli.txt"
    assert run_cli(["sort", "--cull=pid,name", "-m", dump_path, cli_out], capsys=capsys)[0] == 0
    assert out.read_bytes() == cli_out.read_bytes()
    assert pipeline.sort_dump(pf.load(dump_path), opts).text() == out.read_bytes()
    said = []
    legacy = SortOptions(cull=frozenset({"free"}))
    pipeline.sort_dump(pf.load(dump_path), legacy, report=said.append)
    assert len(said) == 1 and "need free_ts" in said[0]
    with pytest.warns(pf.PageOwnerWarning, match="need free_ts"):
        pipeline.sort_dump(pf.load(dump_path), legacy)
