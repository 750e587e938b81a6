"""`pageowner-fast stacks INPUT`: pages per stack of a show_stacks / show_handles /
show_stacks_handles file, a full dump or a kernel log."""
from __future__ import annotations

from typing import Any

from ..analysis import stacks_table
from ..exceptions import UsageError
from ..render import text
from ._common import (
    add_table_options,
    check_outputs,
    count_arg,
    load_inputs,
    parser,
    write_output,
    write_table,
)


def main(argv: list[str]) -> int:
    p = parser("stacks", "Pages per allocation stack (or comm, pid, ...) of a show_stacks, "
                         "show_handles or show_stacks_handles file, a full dump or a kernel log.")
    p.add_argument("input", help="page_owner_stacks file, page_owner dump or kernel log ('-' = stdin)")
    p.add_argument("--threshold", type=count_arg, default=0, metavar="N",
                   help="drop records with fewer than N pages (as the kernel's count_threshold)")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE, compiler suffixes (.isra.N, .cold, ...) and _noprof "
                        "from frames")
    p.add_argument("--stacks-handles", metavar="FILE",
                   help="show_stacks_handles file that maps the handles of a show_handles INPUT to stacks")
    add_table_options(p, ("text", "json", "csv", "folded", "pprof"), None, frames=0)
    args = p.parse_args(argv)
    check_outputs(args)
    (src,) = load_inputs(args, [args.input])
    if args.format == "pprof":
        return _pprof(args, src)
    table = stacks_table(src, args.by, threshold=args.threshold, normalize=args.normalize,
                         stacks_handles=args.stacks_handles, k=args.top, page_size=args.page_size,
                         since=args.since, until=args.until)
    if args.format == "folded":
        pieces = text.folded(table)
    elif table.keys in (("stack",), ("handle",)) and not args.frames:
        pieces = text.show_stacks(table)
    else:
        pieces = text.simple(table, args.frames)
    write_table(args.output, args.format, table, pieces)
    return 0


def _pprof(args: Any, src: Any) -> int:
    """--format pprof: every sample of the input (pageowner_fast.pprof), not a table."""
    from ..pprof import to_pprof
    for opt, unset in (("--by", None), ("--top", None), ("--threshold", 0)):
        if getattr(args, opt[2:].replace("-", "_")) != unset:
            raise UsageError(f"stacks: {opt} does not apply to --format pprof (a profile holds every "
                             "stack, labelled with its comm, pid, tgid, allocator, migratetype, memcg)")
    write_output(args.output, [to_pprof(src, normalize=args.normalize, stacks_handles=args.stacks_handles,
                                        page_size=args.page_size, since=args.since, until=args.until,
                                        threads=args.threads)])
    return 0
