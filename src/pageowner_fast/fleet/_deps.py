"""The fleet extra: dask[distributed] and pyarrow, imported only when a fleet function runs
(``import pageowner_fast`` and ``import pageowner_fast.fleet`` stay light)."""
from __future__ import annotations

import importlib
from types import ModuleType

from ..exceptions import PageOwnerError

INSTALL = 'pip install "pageowner-fast[fleet]"'


def need(module: str) -> ModuleType:
    """Import one module of the fleet extra, or raise a one-line PageOwnerError (exit 2, as
    for any other missing extra) naming the install command."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise PageOwnerError(f"fleet needs dask[distributed] and pyarrow ({module} is not "
                             f"installed): {INSTALL}") from None


def check() -> None:
    """All of the extra at once: the error comes before any work is done."""
    for module in ("pyarrow", "pyarrow.parquet", "dask", "distributed", "dask.dataframe"):
        need(module)
