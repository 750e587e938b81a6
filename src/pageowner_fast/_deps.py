"""Optional dependencies (the extras), imported only when a function needs one."""
from __future__ import annotations

import importlib
from typing import Any


def need(module: str, extra: str) -> Any:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this needs {module}: pip install pageowner-fast[{extra}]") from None
