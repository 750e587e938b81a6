"""A small generated fleet for the fleet tests, and the references they compare with: a plain
loop over `load()` that counts the aggregates with a dict (not with `group_by`), and the
dataset read back the way a user would (pyarrow's hive dataset), not through `pf.fleet`.

The fleet: six hosts of one kernel (6.7), two snapshots each (taken=100 and 200), dumps of one
seed cut at different lengths (so every key varies a little from host to host), written plain,
.gz, .xz and .zst. Host h3 leaks: a rare call path planted with 1,500 blocks at taken=100 and
3,000 at taken=200 -- its stack (from the generator's own account) is the expected first
outlier and the fastest grower.
"""
from __future__ import annotations

import functools
import gzip
import lzma
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

REGEX = r"(?P<host>[^/]+)/(?P<kernel>[^/]+)/(?P<taken>\d+)\.txt"
HOSTS = ("h0", "h1", "h2", "h3", "h4", "h5")
LEAKY = "h3"
LEAK_PATH = 350      # of a pool of N_PATHS call paths (Zipf rank: a rare one)
N_PATHS = 400
LEAK_BLOCKS = {100: 1500, 200: 3000}
KEYS = ("stack", "comm", "module", "allocator", "migratetype", "memcg")


def _compress(data: bytes, suffix: str) -> bytes:
    if suffix == ".gz":
        return gzip.compress(data, mtime=0)
    if suffix == ".xz":
        return lzma.compress(data, preset=0)
    if suffix == ".zst":
        import zstandard
        return zstandard.ZstdCompressor(level=1).compress(data)
    return data


@functools.cache
def _dump(blocks: int, planted: int, suffix: str) -> tuple[bytes, str | None]:
    """One dump's bytes (generated once per test session) and the planted stack's text."""
    import io

    from pageowner_fast import gen
    buf = io.BytesIO()
    plant = [{"path": LEAK_PATH, "blocks": planted}] if planted else None
    truth = gen.generate(buf, blocks=blocks, seed=11, n_paths=N_PATHS, plant=plant)
    return _compress(buf.getvalue(), suffix), (truth["planted"][0]["stack"] if planted else None)


def make_fleet(root: Path, *, blocks: int = 700) -> dict[str, Any]:
    """Write the fleet under ``root/<host>/6.7/<taken>.txt[.gz|.xz|.zst]``; returns
    ``{"files": {path: labels}, "leak_stack": frames of the planted path}``."""
    files: dict[str, dict[str, str]] = {}
    leak_stack = None
    suffixes = ("", ".gz", ".xz", ".zst")
    for i, host in enumerate(HOSTS):
        for j, taken in enumerate((100, 200)):
            suffix = suffixes[(i + j) % len(suffixes)]
            planted = LEAK_BLOCKS[taken] if host == LEAKY else 0
            data, stack = _dump(blocks + 40 * i + 150 * j, planted, suffix)
            leak_stack = stack or leak_stack
            p = root / host / "6.7" / f"{taken}.txt{suffix}"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            files[str(p)] = {"host": host, "kernel": "6.7", "taken": str(taken)}
    from pageowner_fast.stacks import frames_of
    assert leak_stack is not None
    return {"files": files, "leak_stack": frames_of(leak_stack)}


def lab_in(tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """(folder, make_fleet's account): the body of each fleet test module's ``lab`` fixture."""
    root = tmp_path_factory.mktemp("lab")
    return root, make_fleet(root)


def plain_loop(files: dict[str, dict[str, str]], normalize: bool = False) -> dict[tuple, list[int]]:
    """{(path, stack hash, comm, module, allocator, migratetype, memcg): [pages, bytes, blocks]}
    for full dumps, row by row of `load()` (identical blocks folded, with their count) into a
    dict: no grouping code of the package."""
    import pageowner_fast as pf
    from pageowner_fast import _fields as F
    from pageowner_fast.analysis import memcg_of, normalize_stack
    from pageowner_fast.fleet import stack_hash
    from pageowner_fast.stacks import frames_of
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for path in files:
        d = pf.load(path, aggregate=True)
        empty = d.empty_mask()
        for r in range(len(d)):
            if empty[r]:
                continue
            text = d.stacks[d.stack_id[r]]
            fr = frames_of(text)
            if normalize:
                fr = normalize_stack(fr)
            mt = int(d.migratetype[r])
            key = (os.path.abspath(path), stack_hash(fr), d.comms.text(d.comm_id[r]),
                   d.modules.text(d.module_id[r]),
                   " ".join(F.allocator_names(int(d.allocator[r]))) or "-",
                   F.MIGRATETYPES[mt] if 0 <= mt < len(F.MIGRATETYPES) else "unknown",
                   memcg_of(text))
            acc = out[key]
            acc[0] += int(d.pages[r])
            acc[1] += int(d.pages[r]) * 4096
            acc[2] += int(d.count[r])
    return dict(out)


def dataset_loop(root: str | Path) -> dict[tuple, list[int]]:
    """The same mapping read from a dataset with pyarrow alone (hive partitions), each dump's
    path from the dumps table. Fails if a (dump, key) row is there twice."""
    import pyarrow as pa
    import pyarrow.dataset as pds
    meta = __import__("json").loads((Path(root) / "_fleet.json").read_text())
    part = pds.partitioning(pa.schema([(meta["partition_by"], pa.string())]), flavor="hive") \
        if meta["partition_by"] else None
    agg = pds.dataset(str(Path(root) / "aggregates"), format="parquet", partitioning=part).to_table()
    dumps = pds.dataset(str(Path(root) / "dumps"), format="parquet").to_table().to_pylist()
    paths = {d["dump_id"]: d["path"] for d in dumps}
    out: dict[tuple, list[int]] = {}
    for r in agg.to_pylist():
        key = (paths[r["dump_id"]], *(r[k] for k in KEYS))
        assert key not in out, f"row twice: {key}"
        out[key] = [r["pages"], r["bytes"], r["blocks"]]
    return out


def committed_ids(root: str | Path) -> list[str]:
    """The dump ids of the aggregates files, one per file (a duplicate would show twice)."""
    return sorted(p.name[len("dump-"):-len(".parquet")]
                  for p in (Path(root) / "aggregates").rglob("dump-*.parquet"))


def leftovers(root: str | Path) -> list[str]:
    return [str(p) for p in Path(root).rglob(".*.tmp")]


def polyfit_slope(t: list[float], y: list[float]) -> float:
    return float(np.polyfit(np.asarray(t, float), np.asarray(y, float), 1)[0])
