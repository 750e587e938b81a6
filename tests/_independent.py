"""An independent count of a page_owner dump's text, for the report and pprof tests: plain
regular expressions over the blocks, no code of the package. A block's pages are 2**order
(the kernel prints ``Page allocated via order N``); its frames are its lines that start with
a space, innermost first; its comm is in ``(...)`` after the tgid."""
from __future__ import annotations

import lzma
import re
from collections import Counter
from pathlib import Path

_ORDER = re.compile(r"^Page allocated via order (\d+),", re.M)
_COMM = re.compile(r", tgid (\d+) \((.*)\), ts ")
_PID = re.compile(r", pid (\d+),")


def read_text(path: Path) -> str:
    data = Path(path).read_bytes()
    if str(path).endswith(".xz"):
        data = lzma.decompress(data)
    return data.decode("utf-8", "backslashreplace")


def blocks(text: str):
    """(pages, frames tuple, comm or None, pid or None) per block."""
    for chunk in text.split("\n\n"):
        m = _ORDER.search(chunk)
        if m is None:
            continue
        lines = chunk.split("\n")
        frames = tuple(line.strip() for line in lines if line.startswith(" "))
        c = _COMM.search(chunk)
        p = _PID.search(chunk)
        yield 2 ** int(m.group(1)), frames, (c.group(2) if c else None), (int(p.group(1)) if p else None)


def totals(text: str) -> tuple[int, int]:
    """(blocks, pages)."""
    n = pages = 0
    for p, *_ in blocks(text):
        n += 1
        pages += p
    return n, pages


def pages_by_stack(text: str) -> Counter:
    c: Counter = Counter()
    for p, frames, *_ in blocks(text):
        c[frames] += p
    return c


def pages_by_comm(text: str) -> Counter:
    c: Counter = Counter()
    for p, _, comm, _ in blocks(text):
        c[comm] += p
    return c


def show_stacks_pages(text: str) -> int:
    return sum(int(n) for n in re.findall(r"^nr_base_pages: (\d+)$", text, re.M))
