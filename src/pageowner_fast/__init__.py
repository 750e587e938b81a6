"""pageowner-fast: a fast, faithful page_owner_sort with a Cython core and a Python API.

    >>> import pageowner_fast as pf
    >>> d = pf.load("dump.txt")          # path, .gz/.xz/.zst, "-", or a binary file object
    >>> d.pages.sum(), len(d.stacks)
"""
from __future__ import annotations

import importlib

from ._version import __version__
from .exceptions import (
    DumpFormatError,
    InputError,
    OutputError,
    PageOwnerError,
    PageOwnerWarning,
    UnsupportedKeyError,
    UsageError,
)

TYPE_CHECKING = False   # (typing is not loaded before the command line's scan starts)
if TYPE_CHECKING:
    from typing import Any

    from . import fleet as fleet
    from .analysis import (
        KEYS,
        Grouped,
        ResultTable,
        diff,
        frag,
        group_by,
        parse_page_size,
        stacks_table,
        timeline,
        top,
    )
    from .dump import Dump, Table, load
    from .groups import GroupTable
    from .htmlreport import report
    from .pprof import to_pprof
    from .stacks import StackFile, load_any, load_stacks
    from .timewindow import parse_time

    engine: str

# Everything that needs NumPy is imported on first use: `import pageowner_fast` stays light,
# and the command line can configure NumPy's runtime before it loads.
_LAZY = {"Dump": ".dump", "Table": ".dump", "load": ".dump",
         "StackFile": ".stacks", "load_any": ".stacks", "load_stacks": ".stacks",
         "GroupTable": ".groups",
         "diff": ".analysis", "timeline": ".analysis", "top": ".analysis",
         "stacks_table": ".analysis", "ResultTable": ".analysis", "group_by": ".analysis",
         "Grouped": ".analysis", "KEYS": ".analysis", "parse_page_size": ".analysis",
         "frag": ".analysis",
         "parse_time": ".timewindow", "report": ".htmlreport", "to_pprof": ".pprof"}


def engine_info() -> dict[str, Any]:
    """Which scanner engine is loaded and how it runs: ``{"engine": "cython" | "python",
    "hash": "xxh3-128" | "fallback+verify" | None, "simd": ...}``."""
    from . import _engine
    return _engine.info()


def __getattr__(name: str) -> Any:
    if name == "engine":  # which scanner is loaded: "cython" or "python"
        from . import _engine
        return _engine.NAME
    if name == "fleet":   # pf.fleet.ingest(...): the subpackage (Dask only when it runs)
        return importlib.import_module(".fleet", __name__)
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)


__all__ = ["Dump", "Table", "load", "engine", "engine_info", "__version__", "PageOwnerError",
           "InputError", "OutputError", "UsageError", "UnsupportedKeyError", "DumpFormatError",
           "PageOwnerWarning", "StackFile", "load_stacks", "load_any", "diff", "timeline", "top",
           "stacks_table", "ResultTable", "GroupTable", "group_by", "Grouped", "KEYS",
           "parse_page_size", "parse_time", "frag", "report", "to_pprof"]
