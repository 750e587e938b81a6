"""A progress bar on stderr for long runs, only when stderr is a terminal (tqdm)."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable


def for_input(path: object, *, min_bytes: int = 64 << 20) -> Callable[[int], None] | None:
    """Return a callable(nbytes) that advances a bar, or None when no bar is wanted."""
    if os.environ.get("PAGEOWNER_FAST_NO_PROGRESS") or not sys.stderr.isatty():
        return None
    total = None
    if isinstance(path, (str, os.PathLike)) and os.fspath(path) != "-":
        try:
            total = os.path.getsize(path) or None
        except OSError:
            total = None
    if total is not None and total < min_bytes:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="reading",
               file=sys.stderr, leave=False, dynamic_ncols=True)

    def advance(n: int) -> None:
        bar.update(n)
        if total is not None and bar.n >= total:
            bar.refresh()   # show 100% once (update() draws at most every 0.1 s)
            bar.close()
    return advance
