"""What is worth saying about an input once it is read: truncated, NUL bytes, malformed
blocks, fields its kernel does not print, a show_stacks file given where a dump was expected.

Each function yields message lines ("warning: ...", "note: ...", "block N (line L): ...");
the caller passes them to its reporter (the command line prints them on stderr).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import _fields as F
from .dump import Dump
from .stacks import StackFile


def missing_text(name: str) -> str:
    """How a block lacking field `name` (a _fields.BAD_NAMES name) is described."""
    if name == "order in range 0..62":
        return "an order above 62 (counted as 0 pages)"
    if name == "PFN line":
        return "no PFN line (its allocator comes from the previous PFN line, as in page_owner_sort)"
    return f"no {name} field"


def _not_a_dump(dump: Dump) -> str:
    """The warning for an input in which no block has an order field."""
    if any(b"nr_base_pages:" in s or b"stack_count:" in s for s in dump.stacks):
        return ("warning: this looks like a page_owner_stacks/show_stacks file, not a page_owner "
                "dump: each record was sorted as a block without fields (0 pages), as "
                "page_owner_sort does; `pageowner-fast stacks` reads it properly")
    return ("warning: no block has an order field: this does not look like a page_owner dump; "
            "its blocks were sorted as plain text, as page_owner_sort does")


def dump_messages(dump: Dump, debug: bool = False) -> Iterator[str]:
    """Warnings about a scanned dump; with `debug` (sort -d) also notes and one line per
    field a block lacks."""
    st = dump.stats
    if st.get("truncated"):
        yield ("warning: the input ends inside a block (no empty line after its last block); "
               "that block was kept")
    if st.get("nul_bytes"):
        yield f"warning: {st['nul_bytes']} NUL byte(s) in the input were kept as data"
    if st.get("cr_removed") and debug:
        yield f"note: {st['cr_removed']} CRLF line ends were read as LF"
    if len(dump) == 0:
        yield "warning: the input holds no page_owner blocks"
        return
    mal = dump.malformed()
    absent = mal.pop("absent")
    if "order" in absent:
        yield _not_a_dump(dump)
    empty_mask = dump.empty_mask()
    empty = int(dump.count[empty_mask].sum())
    total = dump.nblocks
    if debug and absent:
        yield ("note: no block has " + ", ".join(absent) + " (the dump's kernel does not print "
               "them); such fields take page_owner_sort's missing values")
    if debug and empty:
        yield (f"note: {empty} empty block(s) (extra blank lines or PFN-only blocks) count as "
               "entries, as in page_owner_sort")
    for name, rows in mal.items():
        if name == "PFN line":
            continue
        yield (f"warning: {int(dump.count[rows].sum())} of {total} blocks had {missing_text(name)}"
               + ("" if debug else " (-d lists them)"))
    if debug:
        bits = [(b, n) for b, n in F.BAD_NAMES if n not in absent]
        for i in np.flatnonzero(dump.bad != 0).tolist():
            if empty_mask[i]:
                continue
            for b, n in bits:
                if dump.bad[i] & b:
                    yield f"block {i + 1} (line {int(dump.lineno[i])}): {missing_text(n)}"


def stackfile_messages(src: StackFile) -> Iterator[str]:
    """Notes on how a page_owner_stacks file counts, and its malformed records."""
    if src.unit == "allocations":
        yield (f"note: {src.source}: stack_count: records (v6.9-rc page_owner_stacks) count "
               "allocations, not pages")
    elif src.unit == "mixed":
        n = sum(1 for lab in src.labels if lab == "stack_count")
        yield (f"note: {src.source}: {n} of {len(src)} records have stack_count: (allocations, "
               "v6.9-rc) instead of nr_base_pages:; both are summed as given")
    if src.malformed:
        yield (f"warning: {src.source}: {src.malformed} record(s) had a count or handle too "
               "large to be one (above 2**63-1); kept without it (a count as 0 pages)")
    if len(src) == 0:
        yield f"warning: {src.source}: no records"


def log_messages(log: Dump) -> Iterator[str]:
    """How many page_owner reports a kernel log held."""
    n = len(log)
    if n == 0:
        yield (f"warning: {log.source}: a kernel log without page_owner reports (no 'page last "
               "allocated via order' line: was the kernel booted with page_owner=on?)")
        return
    yield f"note: {log.source}: {n:,} page_owner report(s) read from a kernel log, one block each"
    mal = log.malformed()
    mal.pop("absent")
    mal.pop("PFN line", None)
    for name, rows in mal.items():
        yield f"warning: {log.source}: {len(rows)} of {n} reports had {missing_text(name)}"


def messages(src: Dump | StackFile) -> Iterator[str]:
    """`stackfile_messages`, `log_messages` or `dump_messages` (without -d's details)."""
    if isinstance(src, StackFile):
        return stackfile_messages(src)
    if src.kind == "kernel_log":
        return log_messages(src)
    return dump_messages(src)
