"""A line plot of a timeline (matplotlib, no pyplot: no global backend or figure state)."""
from __future__ import annotations

import os

from ..analysis import ResultTable
from ..exceptions import OutputError, PageOwnerError, UsageError
from . import numbers as N
from .text import key_text

FORMATS = (".png", ".svg", ".pdf")


def check_plot_path(path: str) -> None:
    """UsageError unless `path` names a format we plot to; PageOwnerError (exit 2) when
    matplotlib is not installed."""
    if not path.lower().endswith(FORMATS):
        raise UsageError(f"--plot {path}: use a .png, .svg or .pdf file name")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PageOwnerError("--plot needs matplotlib: pip install pageowner-fast[plot]") from None


def plot_timeline(table: ResultTable, path: str | os.PathLike[str]) -> None:
    """Pages per snapshot for the rows of a `timeline` table, one line per key."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(9, 5))
    ax = fig.subplots()
    labels = table.meta.get("labels") or []
    n = len(labels) or max((len(r["pages"]) for r in table.rows), default=0)
    x = list(range(1, n + 1))
    handles, names = [], []
    for r in table.rows:
        (line,) = ax.plot(x, r["pages"], marker="o")
        handles.append(line)
        names.append(f"{key_text(r['key'], table.keys)} ({N.slope(r['slope'])} pages/snap, "
                     f"{N.signed_size(r['slope_bytes'])}/snap)")
    ax.set_xlabel("snapshot")
    ax.set_ylabel(f"pages ({N.page_size(table.meta.get('page_size', 4096))} each)")
    ax.set_title(f"pages per {table.by}, top {len(table)} by growth")
    if labels:
        ax.set_xticks(x)
        ax.set_xticklabels([os.path.basename(str(lab)) for lab in labels], rotation=30, ha="right",
                           fontsize=7)
    # handles and labels given explicitly: matplotlib hides a label that starts with "_"
    # (such as __filemap_get_folio) when it collects the labels itself
    if handles:
        ax.legend(handles, names, fontsize=7, loc="upper left")
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as e:
        raise OutputError(f"--plot {os.fsdecode(path)}: {e.strerror or e}") from None
