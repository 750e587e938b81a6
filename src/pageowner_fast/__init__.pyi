"""Typed stubs of the public API of pageowner_fast."""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import IO

from ._version import __version__ as __version__
from .analysis import GroupTable as GroupTable, ResultTable as ResultTable
from .dump import Dump as Dump, Table as Table, load as load
from .exceptions import (DumpFormatError as DumpFormatError, InputError as InputError,
                         OutputError as OutputError, PageOwnerError as PageOwnerError,
                         UsageError as UsageError)
from .stacks import StackFile as StackFile

_Source = str | bytes | os.PathLike[str] | IO[bytes] | Dump | StackFile

engine: str
"""Which scanner is loaded: "cython" or "python"."""

def load_stacks(source: str | bytes | os.PathLike[str] | IO[bytes]) -> StackFile: ...
def load_any(source: _Source, *, strip_ts: bool = ..., aggregate: bool = ...) -> Dump | StackFile: ...
def diff(a: _Source, b: _Source, by: str | None = ..., normalize: bool = ..., *,
         k: int | None = ...) -> ResultTable: ...
def timeline(snapshots: Iterable[_Source], by: str | None = ..., normalize: bool = ..., *,
             k: int | None = ..., labels: Iterable[str] | None = ...) -> ResultTable: ...
def top(source: _Source, by: str = ..., *, page_size: int = ..., k: int | None = ...,
        normalize: bool = ...) -> ResultTable: ...

__all__: list[str]
