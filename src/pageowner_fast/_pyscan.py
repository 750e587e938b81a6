"""The pure-Python engine: the reference semantics, the test oracle and the fallback.

It reads its input a chunk at a time and uses Python's `re` with page_owner_sort's own
patterns (docs/compatibility.md, Field extraction). For these patterns Python's leftmost-first
matching gives the same match and capture as glibc's POSIX leftmost-longest: the character
classes that follow each other are disjoint, and the greedy `(.*)` of the comm pattern picks
the last `), ts` on the line, which is also the longest match. `\\s` is [ \\t\\n\\r\\f\\v] in
both, and `.` stops at newline in both. It is slow (about 20 MB/s) and is used only when the
compiled engine is unavailable or when PAGEOWNER_FAST_PUREPYTHON=1.

Linear time whatever a line holds (issue 16): a backtracking engine can take quadratic time
on some of those patterns -- `ts` before a long run of spaces (the two `\\s*` share it out
in every way), or `tgid (` repeated on a line (each `(.*)` runs to the line end and back).
So the runs of spaces are matched atomically (`(?=(\\s*))\\1` takes the whole run and never
gives any back: with disjoint classes in a row, the whole run is the only split that can
match), and the comm is found by `match_comm`, which looks at each line once. The patterns
as the C tool writes them are kept (`C_TOOL_PATTERNS`): tests/test_pyscan.py checks that
both forms find the same matches and captures.
"""
from __future__ import annotations

import re

import numpy as np

from . import _fields as F

# page_owner_sort's patterns, as written in the C tool (the specification of the ones below)
C_TOOL_PATTERNS = {
    "order": rb"order\s*([0-9]*),",
    "pid": rb"pid\s*([0-9]*),",
    "tgid": rb"tgid\s*([0-9]*) ",
    "comm": rb"tgid\s*[0-9]*\s*\((.*)\),\s*ts",
    "ts": rb"ts\s*([0-9]*)\s*ns",
    "free_ts": rb"free_ts\s*([0-9]*)\s*ns",
    "module": rb"\+0x[0-9a-f]+/0x[0-9a-f]+\s*\[([a-zA-Z0-9_-]+)\]",
    "mask": rb"mask\s*0x([0-9a-fA-F]+)",     # ours: the gfp mask column
}

ORDER_RE = re.compile(C_TOOL_PATTERNS["order"])
PID_RE = re.compile(C_TOOL_PATTERNS["pid"])
TGID_RE = re.compile(C_TOOL_PATTERNS["tgid"])
# the same matches, with each run of spaces taken atomically (capture group "v")
TS_RE = re.compile(rb"ts(?=(\s*))\1(?P<v>[0-9]*)(?=(\s*))\3ns")
FREE_TS_RE = re.compile(rb"free_ts(?=(\s*))\1(?P<v>[0-9]*)(?=(\s*))\3ns")
COMM_HEAD_RE = re.compile(rb"tgid(?=(\s*))\1[0-9]*(?=(\s*))\2\(")
LAST_CLOSE_RE = re.compile(rb"([^\n]*)\),\s*ts")    # anchored at a line start: its last `),\s*ts`
MODULE_RE = re.compile(C_TOOL_PATTERNS["module"])
MASK_RE = re.compile(C_TOOL_PATTERNS["mask"])
FIELD_BUFF = 25          # page_owner_sort's capture buffer: a capture of 25+ chars fails
MODULE_NAME_LEN = 64
LONG_MAX = (1 << 63) - 1
MT_INDEX = {name.encode(): i for i, name in enumerate(F.MIGRATETYPES)}


def match_comm(text: bytes):
    """The comm capture (start, end) of `tgid\\s*[0-9]*\\s*\\((.*)\\),\\s*ts` in text, or None.

    Leftmost match: the first `tgid ... (` whose line has a `),\\s*ts` after the `(`; the
    greedy `(.*)` ends at the last such `)` of that line. Each line's last one is looked
    up once (the `(` of later heads lie further right)."""
    line_end = -1                  # the end of the line looked at last ...
    close = -1                     # ... and its last `)` followed by `,\\s*ts` (-1: none)
    for m in COMM_HEAD_RE.finditer(text):
        j = m.end() - 1            # the `(`
        if j > line_end:           # a new line
            line_start = text.rfind(b"\n", max(line_end, 0), j) + 1
            line_end = text.find(b"\n", j)
            if line_end < 0:
                line_end = len(text)
            last = LAST_CLOSE_RE.match(text, line_start)
            close = last.end(1) if last is not None else -1
        if close > j:
            return j + 1, close
    return None


def _capture_int(m, limit):
    """strtol/strtoull on a capture: None on failure (empty, too long, out of range).
    page_owner_sort's FIELD_BUFF rule: 25 or more characters fail, leading zeros count."""
    if m is None:
        return None
    cap = m.group("v") if "v" in m.re.groupindex else m.group(1)
    if not cap or len(cap) >= FIELD_BUFF:
        return None
    v = int(cap)
    return None if v > limit else v


def _to_int32(v):
    return ((v + (1 << 31)) % (1 << 32)) - (1 << 31)


def is_vmalloc(text: bytes) -> bool:
    """page_owner_sort's VMALLOC test: the line before the first `__vmalloc_node_range`
    occurrence's line (or that line itself, up to the occurrence) holds `alloc_pages`.
    An occurrence on the block's first or second line: not VMALLOC (the C tool walks back
    before its buffer there, which is undefined; in practice it never says VMALLOC)."""
    i = text.find(b"__vmalloc_node_range")
    if i < 0:
        return False
    line_start = text.rfind(b"\n", 0, i) + 1
    if line_start == 0:
        return False
    prev_start = text.rfind(b"\n", 0, line_start - 1) + 1
    if prev_start == 0:
        return False
    j = text.find(b"alloc_pages", prev_start)
    return 0 <= j < i


def _value(digits: bytes, base: int, max_digits: int, limit: int):
    """A number by value: leading zeros dropped; None when it exceeds `limit`."""
    digits = digits.lstrip(b"0") or b"0"
    if len(digits) > max_digits:
        return None
    v = int(digits, base)
    return v if v <= limit else None


def parse_pfn_line(line: bytes):
    """(pfn, page migratetype index, pageblock number, pageblock migratetype index) from a
    `PFN ...` line. The PFN is decimal or 0x-hex, read by value (any number of leading zeros;
    -1 above 2**63-1 or absent). The pageblock number is the decimal digits right after the
    first " Block " of the line, by value the same way; its type is the word after a " type "
    that follows those digits directly (-1 when absent or unknown)."""
    rest = line[3:].lstrip(b" ")
    pfn = -1
    m = re.match(rb"0x([0-9a-fA-F]+)|([0-9]+)", rest)
    if m:
        v = (_value(m.group(1), 16, 16, LONG_MAX) if m.group(1) else
             _value(m.group(2), 10, 19, LONG_MAX))
        pfn = -1 if v is None else v
    mt = -1
    k = line.find(b" type ")
    if k >= 0:
        word = line[k + 6:].split(b" ", 1)[0]
        mt = MT_INDEX.get(word, -1)
    block, bmt = -1, -1
    k = line.find(b" Block ")
    if k >= 0:
        m = re.match(rb"[0-9]+", line[k + 7:])
        if m:
            v = _value(m.group(0), 10, 19, LONG_MAX)
            if v is not None:
                block = v
                after = k + 7 + m.end()
                if line.startswith(b" type ", after):
                    bmt = MT_INDEX.get(line[after + 6:].split(b" ", 1)[0], -1)
    return pfn, mt, block, bmt


class _Interner:
    def __init__(self):
        self.ids = {}
        self.items = []

    def __call__(self, b: bytes) -> int:
        i = self.ids.get(b)
        if i is None:
            i = self.ids[b] = len(self.items)
            self.items.append(b)
        return i


def split_blocks(data: bytes):
    """The blocks of a dump held in memory (see `split_lines`)."""
    return split_lines(data.split(b"\n"))


def split_lines(lines):
    """Yield (lineno, text, own_pfn_lines, last_pfn_line, truncated) per block
    (docs/compatibility.md, Reading blocks): an empty line ends a block, `PFN` lines are set
    aside (and stay the "last PFN line" across blocks), runs of empty lines give empty blocks.
    `lines` is the input split at newlines (its last item is what follows the last newline). A
    final block without its empty line is yielded with truncated=True (the C tool drops it; we
    keep it)."""
    it = iter(lines)
    pending = next(it, b"")
    last_pfn = b""
    text: list[bytes] = []
    own_pfn: list[bytes] = []
    start = None
    n = 0
    for following in it:
        line, pending = pending, following
        n += 1
        if start is None:
            start = n
        if not line:
            yield start, b"".join(text), own_pfn, last_pfn, False
            text, own_pfn, start = [], [], None
            continue
        if line.startswith(b"PFN"):
            last_pfn = line
            own_pfn.append(line)
            continue
        text.append(line + b"\n")
    if pending:  # an unterminated last line: as if it ended with "\n"
        n += 1
        if start is None:
            start = n
        if pending.startswith(b"PFN"):
            last_pfn = pending
            own_pfn.append(pending)
        else:
            text.append(pending + b"\n")
    if start is not None:
        yield start, b"".join(text), own_pfn, last_pfn, True


def _stream_lines(f, progress, counts):
    """The lines of binary stream `f` without their newlines, read 1 MiB at a time; CRLF is
    read as LF (deliberate difference 3). Counts NUL bytes, CRs removed and bytes read."""
    rest = b""
    while True:
        chunk = f.read(1 << 20)
        if not chunk:
            break
        counts["bytes"] += len(chunk)
        counts["nul"] += chunk.count(b"\0")
        if progress is not None:
            progress(len(chunk))
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            if line.endswith(b"\r"):
                counts["cr"] += 1
                line = line[:-1]
            yield line
    yield rest


def parse_block(text: bytes, own_pfn, last_pfn: bytes, strip_ts: bool):
    """All fields of one block; returns (row dict, header bytes, stack bytes, comm, module)."""
    bad = 0
    m = ORDER_RE.search(text)
    order = _capture_int(m, LONG_MAX)
    if order is None or order > 64:
        bad |= F.BAD_ORDER
        order, pages = -1, 0
    elif order > 62:
        bad |= F.BAD_ORDER_RANGE
        pages = 0
    else:
        pages = 1 << order
    pid = _capture_int(PID_RE.search(text), LONG_MAX)
    if pid is None:
        bad |= F.BAD_PID
        pid = -1
    tgid = _capture_int(TGID_RE.search(text), LONG_MAX)
    if tgid is None:
        bad |= F.BAD_TGID
        tgid = -1
    span = match_comm(text)
    if span is None:
        bad |= F.BAD_COMM
        comm = b""
    else:
        comm = text[span[0]:span[1]]
    tsm = TS_RE.search(text)
    ts = _capture_int(tsm, F.U64_MAX)
    if ts is None:
        bad |= F.BAD_TS
        ts = F.U64_MAX
    free_ts = _capture_int(FREE_TS_RE.search(text), F.U64_MAX)
    if free_ts is None:
        bad |= F.BAD_FREE_TS
        free_ts = F.U64_MAX
    m = MODULE_RE.search(text)
    module = m.group(1)[:MODULE_NAME_LEN - 1] if m else b"vmlinux"
    m = MASK_RE.search(text)
    gfp = None if m is None else _value(m.group(1), 16, 16, F.U64_MAX)
    if gfp is None:
        bad |= F.BAD_MASK
        gfp = 0
    alloc = 0
    if b"CMA" in last_pfn:
        alloc |= F.ALLOC_CMA
    if b"slab" in last_pfn:
        alloc |= F.ALLOC_SLAB
    if is_vmalloc(text):
        alloc |= F.ALLOC_VMALLOC
    if not alloc:
        alloc = F.ALLOC_OTHERS
    if own_pfn:
        pfn, mt, block, bmt = parse_pfn_line(own_pfn[0])
    else:
        bad |= F.BAD_PFN
        pfn, mt, block, bmt = -1, -1, -1, -1
    coll = text
    if strip_ts and tsm is not None and tsm.end("v") > tsm.start("v"):
        coll = text[:tsm.start("v")] + text[tsm.end("v"):]
    nl = coll.find(b"\n")
    header, stack = (coll[:nl + 1], coll[nl + 1:]) if nl >= 0 else (coll, b"")
    row = dict(order=order, pages=pages, pid=_to_int32(pid), tgid=_to_int32(tgid), ts_ns=ts,
               free_ts_ns=free_ts, pfn=pfn, gfp_mask=gfp, migratetype=mt, allocator=alloc, bad=bad,
               block=block, block_migratetype=bmt)
    return row, header, stack, comm, module


def scan_bytes(data: bytes, *, strip_ts: bool = True):
    """Scan a whole dump held in memory. Returns (columns, tables, stats) like the Cython engine."""
    import io
    return scan_stream(io.BytesIO(data), strip_ts=strip_ts)


def scan_stream(f, *, strip_ts: bool = True, progress=None):
    """Scan a binary stream as it is read (`progress(nbytes)` after each chunk)."""
    counts = {"nul": 0, "cr": 0, "bytes": 0}
    names = [c for c, _ in F.COLUMNS]
    rows: dict[str, list] = {c: [] for c in names}
    headers, stacks, comms, modules = _Interner(), _Interner(), _Interner(), _Interner()
    truncated = False
    for lineno, text, own_pfn, last_pfn, trunc in split_lines(_stream_lines(f, progress, counts)):
        truncated = trunc
        row, header, stack, comm, module = parse_block(text, own_pfn, last_pfn, strip_ts)
        row["header_id"] = headers(header)
        row["stack_id"] = stacks(stack)
        row["comm_id"] = comms(comm)
        row["module_id"] = modules(module)
        row["lineno"] = lineno
        row["count"] = 1
        for c in names:
            rows[c].append(row[c])
    columns = {c: np.array(rows[c], dtype=dt) for c, dt in F.COLUMNS}
    tables = {"headers": headers.items, "stacks": stacks.items, "comms": comms.items,
              "modules": modules.items}
    stats = {"blocks": len(columns["order"]), "nul_bytes": counts["nul"],
             "cr_removed": counts["cr"], "truncated": truncated, "bytes": counts["bytes"],
             "pages_overflow": 0}   # a row per block: no page sums here
    return columns, tables, stats
