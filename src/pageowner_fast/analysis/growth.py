"""`timeline`: pages per key across snapshots, ranked by growth."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from .. import _fields as F
from ..exceptions import UnsupportedKeyError, UsageError
from ._describe import describe_source
from ._load import AnySource, load_sources
from .keys import Counts, counts, resolve_by, tie_key
from .table import ResultTable


def slopes(m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Least-squares slope (pages per snapshot) of each row of m."""
    n = m.shape[1]
    if n < 2:
        return np.zeros(m.shape[0])
    x = np.arange(n, dtype=np.float64)
    x -= x.mean()
    return np.asarray((m - m.mean(axis=1, keepdims=True)) @ x / float((x * x).sum()))


def timeline(snapshots: Iterable[AnySource], by: str | None = "stack", normalize: bool = False,
             *, k: int | None = None, labels: Iterable[str] | None = None,
             threads: int | None = None) -> ResultTable:
    """Pages per key in each snapshot (in the order given): columns key, pages (list, one per
    snapshot), delta_pages (last - first) and slope (least-squares pages per snapshot), keys
    ranked by slope (fastest growth first). Snapshots are loaded one at a time; only their
    per-key counts are kept."""
    snapshots = list(snapshots)
    if not snapshots:
        raise UsageError("timeline needs at least one snapshot")
    per: list[Counts] = []
    infos = []
    bys: set[str] = set()
    for snap in snapshots:
        (src,) = load_sources([snap], threads=threads)
        bys.add(resolve_by(src, by))
        if len(bys) > 1:
            raise UnsupportedKeyError(f"{src.source}: show_handles snapshots (keyed by handle) "
                                      "cannot be mixed with stack-keyed ones")
        per.append(counts(src, next(iter(bys)), normalize))
        infos.append(describe_source(src))
        del src
    by = next(iter(bys))
    keys = list(set().union(*[c.keys() for c in per]))
    values = [[c[key][1] if key in c else 0 for c in per] for key in keys]
    wide = any(v > F.I64_MAX for row in values for v in row)
    m = np.array(values, dtype=object if wide else np.int64).reshape(len(keys), len(per))
    slope = slopes(m.astype(np.float64))
    rows = [{"key": key, "pages": values[i], "delta_pages": values[i][-1] - values[i][0],
             "slope": float(slope[i])} for i, key in enumerate(keys)]
    rows.sort(key=lambda r: (-r["slope"], -r["delta_pages"], -r["pages"][-1], tie_key(r["key"])))
    meta = {"snapshots": infos, "normalize": normalize, "totals": m.sum(axis=0).tolist(),
            "labels": list(labels) if labels is not None else [i["source"] for i in infos]}
    return ResultTable(["key", "pages", "delta_pages", "slope"], rows, by=by, meta=meta).head(k)
