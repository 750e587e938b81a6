"""`pageowner-fast diff OLD NEW`: pages per key in two snapshots, largest growth first."""
from __future__ import annotations

from .. import diagnose
from ..analysis import BY_CHOICES, diff, load_sources, source_kind
from ..render import text
from ._common import add_table_options, parser, report, write_table


def main(argv: list[str]) -> int:
    p = parser("diff", "Pages per key in OLD and NEW (dumps and/or show_stacks files), "
                       "largest growth first.")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE and compiler suffixes so two builds' stacks match")
    add_table_options(p, ("text", "json", "csv"), None, BY_CHOICES)
    args = p.parse_args(argv)
    old, new = load_sources([args.old, args.new], threads=args.threads)
    for src in (old, new):
        for message in diagnose.messages(src):
            report(message)
    kinds = {source_kind(old), source_kind(new)}
    if "dump" in kinds and "show_stacks" in kinds and args.by in (None, "stack"):
        report("note: show_stacks does not count the early-boot pages (stack "
               "register_early_stack) that a full dump lists")
    full = diff(old, new, args.by, args.normalize)
    shown = full.head(args.top)
    write_table(args.output, args.format, shown, text.diff_summary(full, shown, args.top))
    return 0
