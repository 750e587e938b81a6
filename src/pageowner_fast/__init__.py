"""pageowner-fast: a fast, faithful page_owner_sort with a Cython core and a Python API.

    >>> import pageowner_fast as pf
    >>> d = pf.load("dump.txt")          # path, .gz/.xz/.zst, "-", or a binary file object
    >>> d.pages.sum(), len(d.stacks)
"""
from ._version import __version__
from .dump import Dump, Table, load
from .exceptions import DumpFormatError, InputError, OutputError, PageOwnerError, UsageError


def __getattr__(name):
    if name == "engine":  # which scanner is loaded: "cython" or "python"
        from . import _engine
        return _engine.NAME
    raise AttributeError(name)


__all__ = ["Dump", "Table", "load", "engine", "__version__", "PageOwnerError", "InputError",
           "OutputError", "UsageError", "DumpFormatError"]
