"""Questions to a fleet dataset, answered with Dask DataFrame group-bys (the rows of the
aggregates are reduced to one per key, or per key and machine, on the workers; only that
reaches this process), and the robust statistics of `robust` on the result.

* `top`: pages, bytes, blocks and dumps per key (a key column or a label), largest first;
* `outliers`: per key, the machines (values of a label) far above the key's median across
  the fleet, by a robust z-score (`robust.scores`);
* `growth`: per key and machine, the least-squares slope of pages over a time label.

Each returns a `ResultTable` (``key``: the key's value -- a stack's hash for ``stack``, with
its short ``label`` beside it -- or a tuple for several keys).
"""
from __future__ import annotations

import contextlib
import datetime
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..analysis import ResultTable, sort_token
from ..exceptions import PageOwnerError, UsageError
from . import _deps, read, robust
from .layout import KEYS, Dataset

DatasetArg = Any   # a Dataset or its folder
WhereArg = Iterable[str] | Mapping[str, Any] | None

DEFAULT_THRESHOLD = 3.5
DEFAULT_MIN_PAGES = 64
DEFAULT_REL_FLOOR = 0.05


@contextlib.contextmanager
def _compute_on(scheduler: str | None, client: Any) -> Iterator[Any]:
    """A callable that computes a Dask collection: on ``client``, on a new client of
    ``scheduler``, or with Dask's threads in this process (no cluster to start)."""
    if client is not None:
        yield lambda x: client.compute(x).result()
        return
    if scheduler is None:
        yield lambda x: x.compute(scheduler="threads")
        return
    distributed = _deps.need("distributed")
    try:
        c = distributed.Client(scheduler, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise PageOwnerError(f"--scheduler {scheduler}: cannot connect ({e})") from None
    with c:
        yield lambda x: c.compute(x).result()


def _keys(ds: Dataset, by: str | Sequence[str], what: str = "--by") -> list[str]:
    names = [b.strip() for b in by.split(",")] if isinstance(by, str) else [str(b) for b in by]
    allowed = [*KEYS, *ds.meta.labels, "dump_id"]
    if not names or any(n not in allowed for n in names):
        raise UsageError(f"{what} {','.join(names)}: choose from {', '.join(allowed)}")
    if len(set(names)) != len(names):
        raise UsageError(f"{what}: a key is repeated")
    return names


def _label(ds: Dataset, what: str, name: str) -> str:
    if name not in [*ds.meta.labels, "dump_id"]:
        raise UsageError(f"{what} {name}: not a label of this dataset (its labels: "
                         f"{', '.join(ds.meta.labels) or 'none'}; or dump_id)")
    return name


def _value(v: Any) -> Any:
    if v is None or v is getattr(_deps.need("pandas"), "NA", None):
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _key_of(row: Sequence[Any]) -> Any:
    vals = tuple(_value(v) for v in row)
    return vals[0] if len(vals) == 1 else vals


def _stack_labels(ds: Dataset, names: list[str], keys: list[Any]) -> list[str | None] | None:
    """The short label of each key's stack, when the grouping has the stack."""
    if "stack" not in names:
        return None
    j = names.index("stack")
    hs = [k if len(names) == 1 else k[j] for k in keys]
    st = read.stacks(ds, [h for h in hs if h is not None])
    lab = dict(zip(st["stack"].tolist(), st["label"].tolist())) if len(st) else {}
    return [lab.get(h) for h in hs]


def _pages_value(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(float(v), 3)


def top(dataset: DatasetArg, by: str | Sequence[str] = "stack", *, where: WhereArg = None,
        k: int | None = None, scheduler: str | None = None, client: Any = None) -> ResultTable:
    """Pages, bytes, blocks and dumps (how many dumps have the key) per key across the
    dataset -- or the dumps that ``where`` selects -- largest first. ``by``: stack, comm,
    module, allocator, migratetype, memcg, dump_id or any label; several comma-separated."""
    _deps.check()
    ds = read.dataset_path(dataset)
    names = _keys(ds, by)
    w = read.parse_where(ds, where)
    per = list(dict.fromkeys([*names, "dump_id"]))
    df = read.aggregates(ds, [*per, "pages", "bytes", "blocks"], w)
    # per key and dump first: then each row of the second sum is one dump
    per_dump = df.groupby(per, dropna=False)[["pages", "bytes", "blocks"]].sum().reset_index()
    g = per_dump.assign(dumps=1).groupby(names, dropna=False)[
        ["pages", "bytes", "blocks", "dumps"]].sum()
    with _compute_on(scheduler, client) as compute:
        res = compute(g).reset_index()
    rows = []
    n = len(names)
    for rec in res[[*names, "pages", "bytes", "blocks", "dumps"]].itertuples(index=False, name=None):
        rows.append({"key": _key_of(rec[:n]), "pages": int(rec[n]), "bytes": int(rec[n + 1]),
                     "blocks": int(rec[n + 2]), "dumps": int(rec[n + 3])})
    rows.sort(key=lambda r: (-r["pages"], -r["blocks"], sort_token(r["key"])))
    total = sum(r["pages"] for r in rows)
    rows = rows[:k] if k else rows
    labels = _stack_labels(ds, names, [r["key"] for r in rows])
    cols = ["key", "pages", "bytes", "blocks", "dumps"]
    if labels is not None:
        cols.append("label")
        for r, lab in zip(rows, labels):
            r["label"] = lab
    meta = {"dataset": ds.root, "where": w, "total_pages": total}
    return ResultTable(cols, rows, by=names, meta=meta)


def _machine_pages(ds: Dataset, names: list[str], across: str, w: read.Where,
                   extra: Sequence[str], compute: Any) -> tuple[Any, Any]:
    """(pages per key, machine and extra columns; dumps per machine [with extra])."""
    df = read.aggregates(ds, list(dict.fromkeys([*names, across, *extra, "dump_id", "pages"])), w)
    group = list(dict.fromkeys([*names, across, *extra]))
    pages = df.groupby(group, dropna=False)["pages"].sum().reset_index()
    mach = list(dict.fromkeys([across, *extra, "dump_id"]))
    per_dump = df[mach].drop_duplicates()
    p, d = compute(pages), compute(per_dump)
    return p, d


def outliers(dataset: DatasetArg, by: str | Sequence[str] = "stack", across: str = "host", *,
             where: WhereArg = None, k: int | None = None, threshold: float = DEFAULT_THRESHOLD,
             min_pages: float = DEFAULT_MIN_PAGES, rel_floor: float = DEFAULT_REL_FLOOR,
             scheduler: str | None = None, client: Any = None) -> ResultTable:
    """The machines whose pages of a key are far above that key's typical value across the
    fleet, highest score first.

    A machine's ``pages`` for a key: its pages in that key per dump of the machine (the mean
    over its dumps; 0 where the key is absent). ``median_pages``: the median of that over
    every machine of the (filtered) fleet. ``score``: (pages - median) / scale, scale being
    1.4826 x the MAD (median absolute deviation) of the same values, floored at ``min_pages``
    and at ``rel_floor`` x the median (`robust.scores`). Rows with score >= ``threshold``."""
    _deps.check()
    ds = read.dataset_path(dataset)
    names = _keys(ds, by)
    across = _label(ds, "--across", across)
    if across in names:
        raise UsageError(f"--across {across} is also a --by key")
    w = read.parse_where(ds, where)
    with _compute_on(scheduler, client) as compute:
        pages, per_dump = _machine_pages(ds, names, across, w, (), compute)
    ndumps = per_dump.groupby(across, dropna=False)["dump_id"].count()
    machines = ndumps.index.tolist()
    total = len(machines)
    if total == 0 or len(pages) == 0:
        return ResultTable(["key", across, "pages", "median_pages", "score"], [], by=names,
                           meta={"dataset": ds.root, "machines": 0})
    m_index = {m: i for i, m in enumerate(machines)}
    m_code = np.array([m_index[m] for m in pages[across].tolist()], dtype=np.int64)
    keys = [_key_of(t) for t in pages[names].itertuples(index=False, name=None)]
    k_index: dict[Any, int] = {}
    k_code = np.array([k_index.setdefault(kk, len(k_index)) for kk in keys], dtype=np.int64)
    x = pages["pages"].to_numpy(dtype=np.float64) / ndumps.to_numpy(dtype=np.float64)[m_code]
    med, mad = robust.median_mad(k_code, x, len(k_index), total)
    sc = robust.scores(x, med[k_code], mad[k_code], min_pages=min_pages, rel_floor=rel_floor)
    pick = np.flatnonzero(sc >= threshold)
    rows = [{"key": keys[i], across: _value(machines[m_code[i]]), "pages": _pages_value(x[i]),
             "median_pages": _pages_value(med[k_code[i]]), "score": round(float(sc[i]), 3)}
            for i in pick.tolist()]
    rows.sort(key=lambda r: (-r["score"], -r["pages"], sort_token(r["key"]), str(r[across])))
    rows = rows[:k] if k else rows
    cols = ["key", across, "pages", "median_pages", "score"]
    labels = _stack_labels(ds, names, [r["key"] for r in rows])
    if labels is not None:
        cols.append("label")
        for r, lab in zip(rows, labels):
            r["label"] = lab
    meta = {"dataset": ds.root, "where": w, "across": across, "machines": total,
            "threshold": threshold, "min_pages": min_pages, "rel_floor": rel_floor}
    return ResultTable(cols, rows, by=names, meta=meta)


def parse_times(values: Sequence[Any], label: str) -> tuple[dict[Any, float], str]:
    """({label value: time}, unit): numbers as they are, else ISO 8601 dates and times in
    days since 1970 (UTC unless they say otherwise). UsageError for anything else."""
    out: dict[Any, float] = {}
    try:
        for v in values:
            out[v] = float(v)
            if not math.isfinite(out[v]):
                raise ValueError(v)
        return out, label
    except (TypeError, ValueError):
        out = {}
    for v in values:
        try:
            t = datetime.datetime.fromisoformat(str(v))
        except ValueError:
            raise UsageError(f"--time {label}: {v!r} is neither a number nor an ISO 8601 date "
                             "or time") from None
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        out[v] = t.timestamp() / 86400.0
    return out, "day"


def growth(dataset: DatasetArg, by: str | Sequence[str] = "stack", across: str = "host",
           time: str = "taken", *, where: WhereArg = None, k: int | None = None,
           scheduler: str | None = None, client: Any = None) -> ResultTable:
    """Per key and machine, the least-squares slope of pages over the time label (pages per
    unit of it; per day for ISO dates), fastest growers first. Each dump of the machine is a
    point (0 pages where the key is absent); a machine needs two distinct times. Columns:
    key, the machine, slope, first_pages and last_pages (mean pages at the machine's first
    and last time), dumps (the machine's dumps)."""
    _deps.check()
    ds = read.dataset_path(dataset)
    names = _keys(ds, by)
    across = _label(ds, "--across", across)
    time = _label(ds, "--time", time)
    if across in names or time in names or across == time:
        raise UsageError("--by, --across and --time must name different columns")
    w = read.parse_where(ds, where)
    with _compute_on(scheduler, client) as compute:
        pages, per_dump = _machine_pages(ds, names, across, w, (time, "dump_id"), compute)
    cols = ["key", across, "slope", "first_pages", "last_pages", "dumps"]
    if len(pages) == 0:
        return ResultTable(cols, [], by=names, meta={"dataset": ds.root, "time": time})
    tmap, unit = parse_times(sorted(set(per_dump[time].tolist())), time)
    per_dump = per_dump.assign(t=[tmap[v] for v in per_dump[time].tolist()])
    pm = per_dump.groupby(across, dropna=False)["t"].agg(["mean", "count", "min", "max"])
    pm["s_tt"] = (per_dump.assign(d2=(per_dump["t"] - per_dump[across].map(pm["mean"])) ** 2)
                  .groupby(across, dropna=False)["d2"].sum())
    # dumps at a machine's first and last time, for first_pages and last_pages
    at = per_dump.assign(first=per_dump["t"] == per_dump[across].map(pm["min"]),
                         last=per_dump["t"] == per_dump[across].map(pm["max"]))
    n_first = at[at["first"]].groupby(across)["dump_id"].count()
    n_last = at[at["last"]].groupby(across)["dump_id"].count()
    # the slope from the points present only: with 0 pages at the machine's other dumps,
    # sum((t - mean t) * (y - mean y)) = sum((t - mean t) * y) over the points present, since
    # the deviations of t sum to 0 (mean t and s_tt are over all of the machine's dumps)
    p = pages.assign(t=[tmap[v] for v in pages[time].tolist()])
    p = p[p[across].map(pm["s_tt"]) > 0]
    mean_t, s_tt = p[across].map(pm["mean"]), p[across].map(pm["s_tt"])
    y = p["pages"].astype("float64")
    p = p.assign(contrib=(p["t"] - mean_t) * y / s_tt,
                 yfirst=np.where(p["t"] == p[across].map(pm["min"]), y, 0.0),
                 ylast=np.where(p["t"] == p[across].map(pm["max"]), y, 0.0))
    g = p.groupby([*names, across], dropna=False)[["contrib", "yfirst", "ylast"]].sum().reset_index()
    rows = []
    for rec in g.itertuples(index=False, name=None):
        key, m = _key_of(rec[:len(names)]), rec[len(names)]
        slope, yf, yl = rec[len(names) + 1:]
        rows.append({"key": key, across: _value(m), "slope": round(float(slope), 6),
                     "first_pages": _pages_value(yf / n_first[m]), "last_pages": _pages_value(yl / n_last[m]),
                     "dumps": int(pm["count"][m])})
    rows.sort(key=lambda r: (-r["slope"], -r["last_pages"], sort_token(r["key"]), str(r[across])))
    rows = rows[:k] if k else rows
    labels = _stack_labels(ds, names, [r["key"] for r in rows])
    if labels is not None:
        cols.append("label")
        for r, lab in zip(rows, labels):
            r["label"] = lab
    meta = {"dataset": ds.root, "where": w, "across": across, "time": time, "time_unit": unit}
    return ResultTable(cols, rows, by=names, meta=meta)
