"""`ResultTable`: what every analysis returns."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, overload

from .._deps import need

Row = dict[str, Any]


class ResultTable(Sequence[Row]):
    """A small table: ``columns`` (names) and ``rows`` (list of dicts), plus ``meta`` (dict).

    ``table[i]`` is row i, ``table["pages"]`` a column (list). ``keys`` names the grouping
    (``("stack",)``, ``("comm", "module")``) and ``by`` spells it as one string
    (``"comm,module"``). A row's ``key`` is the key's value for one key -- a stack is a tuple
    of frame strings, innermost first -- and a tuple of values, in ``keys`` order, for
    several."""

    def __init__(self, columns: Iterable[str], rows: Iterable[Row], *,
                 by: str | Sequence[str] = "stack", meta: dict[str, Any] | None = None) -> None:
        self.columns = list(columns)
        self.rows = list(rows)
        self.keys: tuple[str, ...] = tuple(by.split(",")) if isinstance(by, str) else tuple(by)
        self.by = ",".join(self.keys)
        self.meta = dict(meta or {})

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> Row: ...

    @overload
    def __getitem__(self, i: slice) -> ResultTable: ...

    @overload
    def __getitem__(self, i: str) -> list[Any]: ...

    def __getitem__(self, i: int | slice | str) -> Row | ResultTable | list[Any]:
        if isinstance(i, str):
            return [r[i] for r in self.rows]
        if isinstance(i, slice):
            return ResultTable(self.columns, self.rows[i], by=self.keys, meta=self.meta)
        return self.rows[i]

    def __repr__(self) -> str:
        return f"ResultTable(by={self.by!r}, {len(self)} rows, columns={self.columns})"

    def head(self, k: int | None) -> ResultTable:
        """The first k rows (all of them for None or 0)."""
        return self if k is None or k <= 0 else self[:k]

    def to_records(self) -> list[Row]:
        """Rows as JSON-ready dicts (stack keys as lists; several keys as a list of values)."""
        return [{c: _json_value(r[c]) for c in self.columns} for r in self.rows]

    def to_pandas(self) -> Any:
        """A pandas DataFrame (stack keys as tuples); needs the ``pandas`` extra."""
        pd = need("pandas", "pandas")
        return pd.DataFrame({c: [r[c] for r in self.rows] for c in self.columns},
                            columns=self.columns)


def _json_value(v: Any) -> Any:
    if isinstance(v, tuple):
        if set(map(type, v)) <= {str}:      # a stack: its frames as they are
            return list(v)
        return [_json_value(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
