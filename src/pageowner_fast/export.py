"""Machine-readable outputs: ``sort --format json|csv``, JSON/CSV of analysis tables, and a
Dump as a pandas DataFrame, a pyarrow Table or a Parquet file.

JSON is one array with one object per line (streamable, ``json.load``-able); CSV has a header
row and ``\\n`` line ends. Strings are the dump's bytes decoded as UTF-8 (invalid bytes as
``\\xNN``). The JSON outputs follow the schemas shipped in ``pageowner_fast/schema/``
(`schema()` loads one).
"""
from __future__ import annotations

import csv
import io
import json

import numpy as np

from . import _fields as F

__all__ = ["write_groups", "group_records", "iter_json", "iter_csv", "schema", "dump_to_pandas",
           "dump_to_arrow", "dump_to_parquet", "allocator_names"]

CHUNK = 1 << 20

SORT_FIELDS = ("count", "pages", "pid", "tgid", "comm", "module", "allocator", "stacktrace")


def schema(name: str) -> dict:
    """The JSON schema of an output: ``"sort"``, ``"top"`` or ``"diff"``."""
    from importlib import resources
    return json.loads(resources.files(__package__).joinpath("schema", f"{name}.schema.json")
                      .read_text(encoding="utf-8"))


def allocator_names(bits: int) -> list:
    """page_owner_sort's allocator bits as names, in its print order (["CMA", "SLAB"])."""
    return [n for b, n in F.ALLOCATOR_NAMES if bits & b]


_ALLOC_NAMES = [allocator_names(i) for i in range(256)]
_ALLOC_JSON = [json.dumps(n) for n in _ALLOC_NAMES]
_ALLOC_CSV = ["|".join(n) for n in _ALLOC_NAMES]


class _Decoded:
    """Lazily decoded strings of one interned Table, by id."""

    def __init__(self, table, as_json: bool):
        self.table = table
        self.as_json = as_json
        self.cache: dict = {}

    def __getitem__(self, i: int) -> str:
        v = self.cache.get(i)
        if v is None:
            v = self.table.text(i)
            if self.as_json:
                v = json.dumps(v, ensure_ascii=False)
            self.cache[i] = v
        return v


def group_records(dump, groups, cull, start: int = 0, stop: int | None = None):
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


def _rep_columns(dump, groups, sl=slice(None)):
    rep = groups.rep[sl]
    return (groups.count[sl].tolist(), groups.pages[sl].tolist(), dump.pid[rep].tolist(),
            dump.tgid[rep].tolist(), dump.comm_id[rep].tolist(), dump.module_id[rep].tolist(),
            dump.allocator[rep].tolist(), dump.stack_id[rep].tolist())


def write_groups(out, dump, groups, opts) -> None:
    """``sort --format json|csv``: one record per output group, in output order (see
    `group_records`; schema ``sort``). ``out`` has ``write(bytes)``."""
    cull = bool(opts.cull)
    if opts.fmt == "json":
        it = _groups_json(dump, groups, cull)
    elif opts.fmt == "csv":
        it = _groups_csv(dump, groups, cull)
    else:  # pragma: no cover - the option parser allows only these
        raise ValueError(f"unknown format {opts.fmt!r}")
    for chunk in it:
        out.write(chunk)


def _groups_json(dump, groups, cull: bool):
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


def _csv_quote(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


class _CsvField(_Decoded):
    """Decoded strings of a Table as quoted CSV fields without the closing quote (so that a
    header and a stack field can be joined into one)."""

    def __getitem__(self, i: int) -> str:
        v = self.cache.get(i)
        if v is None:
            v = self.cache[i] = '"' + self.table.text(i).replace('"', '""')
        return v


def _groups_csv(dump, groups, cull: bool):
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
# Analysis tables (ResultTable) as JSON / CSV
# --------------------------------------------------------------------------------------------

def iter_json(table, schema_cols=None):
    """A ResultTable as one JSON array, one object per line (stack keys as lists of frames,
    innermost first)."""
    cols = schema_cols or table.columns
    yield b"["
    sep = b"\n"
    for rec in table.to_records():
        yield sep + json.dumps({c: rec[c] for c in cols}, ensure_ascii=False).encode("utf-8")
        sep = b",\n"
    yield b"\n]\n"


def _csv_value(v):
    if v is None:
        return ""
    if isinstance(v, tuple):
        return "\n".join(v)
    if isinstance(v, float):
        return repr(v)
    return v


def iter_csv(table, expand_pages: int | None = None):
    """A ResultTable as CSV; a stack key is its frames joined by newlines (innermost first),
    None is an empty field. ``expand_pages=n`` turns a list column ``pages`` into
    ``pages_1`` .. ``pages_n``."""
    sio = io.StringIO()
    w = csv.writer(sio, lineterminator="\n")
    cols = list(table.columns)
    if expand_pages:
        i = cols.index("pages")
        head = cols[:i] + [f"pages_{j}" for j in range(1, expand_pages + 1)] + cols[i + 1:]
    else:
        head = cols
    w.writerow(head)
    for r in table.rows:
        row = []
        for c in cols:
            if expand_pages and c == "pages":
                row.extend(r[c])
            else:
                row.append(_csv_value(r[c]))
        w.writerow(row)
        if sio.tell() >= CHUNK:
            yield sio.getvalue().encode("utf-8")
            sio.seek(0)
            sio.truncate()
    yield sio.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------------
# Dump -> pandas / Arrow / Parquet
# --------------------------------------------------------------------------------------------

def _need(module: str, extra: str):
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this needs {module}: pip install pageowner-fast[{extra}]") from None


def _unique_strings(table):
    """(decoded strings, remap or None): decoded values are unique unless a literal ``\\xNN``
    collides with an invalid byte; then ids are remapped onto unique values."""
    strs = [table.text(i) for i in range(len(table))]
    if len(set(strs)) == len(strs):
        return strs, None
    uniq, remap = {}, np.empty(len(strs), dtype=np.int32)
    for i, s in enumerate(strs):
        remap[i] = uniq.setdefault(s, len(uniq))
    return list(uniq), remap


_STRING_COLS = (("comm", "comms", "comm_id"), ("module", "modules", "module_id"),
                ("stack", "stacks", "stack_id"))


def dump_to_pandas(dump):
    """All columns plus ``comm``, ``module`` and ``stack`` (page_owner_sort's stacktrace text)
    as categoricals."""
    pd = _need("pandas", "pandas")
    data = dict(dump.columns)
    for name, tab, idcol in _STRING_COLS:
        cats, remap = _unique_strings(getattr(dump, tab))
        codes = dump.columns[idcol]
        if remap is not None:
            codes = remap[codes]
        data[name] = pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))
    return pd.DataFrame(data, copy=False)


def dump_to_arrow(dump):
    """A pyarrow Table: the NumPy columns (zero-copy) and ``comm``, ``module``, ``stack``
    dictionary-encoded (int32 indices = the id columns, also zero-copy)."""
    pa = _need("pyarrow", "arrow")
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


def dump_to_parquet(dump, path, **kwargs) -> None:
    """Write `dump_to_arrow` to a Parquet file (keyword arguments go to
    ``pyarrow.parquet.write_table``, e.g. ``compression="zstd"``)."""
    _need("pyarrow", "arrow")
    pq = _need("pyarrow.parquet", "arrow")
    pq.write_table(dump_to_arrow(dump), path, **kwargs)
