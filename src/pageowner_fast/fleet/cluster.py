"""Where the tasks run: in this process for a handful of small inputs, on a `LocalCluster`
sized to the machine by default, or on a running Dask cluster (``scheduler="tcp://host:8786"``)
-- the same task function everywhere.

A runner maps the task over the jobs and yields ``(job, summary or exception)`` as each
finishes; a task whose worker dies is re-run by Dask on another worker (its files are renamed
into place under fixed names, so a re-run replaces rather than adds), and a failure of one
job never stops the others.
"""
from __future__ import annotations

import contextlib
import importlib
import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

from .. import _engine
from ..exceptions import PageOwnerError, UsageError
from . import _deps
from .task import Job, Settings, run, run_batch

Outcome = tuple[Job, "dict[str, Any] | BaseException"]

SMALL_COUNT = 4              # this many inputs or fewer ...
SMALL_BYTES = 256 << 20      # ... of at most this many bytes: no cluster, run them here
BATCH_BYTES = 64 << 20       # small dumps share a task up to this many input bytes ...
TASKS_PER_THREAD = 4         # ... while every worker thread still gets this many tasks


def batches(jobs: Sequence[Job], threads: int) -> list[list[Job]]:
    """The jobs in tasks: consecutive dumps together up to BATCH_BYTES of input, and at most
    as many per task as leaves TASKS_PER_THREAD tasks for each of ``threads`` worker threads
    (for balance, and so that a retry redoes little). An input of unknown size (a pipe, a
    device) is a task of its own."""
    cap = max(1, math.ceil(len(jobs) / (TASKS_PER_THREAD * max(1, threads))))
    out: list[list[Job]] = []
    cur: list[Job] = []
    size = 0
    for j in jobs:
        if not j.regular:
            out.append([j])
            continue
        if cur and (size + j.size > BATCH_BYTES or len(cur) >= cap):
            out.append(cur)
            cur, size = [], 0
        cur.append(j)
        size += j.size
    if cur:
        out.append(cur)
    return out


def task_key(batch: Sequence[Job]) -> str:
    """A batch's Dask key: its first dump's id (and how many more): stable across retries."""
    more = f"-and-{len(batch) - 1}" if len(batch) > 1 else ""
    return f"pageowner-fast-ingest-{batch[0].dump_id}{more}"


def _version() -> str:
    """Runs on each worker before any task: imports what a task needs (the scanner, pyarrow),
    so that a worker without them fails here, in one clear line, and the first tasks do not
    pay for the imports; returns the pageowner-fast version the worker runs."""
    for module in ("pageowner_fast.fleet.task", "pageowner_fast._engine", "pyarrow.parquet"):
        importlib.import_module(module)
    return str(importlib.import_module("pageowner_fast").__version__)


class Runner:
    """Runs the task over the jobs; `describe` says where (for the summary line)."""

    describe = ""
    threads: int | None = 1

    def map(self, jobs: Sequence[Job], settings: Settings) -> Iterator[Outcome]:
        """(job, its summary or the exception that stopped it), as each finishes."""
        raise NotImplementedError


class InProcess(Runner):
    """One job after another in this process: the scanner takes its default threads."""

    describe = "in this process"
    threads = None

    def map(self, jobs: Sequence[Job], settings: Settings) -> Iterator[Outcome]:
        for job in jobs:
            try:
                yield job, run(job, settings)
            except Exception as e:   # one bad input never stops the others
                yield job, e


class DaskRunner(Runner):
    """Futures on a distributed Client, one task per batch of jobs (`batches`)."""

    def __init__(self, client: Any, describe: str) -> None:
        self.client = client
        self.describe = describe

    def check_workers(self) -> None:
        """Every connected worker must import this pageowner-fast (the same version)."""
        from .._version import __version__
        try:
            got = self.client.run(_version)
        except Exception as e:   # unpickling on a worker without the package
            raise PageOwnerError(f"the Dask workers cannot run pageowner-fast ({type(e).__name__}: "
                                 f"{e}); install it on every worker: pip install "
                                 f"\"pageowner-fast[fleet]=={__version__}\"") from None
        bad = {w: v for w, v in got.items() if v != __version__}
        if bad:
            w, v = next(iter(bad.items()))
            raise PageOwnerError(f"Dask worker {w} runs pageowner-fast {v}, this process "
                                 f"{__version__}: install the same version on every worker")

    def map(self, jobs: Sequence[Job], settings: Settings) -> Iterator[Outcome]:
        distributed = _deps.need("distributed")
        if not jobs:
            return
        threads = sum(self.client.nthreads().values())
        by_key = {task_key(b): b for b in batches(jobs, threads)}
        futures = self.client.map(run_batch, list(by_key.values()), settings=settings,
                                  key=list(by_key), pure=False)
        for fut in distributed.as_completed(futures, loop=self.client.loop):
            batch = by_key[fut.key]
            if fut.status == "error":
                exc = fut.exception()
                err = exc if isinstance(exc, BaseException) else RuntimeError(str(exc))
                for job in batch:
                    yield job, err
            else:
                yield from zip(batch, fut.result())
            fut.release()


def _local_workers(workers: int | None, jobs: Sequence[Job]) -> int:
    """0 (run here) or the number of local worker processes."""
    if workers is not None:
        return workers
    if len(jobs) <= SMALL_COUNT and sum(j.size for j in jobs) <= SMALL_BYTES:
        return 0
    n = _engine.usable_cpus()
    return 0 if n < 2 else min(n, len(jobs))


@contextlib.contextmanager
def runner(*, scheduler: str | None = None, workers: int | None = None, client: Any = None,
           jobs: Sequence[Job] = ()) -> Iterator[Runner]:
    """The runner for an ingest. ``client``: a `distributed.Client` the caller owns;
    ``scheduler``: the address of a running scheduler (``tcp://host:8786``); else ``workers``
    local worker processes (one scan thread each) -- 0 runs in this process, None decides by
    the inputs (a handful of small ones: here; else one worker per usable CPU)."""
    if scheduler is not None and workers is not None:
        raise UsageError("give either --scheduler or --workers, not both")
    if workers is not None and (isinstance(workers, bool) or not 0 <= workers <= 1024):
        raise UsageError(f"--workers must be a whole number from 0 to 1024, not {workers!r}")
    if not jobs:   # nothing to do (all present on resume): no cluster to start
        yield InProcess()
        return
    if client is not None:
        r = DaskRunner(client, f"on the Dask cluster of {client.scheduler.address}")
        r.check_workers()
        yield r
        return
    if scheduler is None:
        n = _local_workers(workers, jobs)
        if n == 0:
            yield InProcess()
            return
    distributed = _deps.need("distributed")
    if scheduler is not None:
        try:
            c = distributed.Client(scheduler, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise PageOwnerError(f"--scheduler {scheduler}: cannot connect ({e})") from None
        with c:
            r = DaskRunner(c, f"on the Dask cluster at {scheduler}")
            r.check_workers()
            yield r
        return
    try:
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None, host="127.0.0.1",
                                           silence_logs=logging.CRITICAL)
    except RuntimeError as e:
        raise PageOwnerError(
            f"could not start {n} local Dask worker processes ({e}): a script that ingests "
            "needs an `if __name__ == \"__main__\":` guard (the workers start by importing "
            "it), or run in this process with workers=0") from None
    with cluster, distributed.Client(cluster, set_as_default=False) as c:
        r = DaskRunner(c, f"on a local Dask cluster of {n} worker process{'es' if n > 1 else ''}")
        r.check_workers()   # the same package, of course: this warms the workers up
        yield r
