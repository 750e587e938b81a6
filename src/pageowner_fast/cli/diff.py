"""`pageowner-fast diff OLD NEW`: pages per key in two snapshots, largest growth first."""
from __future__ import annotations

from ..analysis import diff, source_kind
from ..render import text
from ._common import (
    add_table_options,
    check_outputs,
    load_inputs,
    parser,
    report,
    text_top,
    write_table,
)


def main(argv: list[str]) -> int:
    p = parser("diff", "Pages and bytes per key in OLD and NEW (dumps, show_stacks files or "
                       "kernel logs), largest growth first.")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE, compiler suffixes and _noprof from frames so that "
                        "two builds' stacks match")
    add_table_options(p, ("text", "json", "csv"), None)
    args = p.parse_args(argv)
    check_outputs(args)
    old, new = load_inputs(args, [args.old, args.new])
    kinds = {source_kind(old), source_kind(new)}
    if "dump" in kinds and "show_stacks" in kinds and args.by in (None, ("stack",)):
        report("note: show_stacks does not count the early-boot pages (stack "
               "register_early_stack) that a full dump lists")
    full = diff(old, new, args.by, args.normalize, page_size=args.page_size, since=args.since,
                until=args.until)
    if args.format == "text":
        write_table(args.output, args.format, full,
                    text.diff_summary(full, text_top(args), args.frames, unchanged=args.top is not None))
    else:
        write_table(args.output, args.format, full.head(args.top), ())
    return 0
