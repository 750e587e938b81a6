"""`pageowner-fast gen`: a seeded synthetic dump. A temporary front: it hands the command line
to `pageowner_fast.gen.main` (whose own command line moves here with the generator's split),
turning its option errors (argparse's usage dump and exit 2, or its "gen: ..." line and exit
2 for a bad value) into one line and exit code 1, as in every other command."""
from __future__ import annotations

import contextlib
import io
import sys

from ..exceptions import UsageError


def _last_line(text: str) -> str:
    lines = text.strip().splitlines() or ["bad option"]
    return lines[-1].split(": error: ", 1)[-1].removeprefix("gen: ")


def main(argv: list[str]) -> int:
    from .. import gen
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            code = gen.main(argv)
    except SystemExit as e:
        if e.code == 2:
            raise UsageError("gen: " + _last_line(err.getvalue())) from None
        sys.stderr.write(err.getvalue())
        return e.code if isinstance(e.code, int) else 0
    if code == 2:
        raise UsageError("gen: " + _last_line(err.getvalue()))
    sys.stderr.write(err.getvalue())
    return code
