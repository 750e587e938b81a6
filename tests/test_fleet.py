"""pf.fleet without a cluster (workers=0: the same task function, run in this process): the
dataset equals a plain loop over load(); labels that would break the layout are refused;
writes are idempotent, resumable and never leave half a file in the dataset; the queries
against independent counts. The clusters are tests/test_fleet_cluster.py's."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fleetdata as FD
import numpy as np
import pytest
import xxhash

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

import pageowner_fast as pf
from pageowner_fast import fleet
from pageowner_fast.exceptions import InputOpenError, PageOwnerError, UsageError
from pageowner_fast.fleet import robust

REAL = Path(__file__).parent / "data" / "real_dumps"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    return FD.lab_in(tmp_path_factory)


@pytest.fixture(scope="module")
def ds(lab, tmp_path_factory):
    root, _ = lab
    out = tmp_path_factory.mktemp("ds") / "fleet"
    r = fleet.ingest([root], out, labels_from=FD.REGEX, workers=0)
    assert r.ok and len(r.ingested) == 12 and r.where == "in this process"
    return out


# --- the dataset ------------------------------------------------------------------------------

def test_dataset_equals_a_plain_loop_over_load(lab, ds):
    _, info = lab
    assert FD.dataset_loop(ds) == FD.plain_loop(info["files"])
    assert len(FD.committed_ids(ds)) == len(set(FD.committed_ids(ds))) == 12
    assert FD.leftovers(ds) == []


def test_layout_hive_partitions_and_the_tables(ds):
    meta = json.loads((ds / "_fleet.json").read_text())
    assert meta["labels"] == ["host", "kernel", "taken"] and meta["partition_by"] == "host"
    assert sorted(p.name for p in (ds / "aggregates").iterdir()) == [f"host={h}" for h in FD.HOSTS]
    assert len(list((ds / "stacks").glob("*.parquet"))) == 1      # merged after the ingest
    assert len(list((ds / "dumps").glob("*.parquet"))) == 1
    st = fleet.stacks(ds)
    assert st["stack"].is_unique
    for h, frames in zip(st["stack"].tolist()[:50], st["frames"].tolist()[:50]):
        assert fleet.stack_hash(tuple(frames)) == h
    d = fleet.dumps(ds)
    assert len(d) == 12 and set(d["host"]) == set(FD.HOSTS)
    # every dump's totals are its own load()'s
    for rec in d.to_dict("records"):
        loaded = pf.load(rec["path"])
        assert rec["pages"] == int(loaded.pages.sum()) and rec["blocks"] == int(loaded.count.sum())


def test_readable_by_pandas_and_duckdb(ds):
    import pandas as pd
    duckdb = pytest.importorskip("duckdb")
    df = pd.read_parquet(ds / "aggregates")            # pyarrow's hive discovery
    by_host = {str(k): int(v) for k, v in df.groupby("host", observed=True)["pages"].sum().items()}
    q = duckdb.sql(f"SELECT host, sum(pages) FROM read_parquet('{ds}/aggregates/*/*.parquet', "
                   "hive_partitioning=true) GROUP BY host").fetchall()
    assert {h: int(p) for h, p in q} == by_host
    ours = {r["key"]: r["pages"] for r in fleet.top(ds, "host")}
    assert ours == by_host


def test_stack_hash_is_xxh3_128_of_the_frames_and_stable_across_processes():
    frames = ("get_page_from_freelist+0x1/0x2", "kmalloc_noprof+0x3/0x4 [ext4]", "naïve")
    want = xxhash.xxh3_128_hexdigest("\n".join(frames).encode("utf-8"))
    assert fleet.stack_hash(frames) == want
    code = ("import sys, pageowner_fast.fleet as f; "
            "print(f.stack_hash(tuple(sys.argv[1:])))")
    for seed in ("12345",):    # this process has a random one
        p = subprocess.run([sys.executable, "-c", code, *frames], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONHASHSEED=seed), check=True)
        assert p.stdout.strip() == want


def test_compressed_show_stacks_and_real_dumps(tmp_path):
    files = [REAL / "k6.12_page_owner_t1.txt.xz", REAL / "k6.12_show_stacks_t1.txt.xz"]
    r = fleet.ingest(files, tmp_path / "ds", labels=["host=vm"], workers=0)
    assert r.ok and len(r.ingested) == 2
    d = fleet.dumps(tmp_path / "ds").set_index("path")
    stacks_file = pf.load_stacks(files[1])
    dump = pf.load(files[0])
    assert d.loc[str(files[1]), "kind"] == "show_stacks"
    assert d.loc[str(files[1]), "pages"] == stacks_file.total_pages()
    assert d.loc[str(files[0]), "pages"] == int(dump.pages.sum())
    rows = FD.dataset_loop(tmp_path / "ds")
    ss = [v for k, v in rows.items() if k[0] == str(files[1])]
    assert all(v[2] is None for v in ss)                                 # no blocks
    assert all(k[2:] == (None,) * 5 for k in rows if k[0] == str(files[1]))   # stack only
    full = {k: v for k, v in rows.items() if k[0] == str(files[0])}
    assert full == FD.plain_loop({str(files[0]): {}})


def _gen(path: Path, **kw) -> Path:
    from pageowner_fast import gen
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        gen.generate(f, **kw)
    return path


def test_normalize_keys_two_builds_of_one_kernel_alike(tmp_path):
    """stack_variant=1 is another build of the same kernel: other offsets and compiler
    suffixes, the same call paths. Normalised, their stacks hash alike (as `diff --normalize`
    matches them); raw, they do not."""
    a = _gen(tmp_path / "in" / "a.txt", blocks=600, seed=4, n_paths=300)
    b = _gen(tmp_path / "in" / "b.txt", blocks=600, seed=4, n_paths=300, stack_variant=1)
    for normalize in (False, True):
        out = tmp_path / f"ds{normalize}"
        fleet.ingest([a, b], out, labels_from=r"(?P<build>[ab])\.txt", normalize=normalize, workers=0)
        assert FD.dataset_loop(out) == FD.plain_loop({str(a): {}, str(b): {}}, normalize=normalize)
        per = {k["key"]: k for k in fleet.top(out, "build,stack")}
        sa = {s for build, s in per if build == "a"}
        sb = {s for build, s in per if build == "b"}
        assert (sa == sb) if normalize else len(sa & sb) < len(sa) // 4
    assert json.loads((tmp_path / "dsTrue" / "_fleet.json").read_text())["normalize"] is True


def test_partition_by_another_label_and_no_labels_at_all(tmp_path, lab):
    _, info = lab
    files = sorted(info["files"])[:4]
    fleet.ingest(files, tmp_path / "k", labels_from=FD.REGEX, partition_by="taken", workers=0)
    assert sorted(p.name for p in (tmp_path / "k" / "aggregates").iterdir()) == ["taken=100", "taken=200"]
    assert {r["key"] for r in fleet.top(tmp_path / "k", "host")} == {"h0", "h1"}
    assert FD.dataset_loop(tmp_path / "k") == FD.plain_loop({f: {} for f in files})
    # no labels: one flat folder; the machines can still be the dumps themselves
    fleet.ingest(files, tmp_path / "n", workers=0)
    assert all(p.is_file() for p in (tmp_path / "n" / "aggregates").iterdir())
    assert len(fleet.top(tmp_path / "n", "dump_id")) == 4
    assert fleet.outliers(tmp_path / "n", "stack", "dump_id").meta["machines"] == 4


def test_an_old_kernel_without_comms_has_null_comms(tmp_path):
    """A 4.6-era dump prints no pid, tgid or comm: its rows have comm null, the rest as usual."""
    old = _gen(tmp_path / "old.txt", blocks=400, seed=2, era="4.6", n_paths=200)
    fleet.ingest([old], tmp_path / "ds", labels=["host=old"], workers=0)
    rows = FD.dataset_loop(tmp_path / "ds")
    assert rows and all(k[2] is None for k in rows)
    assert sum(v[0] for v in rows.values()) == int(pf.load(old).pages.sum())
    assert {k[1] for k in rows} == {k[1] for k in FD.plain_loop({str(old): {}})}


def test_progress_is_called_once_per_dump(tmp_path, lab):
    _, info = lab
    files = sorted(info["files"])[:3]
    calls = []
    fleet.ingest(files, tmp_path / "ds", labels_from=FD.REGEX, workers=0,
                 progress=lambda d, n: calls.append((d, n)))
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_small_dumps_share_tasks_and_a_pipe_has_its_own():
    from pageowner_fast.fleet.cluster import BATCH_BYTES, batches, task_key
    from pageowner_fast.fleet.task import Job

    def job(i, size, regular=True):
        return Job(f"/d/{i}", f"{i:032x}", size, 0, regular)
    small = [job(i, 3 << 20) for i in range(200)]
    got = batches(small, threads=2)
    assert [j for b in got for j in b] == small                    # all, once, in order
    assert len(got) == 10 and all(sum(j.size for j in b) <= BATCH_BYTES for b in got)
    few = batches(small[:16], threads=2)                          # 4 tasks per thread at least
    assert len(few) == 8 and all(len(b) == 2 for b in few)
    big = batches([job(1, 1 << 30), job(2, 1 << 30)], threads=1)
    assert [len(b) for b in big] == [1, 1]
    nine = [job(i, 10, regular=i != 1) for i in range(9)]          # 3 a task; #1 is a pipe
    mixed = batches(nine, threads=1)
    assert [[int(j.path[3:]) for j in b] for b in mixed] == [[1], [0, 2, 3], [4, 5, 6], [7, 8]]
    assert task_key(mixed[0]) == f"pageowner-fast-ingest-{1:032x}"
    assert task_key(mixed[1]) == f"pageowner-fast-ingest-{0:032x}-and-2"


# --- labels ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["a/b", "..", "x..y", ".", "a=b", "a\\b", "a%2Fb", "tab\there",
                                   "nl\nx", "", " lead", "\x7f", "e\u2028x", "a" * 201])
def test_label_values_that_would_break_the_layout_are_refused(tmp_path, lab, value):
    _, info = lab
    one = next(iter(info["files"]))
    with pytest.raises(UsageError, match=r"refused, nothing written|use KEY=VALUE"):
        fleet.ingest([one], tmp_path / "ds", labels=[f"host={value}"], workers=0)
    assert not (tmp_path / "ds").exists()


def test_label_values_from_paths_are_checked_too(tmp_path):
    bad = tmp_path / "h..x" / "6.1" / "100.txt"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"")
    with pytest.raises(UsageError, match=r"host='h\.\.x'.*refused"):
        fleet.ingest([tmp_path], tmp_path / "ds", labels_from=FD.REGEX, workers=0)
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("kw, match", [
    ({"labels": ["host"]}, "KEY=VALUE"),
    ({"labels": ["pages=3"]}, "is a column of the dataset"),
    ({"labels": ["1x=3"]}, "letters, digits"),
    ({"labels": ["a=1", "a=2"]}, "given twice"),
    ({"labels_from": "(unclosed"}, "not a regular expression"),
    ({"labels_from": "[0-9]+"}, "no named group"),
    ({"labels_from": r"(?P<host>zzz)"}, "does not match"),
    ({"labels": ["a=1"], "partition_by": "b"}, "not a label of this ingest"),
    ({"workers": -1}, "--workers"),
    ({"workers": 1, "scheduler": "tcp://127.0.0.1:1"}, "either --scheduler or --workers"),
    ({"page_size": "3K"}, "page size"),
])
def test_bad_arguments_are_usage_errors_before_any_work(tmp_path, lab, kw, match):
    root, _ = lab
    with pytest.raises(UsageError, match=match):
        fleet.ingest([root], tmp_path / "ds", **kw)


def test_a_later_ingest_must_fit_the_dataset(tmp_path, lab):
    _, info = lab
    one = sorted(info["files"])[:1]
    fleet.ingest(one, tmp_path / "ds", labels=["host=a", "rack=1"], workers=0)
    with pytest.raises(UsageError, match="does not fit the dataset"):
        fleet.ingest(one, tmp_path / "ds", labels=["host=a"], workers=0)
    with pytest.raises(UsageError, match="--normalize"):
        fleet.ingest(one, tmp_path / "ds", labels=["host=a", "rack=1"], normalize=True, workers=0)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x").write_text("x")
    with pytest.raises(UsageError, match="not a fleet dataset and not empty"):
        fleet.ingest(one, tmp_path / "other", workers=0)


# --- idempotence, resume, failures ------------------------------------------------------------

def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("dump-*.parquet"))}


def test_a_retried_task_overwrites_the_same_file(tmp_path, lab):
    _, info = lab
    files = sorted(info["files"])[:3]
    out = tmp_path / "ds"
    fleet.ingest(files, out, labels_from=FD.REGEX, workers=0)
    first = _snapshot(out)
    fleet.ingest(files, out, labels_from=FD.REGEX, workers=0)     # every task again
    assert FD.committed_ids(out) == sorted({*FD.committed_ids(out)})
    assert len(FD.committed_ids(out)) == 3
    assert _snapshot(out) == first                                 # same names, same bytes
    assert FD.dataset_loop(out) == FD.plain_loop({f: {} for f in files})


def test_resume_skips_present_dumps_and_redoes_half_written_ones(tmp_path, lab):
    _, info = lab
    files = sorted(info["files"])
    out = tmp_path / "ds"
    r = fleet.ingest(files[:5], out, labels_from=FD.REGEX, workers=0)
    assert len(r.ingested) == 5
    # what a killed writer leaves: a temporary file, and a dump's first files without its
    # aggregates file (the commit) -- neither counts
    victim = next(iter((out / "aggregates").rglob("dump-*.parquet")))
    (victim.parent / f".{victim.name}.dead.tmp").write_bytes(b"half a parquet file")
    victim.unlink()
    assert len(FD.committed_ids(out)) == 4
    r = fleet.ingest(files, out, labels_from=FD.REGEX, resume=True, workers=0)
    assert len(r.skipped) == 4 and len(r.ingested) == len(files) - 4
    assert FD.committed_ids(out) == sorted(set(FD.committed_ids(out)))
    assert len(FD.committed_ids(out)) == len(files)
    assert FD.leftovers(out) == []
    assert FD.dataset_loop(out) == FD.plain_loop(info["files"])
    assert len(fleet.dumps(out)) == len(files)
    # all present: nothing to do, and no cluster started for it
    r = fleet.ingest(files, out, labels_from=FD.REGEX, resume=True, workers=0)
    assert len(r.skipped) == len(files) and r.ingested == []


def test_a_dump_that_fails_is_reported_by_name_and_the_rest_go_on(tmp_path, lab):
    _, info = lab
    good = sorted(info["files"])[:2]
    bad = tmp_path / "in" / "hx" / "6.7" / "100.txt"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"this is not a page_owner dump\n")
    trunc = tmp_path / "in" / "hy" / "6.7" / "100.txt.gz"
    trunc.parent.mkdir(parents=True)
    import gzip
    assert good[0].endswith(".txt")
    trunc.write_bytes(gzip.compress(Path(good[0]).read_bytes())[:5000])
    said = []
    r = fleet.ingest([*good, bad, trunc], tmp_path / "ds", labels_from=FD.REGEX,
                     workers=0, report=said.append)
    assert not r.ok and len(r.ingested) == 2
    assert sorted(p for p, _ in r.failed) == sorted(map(str, (bad, trunc)))
    assert len(said) == 2 and all("\n" not in m for m in said)
    assert any(str(bad) in m and "not a page_owner dump" in m for m in said)
    assert len(FD.committed_ids(tmp_path / "ds")) == 2
    hosts = {p.name for p in (tmp_path / "ds" / "aggregates").iterdir()}
    assert hosts == {f"host={Path(g).parts[-3]}" for g in good}


def test_an_input_that_does_not_exist_is_an_error_before_any_work(tmp_path, lab):
    root, _ = lab
    with pytest.raises(InputOpenError, match="no such file"):
        fleet.ingest([root, tmp_path / "nope.txt"], tmp_path / "ds", labels_from=FD.REGEX)
    assert not (tmp_path / "ds").exists()


def test_only_one_ingest_at_a_time(tmp_path, lab):
    pytest.importorskip("fcntl")
    _, info = lab
    files = sorted(info["files"])[:1]
    fleet.ingest(files, tmp_path / "ds", labels_from=FD.REGEX, workers=0)
    ds = fleet.Dataset.open(tmp_path / "ds")
    with ds.lock(), pytest.raises(UsageError, match="another ingest"):
        fleet.ingest(files, tmp_path / "ds", labels_from=FD.REGEX, workers=0)


# --- queries ----------------------------------------------------------------------------------

def test_top_by_host_and_by_stack_against_the_plain_loop(lab, ds):
    _, info = lab
    ref = FD.plain_loop(info["files"])
    host_of = {os.path.abspath(p): lab_["host"] for p, lab_ in info["files"].items()}
    want: dict = {}
    for key, (pages, nbytes, blocks) in ref.items():
        w = want.setdefault(host_of[key[0]], [0, 0, 0, set()])
        w[0] += pages
        w[1] += nbytes
        w[2] += blocks
        w[3].add(key[0])
    t = fleet.top(ds, "host")
    assert {r["key"]: [r["pages"], r["bytes"], r["blocks"], r["dumps"]] for r in t} == \
        {h: [w[0], w[1], w[2], len(w[3])] for h, w in want.items()}
    assert t.columns == ["key", "pages", "bytes", "blocks", "dumps"]
    assert [r["pages"] for r in t] == sorted((r["pages"] for r in t), reverse=True)
    s = fleet.top(ds, "stack", k=5)
    assert len(s) == 5 and s.columns[-1] == "label" and all(len(r["key"]) == 32 for r in s)
    by_stack: dict = {}
    for key, (pages, _, _) in ref.items():
        by_stack[key[1]] = by_stack.get(key[1], 0) + pages
    assert [r["pages"] for r in s] == sorted(by_stack.values(), reverse=True)[:5]


def test_top_where_and_several_keys(ds):
    both = fleet.top(ds, "comm,taken", where=["host=h0", "host=h1"])
    assert all(isinstance(r["key"], tuple) and len(r["key"]) == 2 for r in both)
    h0 = fleet.top(ds, "host", where={"host": "h0"})
    h01 = fleet.top(ds, "host", where=["host=h0", "host=h1"])
    assert [r["key"] for r in h0] == ["h0"] and {r["key"] for r in h01} == {"h0", "h1"}
    assert sum(r["pages"] for r in both) == sum(r["pages"] for r in h01)
    k100 = fleet.top(ds, "host", where=["taken=100", "kernel=6.7"])
    assert all(r["dumps"] == 1 for r in k100) and len(k100) == 6
    for bad, match in ((["nope=1"], "not a label or key"), (["host"], "LABEL=VALUE")):
        with pytest.raises(UsageError, match=match):
            fleet.top(ds, "host", where=bad)
    with pytest.raises(UsageError, match="choose from"):
        fleet.top(ds, "bogus")


def test_the_planted_leaking_machine_is_the_first_outlier(lab, ds):
    _, info = lab
    leak = fleet.stack_hash(info["leak_stack"])
    t = fleet.outliers(ds, "stack", "host")
    assert t.columns == ["key", "host", "pages", "median_pages", "score", "label"]
    assert (t[0]["key"], t[0]["host"]) == (leak, FD.LEAKY)
    assert t[0]["median_pages"] == 0
    assert all(r["score"] >= fleet.queries.DEFAULT_THRESHOLD for r in t)
    assert [r["score"] for r in t] == sorted((r["score"] for r in t), reverse=True)
    # its pages: the leak's mean per dump of the machine, counted from the generator's plant
    # (order-0 blocks, one page each) plus what the path holds anyway
    base = fleet.top(ds, "stack", where=[f"host={FD.LEAKY}", f"stack={leak}"])[0]["pages"]
    assert t[0]["pages"] == base / 2
    assert base >= sum(FD.LEAK_BLOCKS.values())


def test_outlier_scores_against_a_brute_force_count(ds):
    """Each score recomputed from the pages per (key, host) with numpy's median."""
    t = fleet.outliers(ds, "comm", "host", threshold=0.0)
    df = fleet.aggregates(ds, ["comm", "host", "dump_id", "pages"]).compute()
    ndumps = df.groupby("host")["dump_id"].nunique()
    pages = df.groupby(["comm", "host"])["pages"].sum()
    hosts = sorted(ndumps.index)
    checked = 0
    for r in t.rows[:40]:
        x = np.array([pages.get((r["key"], h), 0) / ndumps[h] for h in hosts], float)
        med = np.median(x)
        mad = np.median(np.abs(x - med))
        scale = max(robust.MAD_SCALE * mad, fleet.queries.DEFAULT_MIN_PAGES,
                    fleet.queries.DEFAULT_REL_FLOOR * med)
        mine = x[hosts.index(r["host"])]
        assert r["median_pages"] == pytest.approx(med) and r["pages"] == pytest.approx(mine)
        assert r["score"] == pytest.approx((mine - med) / scale, abs=1e-3)
        checked += 1
    assert checked > 5


def test_median_and_mad_with_implicit_zeros_against_numpy():
    rng = np.random.default_rng(5)
    for _ in range(300):
        ngroups, total = int(rng.integers(1, 6)), int(rng.integers(1, 9))
        group, vals, full = [], [], []
        for g in range(ngroups):
            n = int(rng.integers(1, total + 1))
            v = rng.integers(0, 30, size=n).astype(float)
            group += [g] * n
            vals += v.tolist()
            full.append(np.concatenate([v, np.zeros(total - n)]))
        perm = rng.permutation(len(group))
        med, mad = robust.median_mad(np.array(group, np.int64)[perm], np.array(vals)[perm],
                                     ngroups, total)
        for g in range(ngroups):
            m = np.median(full[g])
            assert med[g] == m and mad[g] == np.median(np.abs(full[g] - m))


def test_growth_slope_against_numpy_polyfit(lab, ds):
    _, info = lab
    leak = fleet.stack_hash(info["leak_stack"])
    t = fleet.growth(ds, "stack", "host", "taken")
    assert (t[0]["key"], t[0]["host"]) == (leak, FD.LEAKY)
    assert t.meta["time_unit"] == "taken"
    # every row of h3 against polyfit over both snapshots, 0 where the stack is absent
    per = {}
    for taken in ("100", "200"):
        for r in fleet.top(ds, "stack", where=[f"host={FD.LEAKY}", f"taken={taken}"]):
            per.setdefault(r["key"], {})[taken] = r["pages"]
    rows = [r for r in t if r["host"] == FD.LEAKY]
    assert len(rows) == len(per)
    for r in rows:
        y = [per[r["key"]].get("100", 0), per[r["key"]].get("200", 0)]
        assert r["slope"] == pytest.approx(FD.polyfit_slope([100, 200], y), abs=1e-6)
        assert (r["first_pages"], r["last_pages"]) == tuple(y)
    # the second snapshot holds the first's blocks and more, and 1,500 more planted ones
    assert t[0]["last_pages"] - t[0]["first_pages"] >= FD.LEAK_BLOCKS[200] - FD.LEAK_BLOCKS[100]


def test_time_labels_numbers_or_iso_dates():
    t, unit = fleet.parse_times(["100", "250.5"], "taken")
    assert t == {"100": 100.0, "250.5": 250.5} and unit == "taken"
    t, unit = fleet.parse_times(["2024-01-01", "2024-01-03T12:00:00+00:00"], "day")
    assert unit == "day" and t["2024-01-03T12:00:00+00:00"] - t["2024-01-01"] == 2.5
    with pytest.raises(UsageError, match="neither a number nor an ISO 8601"):
        fleet.parse_times(["100", "yesterday"], "taken")


def test_query_argument_errors(ds, tmp_path):
    with pytest.raises(UsageError, match="not a label"):
        fleet.outliers(ds, "stack", "comm")
    with pytest.raises(UsageError, match="also a --by key"):
        fleet.outliers(ds, "host", "host")
    with pytest.raises(UsageError, match="different columns"):
        fleet.growth(ds, "stack", "host", "host")
    with pytest.raises(UsageError, match="no such dataset"):
        fleet.top(tmp_path / "nope", "host")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="not a fleet dataset"):
        fleet.top(tmp_path / "empty", "host")


def test_an_empty_dataset_answers_with_empty_tables(tmp_path):
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    r = fleet.ingest([empty], tmp_path / "ds", labels=["host=a", "taken=1"], workers=0)
    assert r.ok and len(FD.committed_ids(tmp_path / "ds")) == 1
    assert len(fleet.top(tmp_path / "ds", "host")) == 0
    assert len(fleet.outliers(tmp_path / "ds", "stack", "host")) == 0
    assert len(fleet.growth(tmp_path / "ds", "stack", "host", "taken")) == 0


# --- the extra --------------------------------------------------------------------------------

def test_pf_fleet_is_the_subpackage():
    assert pf.fleet is fleet and pf.fleet.ingest is fleet.ingest


def test_the_base_import_stays_light():
    code = ("import sys, pageowner_fast, pageowner_fast.fleet, pageowner_fast.cli.fleet; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed', 'pyarrow', 'pandas')))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert p.stdout.strip() == "[]"


def test_a_missing_extra_names_the_install_command(monkeypatch, tmp_path):
    for m in ("dask", "distributed", "dask.dataframe"):
        monkeypatch.setitem(sys.modules, m, None)     # `import m` raises ImportError
    with pytest.raises(PageOwnerError, match=r'pip install "pageowner-fast\[fleet\]"'):
        fleet.ingest([tmp_path], tmp_path / "ds")
    with pytest.raises(PageOwnerError, match=r'pip install "pageowner-fast\[fleet\]"'):
        fleet.top(tmp_path, "host")
