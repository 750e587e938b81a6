"""`pageowner-fast example [PATH|-]`: write the bundled example dump (300 blocks, kernel 6.7+
format) to PATH (default example.txt) or standard output."""
from __future__ import annotations

import gzip
from importlib import resources

from ._common import parser, write_output


def main(argv: list[str]) -> int:
    p = parser("example", "Write the bundled example dump (300 blocks, kernel 6.7+ format).")
    p.add_argument("path", nargs="?", default="example.txt",
                   help="output file, or - for standard output (default: example.txt)")
    args = p.parse_args(argv)
    data = resources.files("pageowner_fast").joinpath("data/example.txt.gz").read_bytes()
    write_output(args.path, [gzip.decompress(data)])
    return 0
