"""Analyses of dumps, page_owner_stacks files and kernel logs: pure functions from loaded (or
loadable) sources to tables -- `top`, `diff`, `timeline`, `stacks_table` -- and the
grouping they are built on (`group_by`: blocks, pages and bytes per key or combination of
keys, with the key registry `KEYS`, page sizes and time windows).

Inputs are paths (plain, .gz, .xz, .zst), ``"-"``, binary file objects, or already loaded
`Dump` / `StackFile` objects; dumps and show_stacks files can be mixed. Nothing here prints:
rendering is `pageowner_fast.render`'s, the command line `pageowner_fast.cli`'s.
"""
from ..timewindow import TimeBound, TimeWindow, parse_time, time_window
from ._load import load_sources
from .fragmentation import FragResult, frag, frag_loaded
from .grouping import Grouped, counts, group_by, group_loaded, needs_blocks
from .growth import timeline
from .keys import (
    BY_CHOICES,
    KEYS,
    KeySpec,
    memcg_of,
    normalize_frame,
    normalize_stack,
    parse_by,
    resolve_by,
    resolve_keys,
    short_label,
    sort_token,
    source_kind,
)
from .snapshot_diff import diff
from .stack_table import stacks_table
from .table import ResultTable
from .topn import top
from .units import DEFAULT_PAGE_SIZE, parse_page_size

__all__ = ["ResultTable", "top", "diff", "timeline", "stacks_table", "counts", "load_sources",
           "group_by", "group_loaded", "Grouped", "needs_blocks", "KEYS", "KeySpec",
           "BY_CHOICES", "parse_by", "resolve_by", "resolve_keys", "source_kind",
           "normalize_frame", "normalize_stack", "short_label", "sort_token", "memcg_of",
           "parse_page_size", "DEFAULT_PAGE_SIZE",
           "parse_time", "time_window", "TimeBound", "TimeWindow", "frag", "frag_loaded",
           "FragResult"]
