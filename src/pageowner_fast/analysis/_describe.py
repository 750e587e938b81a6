"""What an analysis says about each of its inputs (the ``meta`` of its table)."""
from __future__ import annotations

from typing import Any

from ..dump import Dump
from ..sortcull import exact_total
from ..stacks import StackFile


def describe_source(src: Dump | StackFile) -> dict[str, Any]:
    if isinstance(src, StackFile):
        return {"source": src.source, "kind": src.kind, "unit": src.unit, "records": len(src),
                "pages": src.total_pages()}
    return {"source": src.source, "kind": src.kind, "unit": "pages", "blocks": src.nblocks,
            "pages": exact_total(src.pages)}
