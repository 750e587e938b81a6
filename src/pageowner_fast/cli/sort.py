"""`pageowner-fast sort [OPTIONS] <input> <output>`: page_owner_sort's job, its options and
its messages (cli/_getopt.py), run by the one sort pipeline (pipeline.py)."""
from __future__ import annotations

import sys

from .. import pipeline
from ._base import progress_for, report, say
from ._getopt import HELP, USAGE, USAGE_EXTRA, GetoptError, parse_sort_args


def main(argv: list[str]) -> int:
    try:
        args = parse_sort_args(argv)
    except GetoptError as e:   # page_owner_sort's own words, where it says them
        if e.message:
            print(e.message, file=sys.stderr)
        if e.usage:
            sys.stdout.write(USAGE)
            sys.stdout.flush()
        return e.exit_code
    if args.help:
        sys.stdout.write(HELP + USAGE_EXTRA)
        return 0
    if args.extra_operands:
        say("warning: extra operands ignored: " + " ".join(args.extra_operands))
    inp, outp = args.inputs
    pipeline.run(inp, outp, args.options, fmt=args.fmt, threads=args.threads,
                 progress=progress_for(inp), report=report, since=args.since, until=args.until)
    return 0
