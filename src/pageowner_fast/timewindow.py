"""Time windows over the allocation timestamps of a dump: ``--since T`` / ``--until T``.

A window keeps the blocks whose allocation ``ts`` lies in ``[since, until)`` (either end may
be open). ``T`` is nanoseconds (``1500000000``) or a number with a unit: ``ns``, ``us``,
``ms``, ``s``, ``m``, ``h`` (``1.5s``, ``90m``). A negative ``T`` counts back from the newest
``ts`` of the dump itself: ``since="-10m"`` keeps what was allocated in the last ten minutes
of the dump's clock and is still held. ``ts`` is the kernel's ``local_clock()`` at
allocation (nanoseconds since boot), so windows of two dumps compare only within one boot.

    >>> w = time_window("-10m", None)
    >>> mask, info = w.mask(dump)          # a bool per row; info: the absolute bounds used

Filtering needs each block's own ``ts``: a dump loaded with ``aggregate=True`` (identical
blocks folded into one row, keeping the first block's ``ts``) is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _fields as F
from ._types import DumpLike
from .exceptions import UnsupportedKeyError, UsageError

__all__ = ["TimeBound", "TimeWindow", "parse_time", "time_window", "UNITS"]

# nanoseconds per unit
UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
         "h": 3600 * 10**9}
_LIMIT = F.U64_MAX + 1      # one past the largest ts a dump can hold


@dataclass(frozen=True)
class TimeBound:
    """One end of a window: ``ns`` nanoseconds, counted from boot, or back from the dump's
    newest ts when ``from_newest`` (a negative ``T``; ``ns`` is then the distance, >= 0)."""

    ns: int
    from_newest: bool = False
    text: str = ""

    def absolute(self, newest: int) -> int:
        """This bound on the dump's clock, given the dump's newest ts (clamped at 0)."""
        return max(0, newest - self.ns) if self.from_newest else self.ns

    def __str__(self) -> str:
        return self.text or (f"-{self.ns}" if self.from_newest else str(self.ns))


def parse_time(value: str | int | TimeBound) -> TimeBound:
    """A `TimeBound` from ``"1500000000"``, ``"1.5s"``, ``"-10m"``, ``"250 ms"``, an int
    (nanoseconds; negative = before the newest ts) or a TimeBound. UsageError otherwise."""
    if isinstance(value, TimeBound):
        return value
    if isinstance(value, bool):
        raise UsageError(f"not a time: {value!r}")
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if abs(v) >= _LIMIT:
            raise UsageError(f"time {v} ns is beyond the 64-bit ts range")
        return TimeBound(-v if v < 0 else v, v < 0, str(v))
    if not isinstance(value, str):
        raise UsageError(f"not a time: {value!r}")
    text = value.strip()
    neg = text.startswith("-")
    body = text[1:].strip() if neg or text.startswith("+") else text
    num = body.rstrip("abcdefghijklmnopqrstuvwxyzµ").strip()
    unit = body[len(body.rstrip("abcdefghijklmnopqrstuvwxyzµ")):]
    hint = "nanoseconds, or a number with a unit: ns, us, ms, s, m, h (negative: before the newest ts)"
    if not num or len(num) > 40 or unit not in ("", *UNITS) or not (
            num.replace(".", "", 1).isdigit() and num.isascii()):
        raise UsageError(f"not a time: {value!r} ({hint})")
    try:
        ns = Decimal(num) * UNITS[unit or "ns"]
    except InvalidOperation:   # pragma: no cover - the digits were checked
        raise UsageError(f"not a time: {value!r} ({hint})") from None
    if ns != ns.to_integral_value():
        raise UsageError(f"time {value!r} is not a whole number of nanoseconds")
    n = int(ns)
    if n >= _LIMIT:
        raise UsageError(f"time {value!r} is beyond the 64-bit ts range")
    return TimeBound(n, neg, text)


@dataclass(frozen=True)
class TimeWindow:
    """``[since, until)`` on the allocation ts; None = open on that side."""

    since: TimeBound | None = None
    until: TimeBound | None = None

    def __bool__(self) -> bool:
        return self.since is not None or self.until is not None

    def describe(self) -> str:
        """``--since -10m --until 5s``: the window as the options that give it."""
        parts = [f"--since {self.since}" if self.since is not None else "",
                 f"--until {self.until}" if self.until is not None else ""]
        return " ".join(p for p in parts if p)

    def bounds(self, newest: int) -> tuple[int, int | None]:
        """The absolute ``[lo, hi)`` in ns for a dump whose newest ts is ``newest``
        (``hi`` None: no upper bound)."""
        lo = self.since.absolute(newest) if self.since is not None else 0
        hi = self.until.absolute(newest) if self.until is not None else None
        return lo, hi

    def mask(self, dump: DumpLike, rows: npt.NDArray[Any] | None = None,
             what: str = "--since/--until") -> tuple[npt.NDArray[np.bool_], dict[str, Any]]:
        """(a bool per row of ``dump``: its ts is in the window, info). ``info`` holds
        ``since_ns``, ``until_ns`` (absolute; None = open), ``newest_ts_ns``, ``blocks``
        (kept) and ``blocks_without_ts`` (rows that could not be placed, left out).
        ``rows`` (indices or a mask): the rows to consider (others are False), e.g. the
        non-empty ones. UnsupportedKeyError when no block has a ts, UsageError when the dump
        was loaded with identical blocks folded (each block's own ts is gone)."""
        n = len(dump)
        consider = np.ones(n, dtype=bool)
        if rows is not None:
            r = np.asarray(rows)
            consider = r if r.dtype == bool else np.isin(np.arange(n), r)
        if n and bool(np.any(dump.count[consider] > 1)):
            raise UsageError(f"{what}: {dump.source} was loaded with identical blocks folded "
                             "into one row, which keeps only the first block's ts; load it "
                             "with aggregate=False")
        has = consider & ((dump.bad & F.BAD_TS) == 0)
        if not bool(has.any()):
            if not bool(consider.any()):
                return consider, {"since_ns": None, "until_ns": None, "newest_ts_ns": None,
                                  "blocks": 0, "blocks_without_ts": 0}
            raise UnsupportedKeyError(f"{what}: no block of {dump.source} has an allocation ts "
                                      "(kernels print it from 5.11 on)")
        ts = dump.ts_ns
        newest = int(ts[has].max())
        lo, hi = self.bounds(newest)
        keep = has & (ts >= np.uint64(lo))
        if hi is not None and hi <= F.U64_MAX:
            keep &= ts < np.uint64(hi)
        info = {"since_ns": lo, "until_ns": hi, "newest_ts_ns": newest,
                "blocks": int(dump.count[keep].sum()),
                "blocks_without_ts": int(dump.count[consider & ~has].sum())}
        return keep, info


def time_window(since: str | int | TimeBound | None = None,
                until: str | int | TimeBound | None = None) -> TimeWindow | None:
    """A `TimeWindow` of the two bounds (each parsed by `parse_time`), or None if both are
    None."""
    if since is None and until is None:
        return None
    return TimeWindow(None if since is None else parse_time(since),
                      None if until is None else parse_time(until))
