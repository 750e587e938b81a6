"""The HTML report: one self-contained page (script, style and data inline; it loads nothing
from the network) with a flame graph of held memory by call stack, the top stacks, comms,
modules and allocators, and -- given a baseline or snapshots -- what grew and a timeline.

    >>> import pageowner_fast as pf
    >>> pf.report("after.txt.xz", baseline="before.txt.xz", output="report.html")

`data` computes what the page shows with the analyses (aggregated: stacks and sums, never
blocks), `facts` the header's facts, `page` writes the HTML (Jinja2, the ``report`` extra).
The command line is ``pageowner-fast report`` (cli/report.py). This package is named
``htmlreport`` so that ``pageowner_fast.report`` stays the function.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

from .._output import AtomicOutput
from ..analysis._load import AnySource
from ..analysis.units import PageSize
from . import data, page
from .data import DEFAULT_MAX_STACKS

__all__ = ["report", "require", "DEFAULT_MAX_STACKS"]


def require() -> None:
    """PageOwnerError (one line naming the extra to install) unless Jinja2 is installed."""
    page._jinja()


def report(source: AnySource, *, baseline: AnySource | None = None,
           snapshots: Sequence[AnySource] = (), output: str | os.PathLike[str] | None = None,
           page_size: PageSize = 4096, normalize: bool = False, top: int = 50,
           max_stacks: int = DEFAULT_MAX_STACKS, title: str | None = None,
           threads: int | None = None) -> str:
    """The HTML report of ``source`` (a dump or show_stacks file: a path, ``"-"``, a binary
    file object or a loaded Dump/StackFile); returns the page's text and, given ``output``
    (a path; ``"-"`` for standard output), writes it there atomically.

    ``baseline``: an older snapshot of the same machine: the page then opens with what grew
    (a table, largest growth first, and a differential flame graph). ``snapshots``: snapshots
    in time order for a timeline of the fastest-growing stacks; ``source`` is the last point
    unless it is among them. ``page_size``, ``normalize``: as in `group_by` (``normalize``
    matches a baseline from another build of the kernel). ``top``: rows per table.
    ``max_stacks``: stacks a flame graph keeps (the smaller ones are summed into one frame),
    which bounds the page's size. ``title``: the page's title.

    Needs the ``report`` extra (Jinja2)."""
    require()   # a missing extra is an error before the inputs are read
    html = page.render(data.build(source, baseline=baseline, snapshots=snapshots, page_size=page_size,
                                  normalize=normalize, top=top, max_stacks=max_stacks, title=title,
                                  threads=threads))
    if output is not None:
        with AtomicOutput(os.fspath(output)) as out:
            out.write(html.encode("utf-8"))
    return html
