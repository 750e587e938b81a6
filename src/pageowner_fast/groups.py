"""`GroupTable`: the culled (and possibly sorted) groups of a dump, as `Dump.cull()` and
`Dump.sort()` return them."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from . import compat, sortcull
from ._deps import need
from ._types import DumpLike


class GroupTable(Sequence[dict[str, Any]]):
    """Culled (and possibly sorted) groups of a Dump: ``rep`` (representative row: the first
    loaded member), ``count`` (blocks), ``pages``. ``records()`` / ``to_pandas()`` give the
    same fields as ``sort --format json``; ``text()`` the page_owner_sort output bytes."""

    def __init__(self, dump: DumpLike, groups: sortcull.Groups, cull: frozenset[str]) -> None:
        self.dump = dump
        self.groups = groups
        self.cull = frozenset(cull)

    @property
    def rep(self) -> npt.NDArray[np.int64]:
        return self.groups.rep

    @property
    def count(self) -> npt.NDArray[np.int64]:  # type: ignore[override]  # not Sequence.count
        return self.groups.count

    @property
    def pages(self) -> npt.NDArray[Any]:
        return self.groups.pages

    def __len__(self) -> int:
        return len(self.groups)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> GroupTable: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | GroupTable:
        if isinstance(i, slice):
            return GroupTable(self.dump, self.groups[i], self.cull)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("GroupTable index out of range")
        from . import export
        return next(export.group_records(self.dump, self.groups, self.cull, start=i, stop=i + 1))

    def __repr__(self) -> str:
        return f"GroupTable({len(self)} groups, cull={sorted(self.cull)})"

    def sort(self, keys: str | Iterable[str | tuple[str, int]] | None = "-times") -> GroupTable:
        """These groups sorted stably by `keys` ("-times", "-pages,pid", [("pages", -1)])."""
        return GroupTable(self.dump, sortcull.sort(self.dump, self.groups, sortcull.sort_keys(keys)),
                          self.cull)

    def records(self) -> Iterator[dict[str, Any]]:
        from . import export
        return export.group_records(self.dump, self.groups, self.cull)

    def to_pandas(self) -> Any:
        pd = need("pandas", "pandas")
        return pd.DataFrame(list(self.records()))

    def text(self) -> bytes:
        """page_owner_sort's output text for these groups (cull columns as with --cull)."""
        opts = sortcull.SortOptions(cull=self.cull)
        return b"".join(compat.iter_text(self.dump, self.groups, opts))
