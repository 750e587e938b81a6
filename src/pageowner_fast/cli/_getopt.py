"""`sort`'s command line, parsed exactly as page_owner_sort's getopt_long loop parses it:
options and operands in any order, ``--`` ends the options, long options by any unambiguous
prefix, ``--sort -p`` taking ``-p`` as its value, and page_owner_sort's own messages and exit
codes (docs/compatibility.md, "Options"). argparse cannot do this, hence this small parser.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import _fields as F
from .._engine import MAX_THREADS
from ..exceptions import UsageError
from ..pipeline import FORMATS
from ..sortcull import CULL_KEYS, KEYS, SortOptions
from ._base import PROG, parse_threads

if TYPE_CHECKING:   # timewindow (and its decimal) is loaded only for --since/--until
    from ..timewindow import TimeBound

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
# `sort --help` names this program; option errors print the tool's own usage, byte for byte
HELP = USAGE.replace("./page_owner_sort", f"{PROG} sort", 1)

USAGE_EXTRA = (
    "\npageowner-fast additions (not in page_owner_sort):\n"
    "-d\t\t\tReport blocks with missing fields on stderr, one line per field.\n"
    "-f\t\t\t(legacy, dumps with free_ts) Drop blocks freed after allocation.\n"
    "-r\t\t\t(legacy, dumps with free_ts) Sort by free time.\n"
    "--format <fmt>\t\ttext (default, byte-identical to page_owner_sort), json or csv.\n"
    "--threads <n>\t\tat most n threads: the scan of a plain input file (default: one\n"
    "\t\t\tper 32 MiB, at most one per CPU), the sort, a large output's writers.\n"
    "--since <T>\t\tonly blocks allocated at ts >= T: ns, or a number with a unit\n"
    "\t\t\t(ns, us, ms, s, m, h); negative: before the newest ts (-10m).\n"
    "--until <T>\t\tonly blocks allocated at ts < T (as --since).\n"
    "<input> may be '-' (stdin) or a .gz/.xz/.zst file; <output> may be '-' (stdout).\n"
)

# Short sort flags and the single comparator each installs (name, sign).
SHORT_SORT = {
    "a": ("alloc_ts", 1), "m": ("pages", -1), "p": ("pid", 1), "s": ("stacktrace", 1),
    "t": ("times", -1), "P": ("tgid", 1), "n": ("name", 1), "M": ("module", 1),
    "r": ("free_ts", 1),
}
SHORT_FLAGS = set(SHORT_SORT) | {"d", "f", "h"}
# page_owner_sort's long options (True: takes a value), then ours. A prefix is matched
# against page_owner_sort's first, so that ours never make one of its prefixes ambiguous
# (`--t` stays --tgid).
C_LONG_OPTS = {"pid": True, "tgid": True, "name": True, "cull": True, "sort": True,
               "module": True, "help": False}
OUR_LONG_OPTS = {"format": True, "threads": True, "since": True, "until": True}


class GetoptError(UsageError):
    """A `sort` option error, said as page_owner_sort says it: `message` on stderr as it is
    (None: nothing), then its usage text on stdout when `usage`; exit code 1."""

    def __init__(self, message: str | None, usage: bool = True) -> None:
        super().__init__(message or "")
        self.message = message
        self.usage = usage


@dataclass
class SortArgs:
    """A parsed `sort` command line."""

    options: SortOptions = field(default_factory=SortOptions)
    inputs: list[str] = field(default_factory=list)
    extra_operands: list[str] = field(default_factory=list)
    fmt: str = "text"
    threads: int | None = None
    help: bool = False
    since: TimeBound | None = None
    until: TimeBound | None = None


def _parse_nums(arg: str, what: str) -> list[int]:
    """A --pid/--tgid list, as strtol takes each item (blanks and a sign allowed), each
    cut to a C int as page_owner_sort stores it."""
    out = []
    for item in arg.split(","):
        s = item.lstrip(" \t\n\v\f\r")
        sign = -1 if s[:1] == "-" else 1
        body = s[1:] if s[:1] in ("+", "-") else s
        v = F.bounded_int(body, 1 << 63) if body.isdigit() and body.isascii() else None
        if v is None or sign * v > F.I64_MAX:   # strtol: not a number, or ERANGE
            raise GetoptError(f"wrong/invalid {what} in from the command line:{arg}", usage=False)
        out.append(((sign * v + (1 << 31)) % (1 << 32)) - (1 << 31))  # long -> int, as in C
    return out


def _parse_cull(arg: str) -> set[str]:
    bits = set()
    for item in arg.split(","):
        k = KEYS.get(item)
        if k not in CULL_KEYS:
            raise GetoptError(f"wrong argument after --cull option:{arg}", usage=False)
        bits.add(k)
    return bits


def _parse_sort(arg: str) -> list[tuple[str, int]]:
    keys = F.sort_keys(arg)
    if keys is None:
        raise GetoptError(f"wrong argument after --sort option:{arg}", usage=False)
    return keys


def _long_option(name: str) -> str:
    """The long option that `name` names or abbreviates."""
    for table in (C_LONG_OPTS, OUR_LONG_OPTS):
        if name in table:
            return name
    for table in (C_LONG_OPTS, OUR_LONG_OPTS):
        matches = [o for o in table if o.startswith(name)]
        if len(matches) > 1:
            poss = " ".join(f"'--{m}'" for m in matches)
            raise GetoptError(f"{PROG}: option '--{name}' is ambiguous; possibilities: {poss}")
        if matches:
            return matches[0]
    raise GetoptError(f"{PROG}: unrecognized option '--{name}'")


def parse_sort_args(argv: list[str]) -> SortArgs:
    """Parse `sort` options exactly as page_owner_sort's getopt_long loop does (latest)."""
    args = SortArgs()
    opts = args.options
    operands: list[str] = []
    flags: set[str] = set()
    cull: set[str] = set()
    sort: list[tuple[str, int]] = []
    i = 0
    argv = list(argv)
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            operands.extend(argv[i:])
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            try:
                name = _long_option(name)
            except GetoptError as e:
                if e.message and "unrecognized" in e.message:
                    raise GetoptError(f"{PROG}: unrecognized option '{a}'") from None
                raise
            if C_LONG_OPTS.get(name, OUR_LONG_OPTS.get(name)):
                if not eq:
                    if i >= len(argv):
                        raise GetoptError(f"{PROG}: option '--{name}' requires an argument")
                    val = argv[i]
                    i += 1
            elif eq:
                raise GetoptError(f"{PROG}: option '--{name}' doesn't allow an argument")
            if name == "help":
                args.help = True
                return args
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
                if val not in FORMATS:
                    raise GetoptError(f"wrong argument after --format option:{val}", usage=False)
                args.fmt = val
            elif name in ("since", "until"):
                try:
                    from ..timewindow import parse_time
                    setattr(args, name, parse_time(val))
                except UsageError:
                    raise GetoptError(f"wrong argument after --{name} option:{val} (nanoseconds, "
                                      "or a number with a unit: ns, us, ms, s, m, h)",
                                      usage=False) from None
            elif name == "threads":
                try:
                    args.threads = parse_threads(val)
                except UsageError:
                    raise GetoptError(f"wrong argument after --threads option:{val} (a whole "
                                      f"number from 1 to {MAX_THREADS})", usage=False) from None
            continue
        if a.startswith("-") and a != "-":
            for ch in a[1:]:
                if ch not in SHORT_FLAGS:
                    raise GetoptError(f"{PROG}: invalid option -- '{ch}'")
                if ch == "h":
                    args.help = True
                    return args
                if ch == "d":
                    opts.debug = True
                elif ch == "f":
                    opts.free_filter = True
                else:
                    flags.add(ch)
            continue
        operands.append(a)
    if len(operands) < 2:
        # page_owner_sort prints its usage only; we add one line on stderr saying why
        raise GetoptError(f"{PROG}: sort needs <input> and <output> ('-' for standard "
                          f"output); {PROG} sort --help lists the options")
    if len(flags) > 1:
        raise GetoptError(None)
    if flags:
        sort = [SHORT_SORT[flags.pop()]]
    elif not sort:
        sort = [("times", -1)]
    args.inputs = operands[:2]
    args.extra_operands = operands[2:]
    opts.cull = frozenset(cull)
    opts.sort = sort
    return args
