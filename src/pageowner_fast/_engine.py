"""Selects the scanner engine: the compiled Cython one, or the pure-Python reference.

Set PAGEOWNER_FAST_PUREPYTHON=1 to force the pure-Python engine.
"""
from __future__ import annotations

import os
import warnings

from ._source import READ_ERRORS, read_error, describe

_force_py = os.environ.get("PAGEOWNER_FAST_PUREPYTHON", "") not in ("", "0")
_scan_mod = None
if not _force_py:
    try:
        from . import _scan as _scan_mod  # type: ignore[no-redef]
    except ImportError as exc:  # pragma: no cover - depends on the build
        warnings.warn(f"pageowner_fast: compiled scanner unavailable ({exc}); using the slow "
                      "pure-Python engine", RuntimeWarning, stacklevel=2)
        _scan_mod = None

NAME = "cython" if _scan_mod is not None else "python"


def scan(f, *, strip_ts: bool, progress=None, aggregate: bool = False):
    """(columns, tables, stats) of the dump in `f`. The pure-Python engine ignores
    `aggregate` (its rows are always single blocks, which every caller accepts)."""
    try:
        if _scan_mod is not None:
            return _scan_mod.scan_stream(f, strip_ts=strip_ts, progress=progress,
                                         aggregate=aggregate)
        from . import _pyscan
        chunks = []
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            chunks.append(b)
            if progress is not None:
                progress(len(b))
        return _pyscan.scan_bytes(b"".join(chunks), strip_ts=strip_ts)
    except READ_ERRORS as exc:
        raise read_error(exc, describe(f)) from None
