"""page_owner_sort compatibility: its command line (getopt_long rules, messages, exit codes)
and its output text, byte for byte (spec §3.9, §4, §7)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _fields as F

PROG = "pageowner-fast"

USAGE = (
    "Usage: ./page_owner_sort [OPTIONS] <input> <output>\n"
    "-a\t\t\tSort by memory allocation time.\n"
    "-m\t\t\tSort by total memory.\n"
    "-n\t\t\tSort by task command name.\n"
    "-p\t\t\tSort by pid.\n"
    "-P\t\t\tSort by tgid.\n"
    "-s\t\t\tSort by the stacktrace.\n"
    "-t\t\t\tSort by number of times record is seen (default).\n"
    "-M\t\t\tSort by module name.\n\n"
    "--pid <pidlist>\t\tSelect by pid. This selects the information of\n"
    "\t\t\tblocks whose process ID numbers appear in <pidlist>.\n"
    "--tgid <tgidlist>\tSelect by tgid. This selects the information of\n"
    "\t\t\tblocks whose Thread Group ID numbers appear in <tgidlist>.\n"
    "--name <cmdlist>\tSelect by command name. This selects the information\n"
    "\t\t\tof blocks whose command name appears in <cmdlist>.\n"
    "--module <modlist>\tSelect by module name. This selects the information\n"
    "\t\t\tof blocks whose module name appears in <modlist>.\n"
    "--cull <rules>\t\tCull by user-defined rules. <rules> is a single\n"
    "\t\t\targument in the form of a comma-separated list with some\n"
    "\t\t\tcommon fields predefined (pid, tgid, comm, stacktrace, allocator, module)\n"
    "--sort <order>\t\tSpecify sort order as: [+|-]key[,[+|-]key[,...]]\n"
)
USAGE_EXTRA = (
    "\npageowner-fast additions (not in page_owner_sort):\n"
    "-d\t\t\tReport blocks with missing fields on stderr, one line per field.\n"
    "-f\t\t\t(legacy, dumps with free_ts) Drop blocks freed after allocation.\n"
    "-r\t\t\t(legacy, dumps with free_ts) Sort by free time.\n"
    "--format <fmt>\t\ttext (default, byte-identical to page_owner_sort), json or csv.\n"
    "<input> may be '-' (stdin) or a .gz/.xz/.zst file; <output> may be '-' (stdout).\n"
)

# Short sort flags and the single comparator each installs (name, sign).
SHORT_SORT = {
    "a": ("alloc_ts", 1), "m": ("pages", -1), "p": ("pid", 1), "s": ("stacktrace", 1),
    "t": ("times", -1), "P": ("tgid", 1), "n": ("name", 1), "M": ("module", 1),
    "r": ("free_ts", 1),
}
SHORT_FLAGS = set(SHORT_SORT) | {"d", "f", "h"}
LONG_OPTS = {"pid": True, "tgid": True, "name": True, "cull": True, "sort": True,
             "module": True, "help": False, "format": True}

# Key spellings (spec §4, case-sensitive).
_KEYS = {"pid": "pid", "p": "pid", "tgid": "tgid", "tg": "tgid", "name": "name", "n": "name",
         "stacktrace": "stacktrace", "st": "stacktrace", "txt": "txt", "T": "txt",
         "alloc_ts": "alloc_ts", "at": "alloc_ts", "allocator": "allocator", "ator": "allocator",
         "module": "module", "mod": "module", "free_ts": "free_ts", "ft": "free_ts",
         "free": "free", "f": "free"}
CULL_OK = {"pid", "tgid", "name", "stacktrace", "allocator", "module", "free"}
SORT_OK = {"pid", "tgid", "name", "stacktrace", "txt", "alloc_ts", "allocator", "module", "free_ts"}


class OptionError(Exception):
    """Carries page_owner_sort's message(s), whether usage is printed, and the exit code."""

    def __init__(self, message: str | None, usage: bool = True, code: int = 1):
        super().__init__(message or "")
        self.message = message
        self.usage = usage
        self.code = code


@dataclass
class SortOptions:
    inputs: list = field(default_factory=list)
    cull: frozenset = frozenset()
    sort: list = field(default_factory=list)       # [(key, sign)]
    pids: list | None = None
    tgids: list | None = None
    names: list | None = None
    modules: list | None = None
    debug: bool = False
    free_filter: bool = False                      # legacy -f
    fmt: str = "text"
    help: bool = False
    extra_operands: list = field(default_factory=list)

    @property
    def strip_ts(self) -> bool:
        """ts digits are cut from the text unless the first comparator is alloc_ts (Q6)."""
        return not (self.sort and self.sort[0][0] == "alloc_ts")

    def uses_free_ts(self) -> bool:
        return self.free_filter or "free" in self.cull or any(k == "free_ts" for k, _ in self.sort)


def _parse_nums(arg: str, what: str):
    out = []
    for item in arg.split(","):
        s = item.lstrip(" \t\n\v\f\r")
        body = s[1:] if s[:1] in ("+", "-") else s
        if not body.isdigit() or not body.isascii():
            raise OptionError(f"wrong/invalid {what} in from the command line:{arg}", usage=False)
        v = int(s)
        if v > (1 << 63) - 1 or v < -(1 << 63):
            raise OptionError(f"wrong/invalid {what} in from the command line:{arg}", usage=False)
        out.append(((v + (1 << 31)) % (1 << 32)) - (1 << 31))  # long -> int, as in C
    return out


def _parse_cull(arg: str):
    bits = set()
    for item in arg.split(","):
        k = _KEYS.get(item)
        if k not in CULL_OK:
            raise OptionError(f"wrong argument after --cull option:{arg}", usage=False)
        bits.add(k)
    return bits


def _parse_sort(arg: str):
    keys = []
    for item in arg.split(","):
        sign = 1
        if item[:1] in ("-", "+"):
            sign = -1 if item[0] == "-" else 1
            item = item[1:]
        k = _KEYS.get(item)
        if k not in SORT_OK:
            raise OptionError(f"wrong argument after --sort option:{arg}", usage=False)
        keys.append((k, sign))
    return keys


def parse_sort_args(argv) -> SortOptions:
    """Parse `sort` options exactly as page_owner_sort's getopt_long loop does (latest)."""
    opts = SortOptions()
    operands = []
    flags = set()
    cull = set()
    sort = []
    i = 0
    argv = list(argv)
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            operands.extend(argv[i:])
            break
        if a.startswith("--"):
            body = a[2:]
            name, eq, val = body.partition("=")
            matches = [o for o in LONG_OPTS if o.startswith(name)]
            if name in LONG_OPTS:
                matches = [name]
            if not matches:
                raise OptionError(f"{PROG}: unrecognized option '{a}'")
            if len(matches) > 1:
                poss = " ".join(f"'--{m}'" for m in matches)
                raise OptionError(f"{PROG}: option '--{name}' is ambiguous; possibilities: {poss}")
            name = matches[0]
            if LONG_OPTS[name]:
                if not eq:
                    if i >= len(argv):
                        raise OptionError(f"{PROG}: option '--{name}' requires an argument")
                    val = argv[i]
                    i += 1
            elif eq:
                raise OptionError(f"{PROG}: option '--{name}' doesn't allow an argument")
            if name == "help":
                opts.help = True
                return opts
            if name == "pid":
                opts.pids = _parse_nums(val, "pid")
            elif name == "tgid":
                opts.tgids = _parse_nums(val, "tgid")
            elif name == "name":
                opts.names = val.split(",")
            elif name == "module":
                opts.modules = val.split(",")
            elif name == "cull":
                cull |= _parse_cull(val)
                if not sort:
                    sort = [("times", -1)]
            elif name == "sort":
                sort = _parse_sort(val)
            elif name == "format":
                if val not in ("text", "json", "csv"):
                    raise OptionError(f"wrong argument after --format option:{val}", usage=False)
                opts.fmt = val
            continue
        if a.startswith("-") and a != "-":
            for ch in a[1:]:
                if ch not in SHORT_FLAGS:
                    raise OptionError(f"{PROG}: invalid option -- '{ch}'")
                if ch == "h":
                    opts.help = True
                    return opts
                if ch == "d":
                    opts.debug = True
                elif ch == "f":
                    opts.free_filter = True
                else:
                    flags.add(ch)
            continue
        operands.append(a)
    if len(operands) < 2:
        raise OptionError(None)
    if len(flags) > 1:
        raise OptionError(None)
    if flags:
        sort = [SHORT_SORT[flags.pop()]]
    elif not sort:
        sort = [("times", -1)]
    opts.inputs = operands[:2]
    opts.extra_operands = operands[2:]
    opts.cull = frozenset(cull)
    opts.sort = sort
    return opts


def allocator_text(bits: int) -> bytes:
    return b"allocated by " + b"".join(n.encode() + b" " for b, n in F.ALLOCATOR_NAMES if bits & b)


_ALLOC_TEXT = [allocator_text(i) for i in range(32)]


def write_text(write, dump, groups, opts: SortOptions) -> None:
    """Write page_owner_sort's output text for `groups` through `write(data)`; `data` may be
    a view of a buffer that is reused after `write` returns (a file's write copies it)."""
    if not opts.cull:
        try:
            from ._scan import write_text_records
        except ImportError:
            write_text_records = None
        if write_text_records is not None:
            rep = groups.rep
            write_text_records(write, *dump.headers.packed(), *dump.stacks.packed(),
                               np.ascontiguousarray(groups.count, dtype=np.int64),
                               np.ascontiguousarray(groups.pages, dtype=np.int64),
                               np.ascontiguousarray(dump.allocator[rep], dtype=np.uint8),
                               np.ascontiguousarray(dump.header_id[rep], dtype=np.int32),
                               np.ascontiguousarray(dump.stack_id[rep], dtype=np.int32))
            return
    for chunk in iter_text(dump, groups, opts):
        write(chunk)


def iter_text(dump, groups, opts: SortOptions, chunk_bytes: int = 1 << 20):
    """Yield the output file's bytes in chunks of about `chunk_bytes`."""
    rep = groups.rep
    count = groups.count.tolist()
    pages = groups.pages.tolist()
    alloc = dump.allocator[rep].tolist()
    stack_id = dump.stack_id[rep].tolist()
    stacks = dump.stacks
    out = []
    size = 0
    if not opts.cull:
        headers = dump.headers
        header_id = dump.header_id[rep].tolist()
        for n, p, a, h, s in zip(count, pages, alloc, header_id, stack_id):
            piece = b"%d times, %d pages, %b:\n%b%b\n" % (n, p, _ALLOC_TEXT[a], headers[h], stacks[s])
            out.append(piece)
            size += len(piece)
            if size >= chunk_bytes:
                yield b"".join(out)
                out, size = [], 0
        if out:
            yield b"".join(out)
        return
    cull = opts.cull
    show_pid = "pid" in cull or opts.pids is not None
    show_tgid = "tgid" in cull or opts.tgids is not None
    show_comm = "name" in cull or opts.names is not None
    show_mod = "module" in cull or opts.modules is not None
    show_alloc = "allocator" in cull
    show_free = "free" in cull
    show_st = "stacktrace" in cull
    pid = dump.pid[rep].tolist()
    tgid = dump.tgid[rep].tolist()
    comm_id = dump.comm_id[rep].tolist()
    mod_id = dump.module_id[rep].tolist()
    released = (dump.free_ts_ns[rep] == 0).tolist()
    comms, modules = dump.comms, dump.modules
    for i in range(len(rep)):
        parts = [b"%d times, %d pages" % (count[i], pages[i])]
        if show_pid:
            parts.append(b", PID %d" % pid[i])
        if show_tgid:
            parts.append(b", TGID %d" % tgid[i])
        if show_comm:
            parts.append(b", task_comm_name: " + comms[comm_id[i]])
        if show_mod:
            parts.append(b", module: " + modules[mod_id[i]])
        if show_alloc:
            parts.append(b", " + _ALLOC_TEXT[alloc[i]])
        if show_free:
            parts.append(b" (RELEASED)" if released[i] else b" (UNRELEASED)")
        if show_st:
            parts.append(b":\n" + stacks[stack_id[i]])
        parts.append(b"\n")
        piece = b"".join(parts)
        out.append(piece)
        size += len(piece)
        if size >= chunk_bytes:
            yield b"".join(out)
            out, size = [], 0
    if out:
        yield b"".join(out)
