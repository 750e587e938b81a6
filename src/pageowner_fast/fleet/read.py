"""Reading a dataset: its aggregates as a Dask DataFrame (one partition per batch of dump
files, read with pyarrow; the hive label from the folder name; ``where`` filters applied as
the files are read, and on the partition label before any file is opened), and its small
``stacks`` and ``dumps`` tables as pandas DataFrames (deduplicated, committed dumps only).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..exceptions import UsageError
from . import _deps
from .layout import AGG, DUMPS, KEYS, NUMBERS, STACKS, Dataset

BATCH = 32   # dump files per partition: a few MB of rows each

Where = dict[str, list[str]]


def columns_of(ds: Dataset) -> list[str]:
    """The columns of the aggregates, the partition label included."""
    return ["dump_id", *KEYS, *NUMBERS, *ds.meta.labels]


def parse_where(ds: Dataset, items: Iterable[str] | Mapping[str, str | Sequence[str]] | None) -> Where:
    """``["host=a", "host=b", "kernel=6.1"]`` (or a mapping) -> {"host": ["a", "b"], "kernel":
    ["6.1"]}: rows whose host is a or b, and whose kernel is 6.1. A label or a key column."""
    out: Where = {}
    if items is None:
        return out
    if isinstance(items, Mapping):
        pairs = [(k, v) for k, vs in items.items() for v in ([vs] if isinstance(vs, str) else vs)]
    else:
        pairs = []
        for t in items:
            k, eq, v = t.partition("=")
            if not eq:
                raise UsageError(f"--where {t!r}: use LABEL=VALUE")
            pairs.append((k.strip(), v))
    allowed = ["dump_id", *KEYS, *ds.meta.labels]
    for k, v in pairs:
        if k not in allowed:
            raise UsageError(f"--where {k}: not a label or key of this dataset (choose from "
                             f"{', '.join(allowed)})")
        out.setdefault(k, []).append(str(v))
    return out


def _string_types() -> dict[Any, Any]:
    pa = _deps.need("pyarrow")
    pd = _deps.need("pandas")
    return {pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype(),
            pa.int64(): pd.Int64Dtype()}


def read_batch(files: Sequence[tuple[str, str | None]], columns: Sequence[str],
               partition_by: str | None, where: Where) -> Any:
    """One partition: the rows of some dump files, as a pandas DataFrame with ``columns``
    (strings as StringDtype, numbers as nullable Int64). Runs on a worker."""
    pa = _deps.need("pyarrow")
    pc = _deps.need("pyarrow.compute")
    pq = _deps.need("pyarrow.parquet")
    inside = [c for c in columns if c != partition_by]
    need = list(dict.fromkeys([*inside, *(k for k in where if k != partition_by)]))
    types = {c: (pa.int64() if c in NUMBERS else pa.string()) for c in columns}
    parts = []
    for path, part in files:
        t = pq.read_table(path, columns=need)
        mask = None
        for k, vals in where.items():
            if k == partition_by:
                continue
            m = pc.is_in(t.column(k), value_set=pa.array(vals, pa.string()))
            mask = m if mask is None else pc.and_(mask, m)
        if mask is not None:
            t = t.filter(mask)
        t = t.select(inside)
        if partition_by is not None and partition_by in columns:
            t = t.append_column(partition_by, pa.array([part] * t.num_rows, pa.string()))
        parts.append(t.select(list(columns)))
    schema = pa.schema([(c, types[c]) for c in columns])
    table = pa.concat_tables(parts) if parts else schema.empty_table()
    return table.cast(schema).to_pandas(types_mapper=_string_types().get)


def aggregates(dataset: Dataset | str | os.PathLike[str], columns: Sequence[str] | None = None,
               where: Where | None = None) -> Any:
    """The aggregates of the dataset (or of the rows matching ``where``, as `parse_where`
    gives it) as a Dask DataFrame with ``columns`` (default: all)."""
    dd = _deps.need("dask.dataframe")
    ds = dataset_path(dataset)
    where = where or {}
    cols = list(columns or columns_of(ds))
    for c in cols:
        if c not in columns_of(ds):
            raise UsageError(f"{c}: not a column of this dataset ({', '.join(columns_of(ds))})")
    pb = ds.meta.partition_by
    files = [(p, part) for p, part in ds.files(AGG)
             if pb is None or pb not in where or part in where[pb]]
    meta = read_batch([], cols, pb, {})
    if not files:
        return dd.from_pandas(meta, npartitions=1)
    batches = [files[i:i + BATCH] for i in range(0, len(files), BATCH)]
    return dd.from_map(read_batch, batches, columns=cols, partition_by=pb, where=where, meta=meta,
                       enforce_metadata=False)


def stacks(dataset: Dataset | str | os.PathLike[str], hashes: Iterable[str] | None = None) -> Any:
    """The stacks table (stack hash, frames, label) as a pandas DataFrame, one row per hash;
    only the given hashes when ``hashes`` is not None."""
    return _small(dataset_path(dataset), STACKS, "stack", None if hashes is None else set(hashes))


def dumps(dataset: Dataset | str | os.PathLike[str]) -> Any:
    """One row per dump in the dataset: dump_id, path, size, mtime_ns, kind, page_size,
    normalize, rows, stacks, blocks, pages, bytes, ingested_at, version, and its labels."""
    ds = dataset_path(dataset)
    return _small(ds, DUMPS, "dump_id", set(ds.committed()))


def _small(ds: Dataset, table: str, key: str, keep: set[str] | None) -> Any:
    pa = _deps.need("pyarrow")
    pc = _deps.need("pyarrow.compute")
    pq = _deps.need("pyarrow.parquet")
    files = [p for p, _ in ds.files(table)]
    if not files:
        pd = _deps.need("pandas")
        return pd.DataFrame({key: pd.Series([], dtype=pd.StringDtype())})
    t = pa.concat_tables([pq.read_table(p) for p in files])
    if keep is not None:
        t = t.filter(pc.is_in(t.column(key), value_set=pa.array(sorted(keep), pa.string())))
    df = t.to_pandas(types_mapper=_string_types().get)
    return df.drop_duplicates(subset=[key], keep="last").sort_values(key).reset_index(drop=True)


def dataset_path(ds: Dataset | str | os.PathLike[str]) -> Dataset:
    return ds if isinstance(ds, Dataset) else Dataset.open(ds)
