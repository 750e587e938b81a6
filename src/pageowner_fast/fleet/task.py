"""One dump, on a worker: scan it, group its blocks by the fleet keys, and write its three files
(dumps row, stacks, aggregates -- the aggregates last: that rename commits the dump).

What leaves the worker is a summary of a few hundred bytes; what it reads is a path that the
workers can reach (a shared file system), never the dump's bytes sent over the network.
"""
from __future__ import annotations

import datetime
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from .. import analysis
from .._version import __version__
from ..dump import Dump
from ..exceptions import PageOwnerError, UnsupportedKeyError
from ..stacks import StackFile, load_any
from . import _deps
from .layout import AGG, DUMPS, KEYS, STACKS, Dataset, Meta, stack_hash


@dataclass(frozen=True)
class Job:
    """One input of an ingest: where it is, what it was when the ingest started, its labels."""

    path: str
    dump_id: str
    size: int
    mtime_ns: int
    regular: bool
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """What every task of one ingest shares."""

    root: str
    meta: Meta
    page_size: int = 4096
    threads: int | None = 1


@dataclass
class Aggregates:
    """A dump's rows, before they are written: column name -> list of values."""

    columns: dict[str, list[Any]]
    stacks: dict[str, tuple[str, ...]]   # hash -> frames
    kind: str
    blocks: int | None
    pages: int


def keys_for(src: Dump | StackFile) -> list[str]:
    """The fleet keys this source has: all six for a dump, those a kernel log has, only the
    stack for a show_stacks file; the rest are null in its rows."""
    kind = src.kind
    keys = [k for k in KEYS if kind in analysis.KEYS[k].sources]
    if not keys:
        raise UnsupportedKeyError(f"{src.source} is a {kind} file, which has no stack frames "
                                  "with page counts; ingest the show_stacks file instead")
    return keys


def _group(src: Dump | StackFile, keys: list[str], page_size: int,
           normalize: bool) -> analysis.Grouped:
    try:
        return analysis.group_loaded(src, keys, page_size=page_size, normalize=normalize)
    except UnsupportedKeyError:
        if isinstance(src, StackFile) or len(keys) == 1:
            raise
    # a dump of an old kernel lacks a field (comm before 5.18, migratetype before 4.6): keep
    # the keys it has, the others are null
    have = []
    for k in keys:
        try:
            analysis.group_loaded(src, [k], page_size=page_size)
            have.append(k)
        except UnsupportedKeyError:
            pass
    return analysis.group_loaded(src, have or ["stack"], page_size=page_size, normalize=normalize)


def aggregate(src: Dump | StackFile, *, normalize: bool, page_size: int) -> Aggregates:
    """The rows of one loaded source: one per (stack hash, comm, module, allocator,
    migratetype, memcg) with pages, bytes and blocks (null for a show_stacks file), largest
    first; and its stacks (hash -> frames)."""
    g = _group(src, keys_for(src), page_size, normalize)
    order = g.ranked()
    cols: dict[str, list[Any]] = {k: [None] * len(order) for k in KEYS}
    hashes: dict[tuple[str, ...], str] = {}
    for j, name in enumerate(g.by):
        vals = [g.keys[i][j] for i in order]
        if name == "stack":
            for frames in set(vals):
                hashes[frames] = stack_hash(frames)
            vals = [hashes[f] for f in vals]
        cols[name] = vals
    pages, nbytes = g.pages.tolist(), g.bytes.tolist()
    blocks = None if g.blocks is None else g.blocks.tolist()
    cols["pages"] = [int(pages[i]) for i in order]
    cols["bytes"] = [int(nbytes[i]) for i in order]
    cols["blocks"] = [None if blocks is None else int(blocks[i]) for i in order]
    return Aggregates(cols, {h: f for f, h in hashes.items()}, src.kind, g.total_blocks,
                      g.total_pages)


def _tables(job: Job, st: Settings, agg: Aggregates) -> tuple[Any, Any, Any]:
    pa = _deps.need("pyarrow")
    meta = st.meta
    n = len(agg.columns["pages"])
    a: dict[str, Any] = {"dump_id": pa.array([job.dump_id] * n, pa.string())}
    for k in KEYS:
        a[k] = pa.array(agg.columns[k], pa.string())
    for k in ("pages", "bytes", "blocks"):
        a[k] = pa.array(agg.columns[k], pa.int64())
    for lab in meta.labels:
        if lab != meta.partition_by:
            a[lab] = pa.array([job.labels[lab]] * n, pa.string())
    hs = sorted(agg.stacks)
    stacks = pa.table({"stack": pa.array(hs, pa.string()),
                       "frames": pa.array([list(agg.stacks[h]) for h in hs], pa.list_(pa.string())),
                       "label": pa.array([analysis.short_label(agg.stacks[h]) for h in hs], pa.string())})
    d: dict[str, Any] = {
        "dump_id": [job.dump_id], "path": [job.path], "size": [job.size],
        "mtime_ns": [job.mtime_ns], "kind": [agg.kind], "page_size": [st.page_size],
        "normalize": [meta.normalize], "rows": [n], "stacks": [len(hs)], "blocks": [agg.blocks],
        "pages": [agg.pages], "bytes": [agg.pages * st.page_size],
        "ingested_at": [datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")],
        "version": [__version__]}
    types = {"size": pa.int64(), "mtime_ns": pa.int64(), "page_size": pa.int64(), "rows": pa.int64(),
             "stacks": pa.int64(), "blocks": pa.int64(), "pages": pa.int64(), "bytes": pa.int64(),
             "normalize": pa.bool_()}
    dumps = pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in d.items()}
                     | {lab: pa.array([job.labels[lab]], pa.string()) for lab in meta.labels})
    return pa.table(a), stacks, dumps


def _unchanged(job: Job) -> None:
    if not job.regular:
        return
    try:
        s = os.stat(job.path)
    except OSError as e:
        raise PageOwnerError(f"{job.path}: {e.strerror or e} (on worker {socket.gethostname()})") from None
    if (s.st_size, s.st_mtime_ns) != (job.size, job.mtime_ns):
        raise PageOwnerError(f"{job.path}: changed since the ingest started (size or mtime); "
                             "run the ingest again")


def run(job: Job, settings: Settings) -> dict[str, Any]:
    """Ingest one dump into the dataset. Returns a summary (``error`` set, and nothing
    written, when the input cannot be read or parsed). Safe to run twice, at once or after a
    crash: each file is renamed into place under a name fixed by the dump's id."""
    t0 = time.perf_counter()
    out: dict[str, Any] = {"path": job.path, "dump_id": job.dump_id, "worker":
                           f"{socket.gethostname()}:{os.getpid()}"}
    try:
        _unchanged(job)
        src = load_any(job.path, aggregate=True, threads=settings.threads)
        agg = aggregate(src, normalize=settings.meta.normalize, page_size=settings.page_size)
        aggs, stacks, dumps = _tables(job, settings, agg)
    except (PageOwnerError, OverflowError) as e:
        return dict(out, error=" ".join(str(e).splitlines()))
    ds = Dataset(settings.root, settings.meta)
    name = f"dump-{job.dump_id}.parquet"
    ds.write_table(dumps, os.path.join(ds.dir(DUMPS), name))
    ds.write_table(stacks, os.path.join(ds.dir(STACKS), name))
    part = job.labels.get(settings.meta.partition_by) if settings.meta.partition_by else None
    ds.write_table(aggs, os.path.join(ds.dir(AGG, part), name))   # the commit
    return dict(out, rows=aggs.num_rows, stacks=stacks.num_rows, pages=agg.pages,
                blocks=agg.blocks, bytes_read=job.size, seconds=time.perf_counter() - t0)


def run_batch(jobs: list[Job], settings: Settings) -> list[dict[str, Any]]:
    """Several small dumps in one task: a Dask task costs a few milliseconds of scheduling,
    as much as scanning a dump of a few MB, so small dumps share tasks (`cluster.batches`).
    Each dump is still on its own: written under its own names (a retried batch rewrites the
    same files), or an error summary that does not stop the others."""
    out = []
    for job in jobs:
        try:
            out.append(run(job, settings))
        except Exception as e:   # e.g. a write error: this dump fails, the batch goes on
            out.append({"path": job.path, "dump_id": job.dump_id,
                        "error": f"{type(e).__name__}: {' '.join(str(e).splitlines())}"})
    return out
