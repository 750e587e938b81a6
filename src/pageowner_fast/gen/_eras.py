"""What differs between kernel eras: frame names, the block template, the page-flag string."""

from __future__ import annotations

import functools

from . import _vocab as V

ERAS = ("4.6", "5.11", "5.13", "5.18", "6.1", "6.5", "6.7")

HAS_PID = frozenset(ERAS) - {"4.6"}
HAS_TGID = frozenset({"5.18", "6.1", "6.5", "6.7"})   # `pid P, tgid G (comm)`
HAS_FREE_TS = frozenset({"5.13", "5.18", "6.1", "6.5"})  # `, free_ts F ns`
HAS_MEMCG = frozenset({"5.18", "6.1", "6.5", "6.7"})  # `Charged ... memcg` lines
OLD_FLAGS = frozenset({"4.6", "5.11", "5.13"})        # page flags without `node=|zone=` fields

# One block: header, PFN line, stack, trailer lines, empty line.
TEMPLATES = {
    "4.6": "%s\nPFN %d type %s Block %d type %s Flags %s\n%s%s\n",
    "5.11": "%s%s%d ns\nPFN %d type %s Block %d type %s Flags %s\n%s%s\n",
    "5.13": "%s%s%d ns, free_ts %d ns\nPFN %d type %s Block %d type %s Flags %s\n%s%s\n",
    "5.18": "%s%s%d ns, free_ts %d ns\nPFN %d type %s Block %d type %s Flags %s\n%s%s\n",
    "6.1": "%s%s%d ns, free_ts %d ns\nPFN %d type %s Block %d type %s Flags %s\n%s%s\n",
    "6.5": "%s%s%d ns, free_ts %d ns\nPFN 0x%x type %s Block %d type %s Flags %s\n%s%s\n",
    "6.7": "%s%s%d ns\nPFN 0x%x type %s Block %d type %s Flags %s\n%s%s\n",
}

# pageblock migratetypes, by code
BMT_NAMES = ("Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA")


def era_group(era: str) -> str:
    """Which column of the gfp-mask table an era uses."""
    return "old" if era == "4.6" else ("mid" if era in ("5.11", "5.13") else "new")


def rename(era: str, sym: str) -> str | None:
    """The name of a (modern) frame in ``era``; None if that frame did not exist."""
    if era == "6.7":
        # like 6.12's stack depot: the trace starts at get_page_from_freelist
        return None if sym == "post_alloc_hook" else sym
    if era == "6.1" and sym == "post_alloc_hook":
        return None  # so does a real 6.1 dump's (tests/data/real_dumps)
    table = {"4.6": V.RENAMES_OLD, "5.11": V.RENAMES_MID, "5.13": V.RENAMES_MID13}.get(era, V.RENAMES_NEW)
    if sym in table:
        return table[sym]
    if era == "4.6" and sym.startswith("__x64_sys_"):
        return "SyS_" + sym[len("__x64_sys_"):]
    if sym.endswith("_noprof"):
        return sym[: -len("_noprof")]
    return sym


@functools.lru_cache(maxsize=4096)
def flags_string(era: str, names: tuple[str, ...], head: bool, zone: int, slab_flag: bool) -> str:
    """The `Flags` part of a PFN line: ``0x<value>(<names>[|node=..|zone=..|lastcpupid=..])``."""
    bits = V.FLAG_BITS_SLAB if slab_flag else V.FLAG_BITS_NOSLAB
    names = tuple(n for n in names if n in bits and (slab_flag or n != "slab"))
    if head and "head" not in names:
        names = (*names, "head")
    names = tuple(sorted(set(names), key=bits.__getitem__))
    value = 0
    for n in names:
        value |= 1 << bits[n]
    if era in OLD_FLAGS:
        value |= zone << 56
        return f"0x{value:x}({'|'.join(names)})"
    value |= (zone << 51) | (0x1FFFFF << 30)
    fields = f"node=0|zone={zone}|lastcpupid=0x1fffff"
    return f"0x{value:x}({'|'.join((*names, fields))})"
