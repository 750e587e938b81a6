"""`timeline`: pages per key across snapshots, ranked by growth."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from .. import _fields as F
from .._engine import Progress
from ..exceptions import UnsupportedKeyError, UsageError
from ..timewindow import time_window
from ._load import AnySource, load_sources
from .grouping import Time, group_loaded, needs_blocks
from .keys import Counts, parse_by, resolve_keys, sort_token
from .table import ResultTable
from .units import PageSize, parse_page_size


def slopes(m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Least-squares slope (pages per snapshot) of each row of m."""
    n = m.shape[1]
    if n < 2:
        return np.zeros(m.shape[0])
    x = np.arange(n, dtype=np.float64)
    x -= x.mean()
    return np.asarray((m - m.mean(axis=1, keepdims=True)) @ x / float((x * x).sum()))


def timeline(snapshots: Iterable[AnySource], by: str | Sequence[str] | None = "stack",
             normalize: bool = False, *, k: int | None = None, labels: Iterable[str] | None = None,
             page_size: PageSize = 4096, since: Time = None, until: Time = None,
             threads: int | None = None, progress: Progress | None = None) -> ResultTable:
    """Pages per key in each snapshot (in the order given): columns key, pages (list, one per
    snapshot), bytes (list), delta_pages and delta_bytes (last - first), slope
    (least-squares pages per snapshot) and slope_bytes (the same in bytes per snapshot),
    keys ranked by slope (fastest growth first). Snapshots are loaded one at a time; only
    their per-key counts are kept. ``by``, ``page_size``, ``since``/``until`` (applied to
    each snapshot on its own clock): as in `group_by`."""
    snapshots = list(snapshots)
    if not snapshots:
        raise UsageError("timeline needs at least one snapshot")
    ps = parse_page_size(page_size)
    window = time_window(since, until)
    aggregate = not needs_blocks(parse_by(by), window)
    per: list[Counts] = []
    infos = []
    bys: set[tuple[str, ...]] = set()
    for snap in snapshots:
        (src,) = load_sources([snap], threads=threads, aggregate=aggregate, progress=progress)
        bys.add(resolve_keys(src, by))
        if len(bys) > 1:
            raise UnsupportedKeyError(f"{src.source}: show_handles snapshots (keyed by handle) "
                                      "cannot be mixed with stack-keyed ones")
        g = group_loaded(src, by, page_size=ps, normalize=normalize, window=window)
        per.append(g.to_dict())
        infos.append(dict(g.meta["input"], **({"window": g.meta["window"]} if window else {})))
        del src
    keys_by = next(iter(bys))
    keys = list(set().union(*[c.keys() for c in per]))
    values = [[c[key][1] if key in c else 0 for c in per] for key in keys]
    wide = any(v > F.I64_MAX // ps for row in values for v in row)
    m = np.array(values, dtype=object if wide else np.int64).reshape(len(keys), len(per))
    slope = slopes(m.astype(np.float64))
    rows = [{"key": key, "pages": values[i], "bytes": [v * ps for v in values[i]],
             "delta_pages": values[i][-1] - values[i][0],
             "delta_bytes": (values[i][-1] - values[i][0]) * ps,
             "slope": float(slope[i]), "slope_bytes": float(slope[i]) * ps}
            for i, key in enumerate(keys)]
    rows.sort(key=lambda r: (-r["slope"], -r["delta_pages"], -r["pages"][-1], sort_token(r["key"])))
    totals = [int(v) for v in m.sum(axis=0).tolist()] if len(keys) else [0] * len(per)
    meta = {"snapshots": infos, "normalize": normalize, "page_size": ps, "totals": totals,
            "totals_bytes": [t * ps for t in totals],
            "labels": list(labels) if labels is not None else [i["source"] for i in infos]}
    cols = ["key", "pages", "bytes", "delta_pages", "delta_bytes", "slope", "slope_bytes"]
    return ResultTable(cols, rows, by=keys_by, meta=meta).head(k)
