"""Many machines: page_owner dumps of a fleet in one Parquet dataset, and the questions that
only a fleet answers -- which call path holds more on some machines than on the rest, on
which kernel, since when.

    >>> import pageowner_fast as pf
    >>> r = pf.fleet.ingest(["lab/"], "fleet.ds",
    ...                     labels_from=r"(?P<host>[^/]+)/(?P<kernel>[^/]+)/(?P<taken>\\d+)\\.txt")
    >>> pf.fleet.top("fleet.ds", by="host")
    >>> pf.fleet.outliers("fleet.ds", by="stack", across="host")
    >>> pf.fleet.growth("fleet.ds", by="stack", across="host", time="taken")

`ingest` scans each dump in a task on a Dask worker (a `LocalCluster` by default, any
cluster with ``scheduler="tcp://host:8786"``) into per-dump aggregates -- one row per
(dump, stack, comm, module, allocator, migratetype, memcg) -- written as a hive-partitioned
Parquet dataset (`layout`); `top`, `outliers` and `growth` answer from it with Dask
DataFrames. Needs the ``fleet`` extra (dask[distributed], pyarrow), imported only when one
of these functions runs.
"""
from .ingest import IngestResult, ingest
from .labels import PathLabels, check_value, parse_labels
from .layout import Dataset, dump_id, stack_hash
from .queries import growth, outliers, parse_times, top
from .read import aggregates, dumps, stacks

__all__ = ["ingest", "IngestResult", "top", "outliers", "growth", "aggregates", "stacks", "dumps",
           "Dataset", "dump_id", "stack_hash", "PathLabels", "parse_labels", "check_value",
           "parse_times"]
