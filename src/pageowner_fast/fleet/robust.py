"""The robust statistics behind `outliers`, vectorised over all keys at once with NumPy.

A key absent from a machine holds 0 pages there: the machines of a key are all the machines
of the (filtered) fleet, most of them often at 0, so the medians here take those zeros into
account without ever building the keys x machines matrix.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

MAD_SCALE = 1.4826   # MAD x this = the standard deviation, for normally distributed values


def _starts(group: I64, ngroups: int) -> tuple[I64, I64]:
    """(first index, count) of each group in an array sorted by group."""
    counts = np.bincount(group, minlength=ngroups).astype(np.int64)
    starts = (np.cumsum(counts) - counts).astype(np.int64)
    return starts, counts


def _order_stat(sorted_vals: F64, starts: I64, n_low: I64, n_mid: I64, mid: F64, k: int) -> F64:
    """Per group, the k-th smallest (0-based) of the multiset made of its sorted values
    ``sorted_vals[starts:starts+counts]`` with ``n_mid`` copies of ``mid`` inserted after the
    first ``n_low`` of them (so that the whole stays sorted)."""
    i = np.full(len(starts), k, dtype=np.int64)
    out = np.empty(len(starts), dtype=np.float64)
    low = i < n_low
    in_mid = ~low & (i < n_low + n_mid)
    high = ~low & ~in_mid
    out[low] = sorted_vals[starts[low] + i[low]]
    out[high] = sorted_vals[starts[high] + i[high] - n_mid[high]]
    out[in_mid] = mid[in_mid]
    return out


def _median(sorted_vals: F64, starts: I64, n_low: I64, n_mid: I64, mid: F64, total: int) -> F64:
    a = _order_stat(sorted_vals, starts, n_low, n_mid, mid, (total - 1) // 2)
    b = _order_stat(sorted_vals, starts, n_low, n_mid, mid, total // 2)
    return (a + b) / 2


def median_mad(group: I64, values: F64, ngroups: int, total: int) -> tuple[F64, F64]:
    """(median, MAD) per group 0..ngroups-1 of ``total`` values each: the values given for it
    (``values[group == g]``, all >= 0) and zeros for the rest. MAD: the median of the
    absolute deviations from the median."""
    if len(group) and int(np.bincount(group).max()) > total:
        raise ValueError("a group has more values than the total")
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    starts, counts = _starts(g, ngroups)
    zeros = total - counts
    none = np.zeros(ngroups, dtype=np.int64)
    # the zeros come first (values are >= 0)
    med = _median(v, starts, none, zeros, np.zeros(ngroups), total)
    dev = np.abs(v - med[g])
    order2 = np.lexsort((dev, g))
    d, g2 = dev[order2], g[order2]
    # the zeros deviate by the median itself: inserted after the deviations smaller than it
    below = np.bincount(g2[d < med[g2]], minlength=ngroups).astype(np.int64)
    mad = _median(d, starts, below, zeros, med, total)
    return med, mad


def scores(x: F64, med: F64, mad: F64, *, min_pages: float, rel_floor: float) -> F64:
    """The outlier score of a machine's value ``x`` for a key: how far above the key's median
    across the fleet, in robust standard deviations (``1.4826 x MAD``), that scale floored
    at ``min_pages`` and at ``rel_floor`` x the median so that tiny or perfectly uniform keys
    do not produce huge scores from a few pages."""
    scale = np.maximum(MAD_SCALE * mad, np.maximum(min_pages, rel_floor * med))
    return (x - med) / scale
