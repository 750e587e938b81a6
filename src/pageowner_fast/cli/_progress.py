"""A progress bar on stderr for long runs, only when stderr is a terminal (tqdm)."""
from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

COMPRESSED_MAGIC = (b"\x1f\x8b", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


def _compressed(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except OSError:
        return False
    return head.startswith(COMPRESSED_MAGIC)


def for_input(*paths: object, min_bytes: int = 64 << 20,
              min_compressed: int = 1 << 20) -> Callable[[int], None] | None:
    """Return a callable(nbytes) that advances one bar for all of `paths` (called from any
    thread), or None when no bar is wanted: not a terminal, or inputs too small to wait for
    (plain files under `min_bytes` together, compressed ones under `min_compressed`). A
    compressed input's bar counts the bytes read after decompression, without a total."""
    if os.environ.get("PAGEOWNER_FAST_NO_PROGRESS") or not sys.stderr.isatty():
        return None
    total: int | None = 0
    plain = packed = 0
    for path in paths:
        if not isinstance(path, (str, os.PathLike)) or os.fspath(path) == "-":
            total = None
            continue
        try:
            size = os.path.getsize(path)
        except OSError:
            continue
        if _compressed(os.fspath(path)):
            packed += size
            total = None
        else:
            plain += size
            if total is not None:
                total += size
    if paths and all(isinstance(p, (str, os.PathLike)) and os.fspath(p) != "-" for p in paths) \
            and plain < min_bytes and packed < min_compressed:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = tqdm(total=total or None, unit="B", unit_scale=True, unit_divisor=1024, desc="reading",
               file=sys.stderr, leave=False, dynamic_ncols=True)
    lock = threading.Lock()

    def advance(n: int) -> None:
        with lock:
            bar.update(n)
            if total and bar.n >= total:
                bar.refresh()   # show 100% once (update() draws at most every 0.1 s)
                bar.close()
    return advance
