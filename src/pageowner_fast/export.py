"""Machine-readable outputs of the sort: ``sort --format json|csv``, the records of culled
groups, and a dump as a pandas DataFrame, a pyarrow Table or a Parquet file.

JSON is one array with one object per line (streamable, ``json.load``-able); CSV has a header
row and ``\\n`` line ends. Strings are the dump's bytes decoded as UTF-8 (invalid bytes as
``\\xNN``). The JSON outputs follow the schemas shipped in ``pageowner_fast/schema/``
(`schema()` loads one).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _fields as F
from ._deps import need
from ._table import Table
from ._types import DumpLike
from .sortcull import Groups

__all__ = ["write_groups", "group_records", "schema", "dump_to_pandas", "dump_to_arrow",
           "dump_to_parquet"]

CHUNK = 1 << 20

SORT_FIELDS = ("count", "pages", "pid", "tgid", "comm", "module", "allocator", "stacktrace")


def schema(name: str) -> dict[str, Any]:
    """The JSON schema of an output: ``"sort"``, ``"top"`` or ``"diff"``."""
    from importlib import resources
    path = resources.files(__package__).joinpath("schema").joinpath(f"{name}.schema.json")
    text = path.read_text(encoding="utf-8")
    return dict(json.loads(text))


_ALLOC_NAMES = [list(F.allocator_names(i)) for i in range(256)]
_ALLOC_JSON = [json.dumps(n) for n in _ALLOC_NAMES]
_ALLOC_CSV = ["|".join(n) for n in _ALLOC_NAMES]


class _Decoded:
    """Lazily decoded strings of one interned Table, by id."""

    def __init__(self, table: Table, as_json: bool) -> None:
        self.table = table
        self.as_json = as_json
        self.cache: dict[int, str] = {}

    def __getitem__(self, i: int) -> str:
        v = self.cache.get(i)
        if v is None:
            v = self.table.text(i)
            if self.as_json:
                v = json.dumps(v, ensure_ascii=False)
            self.cache[i] = v
        return v


def group_records(dump: DumpLike, groups: Groups, cull: frozenset[str], start: int = 0,
                  stop: int | None = None) -> Iterator[dict[str, Any]]:
    """One dict per group (in order): count, pages, pid, tgid, comm, module, allocator (list
    of names), stacktrace (page_owner_sort's: frames and trailer lines), and text (the full
    collation text: header + stacktrace) when there is no cull key."""
    sl = slice(start, stop)
    rep = groups.rep[sl]
    cols = _rep_columns(dump, groups, sl)
    comms, mods = _Decoded(dump.comms, False), _Decoded(dump.modules, False)
    stk, hdr = _Decoded(dump.stacks, False), _Decoded(dump.headers, False)
    header_id = dump.header_id[rep].tolist() if not cull else []
    for i, (n, p, pid, tgid, c, m, a, s) in enumerate(zip(*cols)):
        rec = {"count": n, "pages": p, "pid": pid, "tgid": tgid, "comm": comms[c], "module": mods[m],
               "allocator": list(_ALLOC_NAMES[a]), "stacktrace": stk[s]}
        if not cull:
            rec["text"] = hdr[header_id[i]] + stk[s]
        yield rec


def _rep_columns(dump: DumpLike, groups: Groups, sl: slice = slice(None)) -> tuple[list[Any], ...]:
    rep = groups.rep[sl]
    return (groups.count[sl].tolist(), groups.pages[sl].tolist(), dump.pid[rep].tolist(),
            dump.tgid[rep].tolist(), dump.comm_id[rep].tolist(), dump.module_id[rep].tolist(),
            dump.allocator[rep].tolist(), dump.stack_id[rep].tolist())


def write_groups(write: Callable[[bytes], object], dump: DumpLike, groups: Groups,
                 cull: frozenset[str], fmt: str) -> None:
    """``sort --format json|csv``: one record per output group, in output order (see
    `group_records`; schema ``sort``)."""
    if fmt == "json":
        it = _groups_json(dump, groups, bool(cull))
    elif fmt == "csv":
        it = _groups_csv(dump, groups, bool(cull))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    for chunk in it:
        write(chunk)


def _groups_json(dump: DumpLike, groups: Groups, cull: bool) -> Iterator[bytes]:
    cols = _rep_columns(dump, groups)
    comms, mods = _Decoded(dump.comms, True), _Decoded(dump.modules, True)
    stk, hdr = _Decoded(dump.stacks, True), _Decoded(dump.headers, True)
    header_id = dump.header_id[groups.rep].tolist() if not cull else None
    buf = ["["]
    size = 0
    sep = "\n"
    for i, (n, p, pid, tgid, c, m, a, s) in enumerate(zip(*cols)):
        st = stk[s]
        rec = ('%s{"count": %d, "pages": %d, "pid": %d, "tgid": %d, "comm": %s, "module": %s, '
               '"allocator": %s, "stacktrace": %s' % (sep, n, p, pid, tgid, comms[c], mods[m],
                                                      _ALLOC_JSON[a], st))
        if header_id is not None:
            # both are JSON string literals: splice them into one
            rec += ', "text": %s%s}' % (hdr[header_id[i]][:-1], st[1:])
        else:
            rec += "}"
        sep = ",\n"
        buf.append(rec)
        size += len(rec)
        if size >= CHUNK:
            yield "".join(buf).encode("utf-8")
            buf, size = [], 0
    buf.append("\n]\n")
    yield "".join(buf).encode("utf-8")


class _CsvField(_Decoded):
    """Decoded strings of a Table as quoted CSV fields without the closing quote (so that a
    header and a stack field can be joined into one)."""

    def __getitem__(self, i: int) -> str:
        v = self.cache.get(i)
        if v is None:
            v = self.cache[i] = '"' + self.table.text(i).replace('"', '""')
        return v


def _groups_csv(dump: DumpLike, groups: Groups, cull: bool) -> Iterator[bytes]:
    """CSV with every string field quoted (RFC 4180); built with % formatting from fields
    quoted once per distinct string (the csv module is 3x slower here)."""
    cols = _rep_columns(dump, groups)
    comms, mods = _CsvField(dump.comms, False), _CsvField(dump.modules, False)
    stk, hdr = _CsvField(dump.stacks, False), _CsvField(dump.headers, False)
    header_id = dump.header_id[groups.rep].tolist() if not cull else None
    buf = [",".join(SORT_FIELDS + (() if cull else ("text",))) + "\n"]
    size = 0
    for i, (n, p, pid, tgid, c, m, a, s) in enumerate(zip(*cols)):
        st = stk[s]
        if header_id is None:
            rec = '%d,%d,%d,%d,%s",%s",%s,%s"\n' % (n, p, pid, tgid, comms[c], mods[m], _ALLOC_CSV[a], st)
        else:
            rec = '%d,%d,%d,%d,%s",%s",%s,%s",%s%s"\n' % (n, p, pid, tgid, comms[c], mods[m],
                                                         _ALLOC_CSV[a], st, hdr[header_id[i]], st[1:])
        buf.append(rec)
        size += len(rec)
        if size >= CHUNK:
            yield "".join(buf).encode("utf-8")
            buf, size = [], 0
    yield "".join(buf).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Dump -> pandas / Arrow / Parquet
# --------------------------------------------------------------------------------------------

def _unique_strings(table: Table) -> tuple[list[str], npt.NDArray[np.int32] | None]:
    """(decoded strings, remap or None): decoded values are unique unless a literal ``\\xNN``
    collides with an invalid byte; then ids are remapped onto unique values."""
    strs = [table.text(i) for i in range(len(table))]
    if len(set(strs)) == len(strs):
        return strs, None
    uniq: dict[str, int] = {}
    remap = np.empty(len(strs), dtype=np.int32)
    for i, s in enumerate(strs):
        remap[i] = uniq.setdefault(s, len(uniq))
    return list(uniq), remap


_STRING_COLS = (("comm", "comms", "comm_id"), ("module", "modules", "module_id"),
                ("stack", "stacks", "stack_id"))


def dump_to_pandas(dump: DumpLike) -> Any:
    """All columns plus ``comm``, ``module`` and ``stack`` (page_owner_sort's stacktrace text)
    as categoricals."""
    pd = need("pandas", "pandas")
    data = dict(dump.columns)
    for name, tab, idcol in _STRING_COLS:
        cats, remap = _unique_strings(getattr(dump, tab))
        codes = dump.columns[idcol]
        if remap is not None:
            codes = remap[codes]
        data[name] = pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))
    return pd.DataFrame(data, copy=False)


def dump_to_arrow(dump: DumpLike) -> Any:
    """A pyarrow Table: the NumPy columns (zero-copy) and ``comm``, ``module``, ``stack``
    dictionary-encoded (int32 indices = the id columns, also zero-copy)."""
    pa = need("pyarrow", "arrow")
    from ._version import __version__
    names, arrays = [], []
    for name, arr in dump.columns.items():
        names.append(name)
        arrays.append(pa.array(np.ascontiguousarray(arr)))
    for name, tab, idcol in _STRING_COLS:
        cats, remap = _unique_strings(getattr(dump, tab))
        codes = dump.columns[idcol]
        if remap is not None:
            codes = remap[codes]
        names.append(name)
        arrays.append(pa.DictionaryArray.from_arrays(pa.array(np.ascontiguousarray(codes)),
                                                     pa.array(cats, type=pa.string())))
    meta = {b"source": str(dump.source).encode(), b"pageowner_fast": __version__.encode(),
            b"strip_ts": b"1" if dump.strip_ts else b"0"}
    return pa.Table.from_arrays(arrays, names=names, metadata=meta)


def dump_to_parquet(dump: DumpLike, path: Any, **kwargs: Any) -> None:
    """Write `dump_to_arrow` to a Parquet file (keyword arguments go to
    ``pyarrow.parquet.write_table``, e.g. ``compression="zstd"``)."""
    need("pyarrow", "arrow")
    pq = need("pyarrow.parquet", "arrow")
    pq.write_table(dump_to_arrow(dump), path, **kwargs)
