"""`pageowner-fast top INPUT --by KEY[,KEY...]`: the largest page consumers."""
from __future__ import annotations

from ..analysis import top
from ..render import text
from ._common import add_table_options, check_outputs, load_inputs, parser, text_top, write_table


def main(argv: list[str]) -> int:
    p = parser("top", "Largest page consumers by comm, pid, tgid, module, allocator, stack, "
                      "order, gfp mask, migratetype, memcg, pageblock type, or several of these "
                      "at once (--by comm,module), of a dump, a show_stacks file or a kernel log.")
    p.add_argument("input", help="page_owner dump, show_stacks file or kernel log ('-' = stdin)")
    p.add_argument("--normalize", action="store_true",
                   help="strip +0xOFF/0xSIZE, compiler suffixes and _noprof from frames")
    add_table_options(p, ("text", "json", "csv"), "comm")
    args = p.parse_args(argv)
    check_outputs(args)
    (src,) = load_inputs(args, [args.input])
    full = top(src, args.by, page_size=args.page_size, normalize=args.normalize,
               since=args.since, until=args.until)
    shown = full.head(text_top(args))
    write_table(args.output, args.format, shown, text.top_summary(full, shown, args.frames))
    return 0
