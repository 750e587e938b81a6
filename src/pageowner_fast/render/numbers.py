"""One number style for every text table: thousands separators, sizes in binary units,
ratios with two decimals (``new`` when the old value is 0), signed deltas and slopes."""
from __future__ import annotations

RATIO_DECIMALS = 2
_UNITS = (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10))


def count(n: int | None) -> str:
    """``1,234``; ``-`` for None."""
    return "-" if n is None else f"{n:,}"


def signed(n: int) -> str:
    """``+1,234`` / ``-1,234`` / ``0``."""
    return f"{n:+,}" if n else "0"


def size(nbytes: int | float | None) -> str:
    """``402.5 MiB``, ``16.0 KiB``, ``512 B`` (binary units, one decimal); ``-`` for None."""
    if nbytes is None:
        return "-"
    sign = "-" if nbytes < 0 else ""
    a = abs(nbytes)
    for unit, shift in _UNITS:
        if a >= 1 << shift:
            return f"{sign}{a / (1 << shift):,.1f} {unit}"
    return f"{sign}{a:,.0f} B" if isinstance(a, float) else f"{sign}{a:,} B"


def signed_size(nbytes: int | float) -> str:
    """``+43.2 MiB`` / ``-4.0 KiB`` / ``0 B``."""
    if not nbytes:
        return "0 B"
    return ("+" if nbytes > 0 else "") + size(nbytes)


def ratio(new: int, old: int) -> str:
    """new / old with two decimals (``31,234.00``, ``2.70``); ``new`` when old is 0."""
    if not old:
        return "new" if new else "-"
    return f"{new / old:,.{RATIO_DECIMALS}f}"


def share(fraction: float) -> str:
    """``12.3%``."""
    return f"{fraction * 100:.1f}%"


def slope(pages_per_snapshot: float) -> str:
    """``+125,459.0`` (pages per snapshot, one decimal)."""
    return f"{pages_per_snapshot:+,.1f}" if pages_per_snapshot else "0.0"


def page_size(nbytes: int) -> str:
    """``4 KiB`` pages, ``64 KiB``, ``2 MiB``."""
    for unit, shift in _UNITS:
        if nbytes >= 1 << shift and nbytes % (1 << shift) == 0:
            return f"{nbytes >> shift} {unit}"
    return f"{nbytes} B"
