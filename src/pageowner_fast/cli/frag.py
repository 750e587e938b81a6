"""`pageowner-fast frag INPUT`: mixed pageblocks per type and the stacks that mix them."""
from __future__ import annotations

from ..analysis import frag
from ..analysis.fragmentation import FRAG_FOLD_KEY
from ..render import data, text
from ..render.text import DEFAULT_FRAMES
from ._common import (
    _page_size_arg,
    add_threads,
    add_window,
    check_outputs,
    count_arg,
    load_inputs,
    parser,
    text_top,
    write_output,
)


def main(argv: list[str]) -> int:
    p = parser("frag", "Fragmentation from the PFN lines of a page_owner dump: per pageblock "
                       "type the pageblocks seen and how many are mixed (hold an allocation of "
                       "another migratetype, as /proc/pagetypeinfo counts them), then the "
                       "culprits: per stack, page type and pageblock type, the pageblocks "
                       "polluted and the pages.")
    p.add_argument("input", help="page_owner dump ('-' = stdin)")
    p.add_argument("--normalize", action="store_true",
                   help="group culprit stacks without +0xOFF/0xSIZE, compiler suffixes, _noprof")
    p.add_argument("--top", type=count_arg, default=None, metavar="K",
                   help="only the first K culprits (default: 20 in text, all in json/csv; 0 = all)")
    p.add_argument("--frames", type=count_arg, default=DEFAULT_FRAMES, metavar="N",
                   help=f"at most N frames of each culprit stack in text (default: {DEFAULT_FRAMES}; "
                        "0 = all)")
    p.add_argument("--page-size", type=_page_size_arg, default=4096, metavar="SIZE",
                   help="page size for the byte figures: 4K (default), 16K, 64K or a number of bytes")
    add_window(p)
    p.add_argument("--format", choices=("text", "json", "csv"), default="text")
    p.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
    add_threads(p)
    args = p.parse_args(argv)
    check_outputs(args)
    # folded by stack and pageblock while reading (one row per block with --since/--until)
    (src,) = load_inputs(args, [args.input], fold_key=FRAG_FOLD_KEY)
    result = frag(src, page_size=args.page_size, normalize=args.normalize, since=args.since,
                  until=args.until)
    k = text_top(args)
    if args.format == "json":
        write_output(args.output, data.iter_frag_json(result, k))
    elif args.format == "csv":
        write_output(args.output, data.iter_frag_csv(result, k))
    else:
        write_output(args.output, text.frag_summary(result, k, args.frames))
    return 0
