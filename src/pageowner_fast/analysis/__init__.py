"""Analyses of dumps and page_owner_stacks files: pure functions from loaded (or loadable)
sources to `ResultTable`s -- `top`, `diff`, `timeline`, `stacks_table` -- and the per-key
counts they are built on (`counts`).

Inputs are paths (plain, .gz, .xz, .zst), ``"-"``, binary file objects, or already loaded
`Dump` / `StackFile` objects; dumps and show_stacks files can be mixed. Nothing here prints:
rendering is `pageowner_fast.render`'s, the command line `pageowner_fast.cli`'s.
"""
from ._load import load_sources
from .growth import timeline
from .keys import BY_CHOICES, counts, normalize_frame, normalize_stack, resolve_by, short_label, source_kind
from .snapshot_diff import diff
from .stack_table import stacks_table
from .table import ResultTable
from .topn import top

__all__ = ["ResultTable", "top", "diff", "timeline", "stacks_table", "counts", "load_sources",
           "normalize_frame", "normalize_stack", "short_label", "resolve_by", "source_kind",
           "BY_CHOICES"]
