"""`sort`'s head start: before the sort command (and NumPy, ~50 ms) is imported, a plain
command line is read here -- without NumPy -- and the scan of its input started on threads
(`_engine.prefetch`). The command then parses its arguments as always; the scan it asks for
takes the started one over only if it is the same (same file, same mode, same threads), so
a guess here can waste work but never change a result. Anything unusual (filters, -d, -f,
a time window, --format, abbreviated or unknown options, unknown keys, '-' as input)
starts nothing."""
from __future__ import annotations

from .. import _engine
from .. import _fields as F

_FLAGS = {"-a", "-m", "-n", "-p", "-P", "-s", "-t", "-M"}


def prefetch_sort(argv: list[str]) -> bool:
    """Start scanning the input of `sort argv` if the command line is a plain one."""
    flags: set[str] = set()
    cull: set[str] = set()
    sort_first: str | None = None
    threads: int | None = None
    operands: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in ("--cull", "--sort", "--threads"):
            if not eq:
                if i + 1 >= len(argv):
                    return False
                i += 1
                value = argv[i]
            if name == "--cull":
                keys = {F.KEYS.get(k) for k in value.split(",")}
                if not keys <= F.CULL_KEYS:
                    return False
                cull |= keys        # type: ignore[arg-type]
            elif name == "--sort":
                sort = F.sort_keys(value)
                if sort is None:
                    return False        # the command's error, at once
                sort_first = sort[0][0]
            else:
                n = F.bounded_int(value, _engine.MAX_THREADS)
                if not n:
                    return False
                threads = n
        elif arg in _FLAGS:
            flags.add(arg)
        elif arg.startswith("-") and arg != "-":
            return False
        else:
            operands.append(arg)
        i += 1
    if len(operands) != 2 or operands[0] == "-" or len(flags) > 1:
        return False
    first_key = "alloc_ts" if flags == {"-a"} else (sort_first if not flags else None)
    strip_ts = first_key != "alloc_ts"
    fold_key = _engine.cull_fold_key(cull if cull - {"free"} else (), operands[0])
    return _engine.prefetch(operands[0], strip_ts=strip_ts, aggregate=strip_ts,
                            fold_key=fold_key, threads=threads)
