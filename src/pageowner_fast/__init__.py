"""pageowner-fast: a fast, faithful page_owner_sort with a Cython core and a Python API.

    >>> import pageowner_fast as pf
    >>> d = pf.load("dump.txt")          # path, .gz/.xz/.zst, "-", or a binary file object
    >>> d.pages.sum(), len(d.stacks)
"""
from ._version import __version__
from .exceptions import DumpFormatError, InputError, OutputError, PageOwnerError, UsageError

# Everything that needs NumPy is imported on first use: `import pageowner_fast` stays light,
# and the command line can configure NumPy's runtime before it loads (see cli.py).
_LAZY = {"Dump": ".dump", "Table": ".dump", "load": ".dump", "StackFile": ".stacks", "load_any": ".stacks", "load_stacks": ".stacks",
         "diff": ".analysis", "timeline": ".analysis", "top": ".analysis",
         "ResultTable": ".analysis", "GroupTable": ".analysis"}


def __getattr__(name):
    if name == "engine":  # which scanner is loaded: "cython" or "python"
        from . import _engine
        return _engine.NAME
    if name in _LAZY:  # analysis API, imported on first use (keeps `import` light)
        import importlib
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)


__all__ = ["Dump", "Table", "load", "engine", "__version__", "PageOwnerError", "InputError",
           "OutputError", "UsageError", "DumpFormatError", "StackFile", "load_stacks", "load_any",
           "diff", "timeline", "top", "ResultTable", "GroupTable"]
