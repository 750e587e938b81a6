"""Loading the inputs of an analysis: any mix of dumps and page_owner_stacks files, several
at once on threads (the scanner releases the GIL while it scans)."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .. import _engine
from .._engine import Progress
from .._source import Source
from ..dump import Dump
from ..exceptions import UsageError
from ..stacks import StackFile, load_any

AnySource = Source | Dump | StackFile
T = TypeVar("T")

MAX_WORKERS = 4


def _threads_for(src: AnySource, share: int) -> int:
    """Scanner threads for one of several inputs read at once: its own default (by size),
    at most its share of the CPUs."""
    try:
        size = os.path.getsize(src) if isinstance(src, (str, os.PathLike)) and src != "-" else 0
    except OSError:
        size = 0
    return min(share, _engine.default_threads(size))


def load_sources(sources: Iterable[AnySource], *, threads: int | None = None,
                 then: Callable[[Dump | StackFile], T] | None = None,
                 aggregate: bool = True, progress: Progress | None = None,
                 fold_key: Iterable[str] | None = None) -> list[Any]:
    """load_any() each source (a loaded Dump or StackFile is taken as it is), then apply
    ``then`` to it in the same worker. Two or more inputs are read in parallel threads, which
    share the CPUs unless ``threads`` says how many scanner threads each input gets.
    ``aggregate``: fold identical blocks into one row while reading (enough for per-key
    counts; False keeps one row per block, which time windows need; ``fold_key``: fold by
    those fields only, see `load`).
    ``progress(nbytes)``: called as the inputs are read (one callable for all of them)."""
    _engine.check_threads(threads)
    sources = list(sources)
    if sum(1 for s in sources if isinstance(s, str) and s == "-") > 1:
        raise UsageError("standard input ('-') can be read only once")
    cpus = _engine.usable_cpus()
    workers = min(len(sources), cpus, MAX_WORKERS)
    share = max(1, cpus // max(1, workers))

    def work(src: AnySource) -> Any:
        n = threads if threads is not None or workers < 2 else _threads_for(src, share)
        got = load_any(src, aggregate=aggregate, threads=n, progress=progress, fold_key=fold_key)
        return then(got) if then is not None else got

    if workers < 2:
        return [work(s) for s in sources]
    from concurrent.futures import ThreadPoolExecutor  # here: it imports logging
    with ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(work, sources))
