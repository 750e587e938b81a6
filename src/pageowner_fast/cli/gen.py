"""`pageowner-fast gen`: a seeded synthetic dump. A temporary front: it hands the command line
to `pageowner_fast.gen.main` (whose own command line moves here with the generator's split),
turning an argparse error into one line and exit code 1 like every other command."""
from __future__ import annotations

import contextlib
import io
import sys

from ..exceptions import UsageError


def main(argv: list[str]) -> int:
    from .. import gen
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            code = gen.main(argv)
    except SystemExit as e:
        if e.code == 2:   # argparse: usage and "prog: error: ..." on stderr
            lines = err.getvalue().strip().splitlines() or ["bad option"]
            raise UsageError("gen: " + lines[-1].split(": error: ", 1)[-1]) from None
        sys.stderr.write(err.getvalue())
        return e.code if isinstance(e.code, int) else 0
    sys.stderr.write(err.getvalue())
    return code
