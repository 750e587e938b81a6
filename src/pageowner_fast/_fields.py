"""Constants shared by both scanner engines: column names, flag bits, enums.

Kept free of heavy imports so that the pure-Python engine, the Cython engine and the
Python layer agree on one definition.
"""

# Allocator bits, with the values page_owner_sort uses (sorting compares the integer).
# page_owner_sort's key spellings for --cull and --sort (case-sensitive), and the cull keys
KEYS = {"pid": "pid", "p": "pid", "tgid": "tgid", "tg": "tgid", "name": "name", "n": "name",
        "stacktrace": "stacktrace", "st": "stacktrace", "txt": "txt", "T": "txt",
        "alloc_ts": "alloc_ts", "at": "alloc_ts", "allocator": "allocator", "ator": "allocator",
        "module": "module", "mod": "module", "free_ts": "free_ts", "ft": "free_ts",
        "free": "free", "f": "free"}
CULL_KEYS = frozenset({"pid", "tgid", "name", "stacktrace", "allocator", "module", "free"})
SORT_KEYS = frozenset({"pid", "tgid", "name", "stacktrace", "txt", "alloc_ts", "allocator",
                       "module", "free_ts", "times", "pages"})


def sort_keys(arg: str) -> list[tuple[str, int]] | None:
    """--sort's argument as (key, +1 or -1) pairs -- one optional sign per item, then a key
    spelling of KEYS naming a sort key -- or None if an item is not one."""
    out = []
    for item in arg.split(","):
        sign = -1 if item[:1] == "-" else 1
        k = KEYS.get(item[1:] if item[:1] in ("+", "-") else item)
        if k not in SORT_KEYS:
            return None
        out.append((k, sign))
    return out

ALLOC_CMA = 2
ALLOC_SLAB = 4
ALLOC_VMALLOC = 8
ALLOC_OTHERS = 16
ALLOCATOR_NAMES = ((ALLOC_CMA, "CMA"), (ALLOC_SLAB, "SLAB"), (ALLOC_VMALLOC, "VMALLOC"),
                   (ALLOC_OTHERS, "OTHERS"))


def allocator_names(bits: int) -> tuple[str, ...]:
    """The names of page_owner_sort's allocator bits, in its print order (("CMA", "SLAB"))."""
    return tuple(name for bit, name in ALLOCATOR_NAMES if bits & bit)


# "bad" bits: which field of a block could not be extracted (docs/compatibility.md, "Missing
# fields").
BAD_ORDER = 1 << 0       # no `order N,` (or unconvertible): 0 pages
BAD_ORDER_RANGE = 1 << 1  # order > 62: counted as 0 pages (docs/compatibility.md, difference 5)
BAD_PID = 1 << 2
BAD_TGID = 1 << 3
BAD_COMM = 1 << 4
BAD_TS = 1 << 5
BAD_FREE_TS = 1 << 6     # no `free_ts N ns` (normal for v6.7+ dumps)
BAD_PFN = 1 << 7         # the block has no PFN line of its own
BAD_MASK = 1 << 8        # no `mask 0x...`

BAD_NAMES = (
    (BAD_ORDER, "order"),
    (BAD_ORDER_RANGE, "order in range 0..62"),
    (BAD_PID, "pid"),
    (BAD_TGID, "tgid"),
    (BAD_COMM, "comm"),
    (BAD_TS, "ts"),
    (BAD_FREE_TS, "free_ts"),
    (BAD_PFN, "PFN line"),
    (BAD_MASK, "gfp mask"),
)

def order_pages(order: int | None) -> tuple[int, int, int]:
    """(order, pages, BAD_* bits) of a parsed order: 2**order pages; a missing order or one
    above 64 is -1 with 0 pages (BAD_ORDER), one of 63 or 64 counts 0 pages (BAD_ORDER_RANGE;
    docs/compatibility.md, difference 5)."""
    if order is None or order > 64:
        return -1, 0, BAD_ORDER
    if order > 62:
        return order, 0, BAD_ORDER_RANGE
    return order, 1 << order, 0


U64_MAX = (1 << 64) - 1
I64_MAX = (1 << 63) - 1


def bounded_int(digits: str | bytes, limit: int) -> int | None:
    """The value of a run of ASCII digits, or None if it is empty, holds anything else (a
    digit of another script, such as "²", which str.isdigit() accepts and int() refuses) or
    is above `limit`. The length is looked at first, so a number of any length is refused
    without converting it (Python's int() refuses more than 4,300 digits with an exception)."""
    if isinstance(digits, bytes):
        digits = digits.decode("ascii", "replace")
    d = digits.lstrip("0")
    if not (digits.isascii() and digits.isdigit()) or len(d) > len(str(limit)):
        return None
    v = int(d) if d else 0
    return v if v <= limit else None

# Migratetype of the page (the first `type` of the PFN line); -1 when unknown/absent.
MIGRATETYPES = ("Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate")

# Integer columns every engine produces, with their NumPy dtypes.
COLUMNS = (
    ("order", "int16"),      # parsed order, -1 when missing/unparsable
    ("pages", "int64"),      # 2**order, 0 when order is missing or > 62 (a row's total when aggregated)
    ("count", "int64"),      # blocks in the row: 1, or more when the scan aggregated twins
    ("pid", "int32"),        # -1 when missing
    ("tgid", "int32"),       # -1 when missing
    ("ts_ns", "uint64"),     # 2**64-1 when missing
    ("free_ts_ns", "uint64"),  # 2**64-1 when missing
    ("pfn", "int64"),        # -1 when the block has no PFN line of its own
    ("gfp_mask", "uint64"),  # 0 when missing
    ("migratetype", "int8"),  # index into MIGRATETYPES, -1 unknown
    ("allocator", "uint8"),  # ALLOC_* bits, page_owner_sort's heuristic (stale PFN line)
    ("header_id", "int32"),  # interned first line of the collation text
    ("stack_id", "int32"),   # interned text after the first line (page_owner_sort's `stacktrace`)
    ("comm_id", "int32"),    # interned comm ("" when missing)
    ("module_id", "int32"),  # interned module ("vmlinux" when none)
    ("bad", "uint16"),       # BAD_* bits
    ("lineno", "int64"),     # 1-based line number of the block's first line
    ("block", "int64"),      # pageblock number (`Block N` of the PFN line), -1 when absent
    ("block_migratetype", "int8"),  # the pageblock's type (`Block N type T`): MIGRATETYPES index, -1
)

# Columns that the compiled scanner of this branch does not produce yet (the native rewrite
# adds them): a Dump may lack them, and what needs them says so (Dump.column()).
PFN_BLOCK_COLUMNS = ("block", "block_migratetype")
