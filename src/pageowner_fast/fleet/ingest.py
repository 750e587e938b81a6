"""`ingest`: many dumps into one Parquet dataset, each dump scanned by a task on a Dask worker
(or in this process), only its aggregates written.

The driver (this process) lists the inputs, gives each its labels and id, and checks them all
before any work (a label value that would break the layout is refused here, never written);
then it runs one task per dump (`task.run`), reports each failure by name as it comes, and at
the end merges the small per-dump ``stacks`` and ``dumps`` files into one table each.
"""
from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..analysis import parse_page_size
from ..analysis.units import PageSize
from ..exceptions import InputOpenError, OutputError, PageOwnerError, UsageError
from . import _deps
from .cluster import runner
from .labels import PathLabels, check_name, merge, parse_labels
from .layout import DUMPS, STACKS, Dataset, Meta, dump_id
from .task import Job, Settings

Report = Callable[[str], None]
Progress = Callable[[int, int], None]


@dataclass
class IngestResult:
    """What an ingest did. ``ingested``: one summary per dump written (path, dump_id, rows,
    stacks, pages, blocks, bytes_read, seconds, worker); ``skipped``: paths already in the
    dataset (``resume=True``); ``failed``: (path, message) of each dump not written;
    ``where``: where the tasks ran."""

    dataset: str
    ingested: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    where: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def bytes_read(self) -> int:
        return sum(int(s.get("bytes_read") or 0) for s in self.ingested)

    @property
    def rows(self) -> int:
        return sum(int(s.get("rows") or 0) for s in self.ingested)


def _walk(top: str, skip: str) -> list[str]:
    """The files under a folder (hidden ones and the dataset itself left out), sorted."""
    out: list[str] = []
    for d, dirs, files in os.walk(top):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".")
                         and os.path.abspath(os.path.join(d, x)) != skip)
        out.extend(os.path.join(d, f) for f in sorted(files) if not f.startswith("."))
    return out


def expand(inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], out: str) -> list[str]:
    """Input paths: files as given, folders as the files under them; each path once. An input
    that does not exist is an error before any work (InputOpenError, exit 1)."""
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    if not items:
        raise UsageError("no input given")
    skip = os.path.abspath(out)
    seen: set[str] = set()
    paths = []
    for item in items:
        p = os.fspath(item)
        if p == "-":
            raise UsageError("fleet ingest reads files the workers can open, not standard input")
        if not os.path.exists(p):
            raise InputOpenError(f"{p}: no such file or folder; nothing written")
        for f in (_walk(p, skip) if os.path.isdir(p) else [p]):
            a = os.path.abspath(f)
            if a not in seen:
                seen.add(a)
                paths.append(f)
    if not paths:
        raise UsageError(f"no input files under {', '.join(os.fspath(i) for i in items)}")
    return paths


def plan(paths: Sequence[str], given: dict[str, str], from_path: PathLabels
         ) -> tuple[list[Job], list[tuple[str, str]]]:
    """A job per input that can be stat'ed (its labels checked: UsageError for any refused
    value), and (path, message) for each that cannot."""
    jobs, missing = [], []
    for p in paths:
        labels = merge(from_path(p), given, p)
        try:
            s = os.stat(p)
        except OSError as e:
            missing.append((p, str(InputOpenError(f"{p}: {e.strerror or e}"))))
            continue
        if stat.S_ISDIR(s.st_mode):   # pragma: no cover - expand() walks folders
            continue
        a = os.path.abspath(p)
        jobs.append(Job(a, dump_id(a, s.st_size, s.st_mtime_ns), s.st_size, s.st_mtime_ns,
                        stat.S_ISREG(s.st_mode), labels))
    return jobs, missing


def _message(exc: BaseException) -> str:
    if type(exc).__name__ == "KilledWorker":
        return "the workers running it died again and again (out of memory?); nothing written"
    text = " ".join(str(exc).splitlines())
    return text if isinstance(exc, PageOwnerError) else f"{type(exc).__name__}: {text}"


def ingest(inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
           out: str | os.PathLike[str], *,
           labels: Iterable[str] | Mapping[str, str] | None = None, labels_from: str | None = None,
           partition_by: str | None = None, normalize: bool = False, page_size: PageSize = 4096,
           resume: bool = False, scheduler: str | None = None, workers: int | None = None,
           client: Any = None, threads: int | None = None, progress: Progress | None = None,
           report: Report | None = None) -> IngestResult:
    """Scan dumps into a fleet dataset at ``out`` (created if missing; see `layout`).

    ``inputs``: paths or folders of dumps in any form this package reads (plain, .gz, .xz,
    .zst; full dumps, kernel logs, show_stacks files), readable by the workers at the same
    path. ``labels``: ``["host=a", ...]`` or ``{"host": "a"}`` for every input;
    ``labels_from``: a regular expression whose named groups are searched in each input's
    path. ``partition_by``: the label whose values name the hive folders (default: the first
    label). ``normalize``: stacks keyed without offsets and compiler suffixes (fixed per
    dataset). ``resume``: skip dumps already in the dataset (same path, size and mtime).
    ``scheduler``: a Dask scheduler's address; ``client``: a distributed Client; else
    ``workers`` local worker processes (0: this process; default: by the inputs).
    ``threads``: scan threads per task (default 1 on a cluster). ``progress(done, total)``
    after each dump; ``report(message)`` for each dump that fails.

    A dump that cannot be read or parsed is reported and skipped (nothing is written for it);
    the others go on: check ``result.failed``. UsageError before any work for bad options or
    label values."""
    _deps.check()
    t0 = time.perf_counter()
    ps = parse_page_size(page_size)
    given = parse_labels(labels)
    from_path = PathLabels(labels_from)
    names = list(from_path.names) + [n for n in given if n not in from_path.names]
    if partition_by is not None:
        check_name(partition_by, "--partition-by")
        if partition_by not in names:
            raise UsageError(f"--partition-by {partition_by}: not a label of this ingest "
                             f"({', '.join(names) or 'no labels given'})")
    root = os.fspath(out)
    jobs, missing = plan(expand(inputs, root), given, from_path)
    meta = Meta(names, partition_by, bool(normalize))
    ds = Dataset.for_ingest(root, meta)
    result = IngestResult(ds.root)
    for path, msg in missing:
        result.failed.append((path, msg))
        if report is not None:
            report(msg)
    with ds.lock():
        ds.remove_temporary()
        if resume:
            present = ds.committed()
            result.skipped = [j.path for j in jobs if j.dump_id in present]
            jobs = [j for j in jobs if j.dump_id not in present]
        with runner(scheduler=scheduler, workers=workers, client=client, jobs=jobs) as r:
            result.where = r.describe
            settings = Settings(ds.root, ds.meta, ps, threads if threads is not None else r.threads)
            if progress is not None:
                progress(0, len(jobs))
            for done, (job, got) in enumerate(r.map(jobs, settings), 1):
                err = _message(got) if isinstance(got, BaseException) else got.get("error")
                if err is not None:
                    msg = err if err.startswith(job.path) else f"{job.path}: {err}"
                    result.failed.append((job.path, msg))
                    if report is not None:
                        report(msg)
                elif isinstance(got, dict):
                    result.ingested.append(got)
                if progress is not None:
                    progress(done, len(jobs))
        try:
            ds.remove_temporary()
            ds.compact(DUMPS, "dump_id", keep=set(ds.committed()))
            ds.compact(STACKS, "stack")
        except OSError as e:   # the dumps are in; the next ingest merges the tables
            raise OutputError(f"{ds.root}: merging the stacks and dumps tables: "
                              f"{e.strerror or e}") from None
    result.seconds = time.perf_counter() - t0
    return result
