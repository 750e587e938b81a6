"""Page sizes: ``--page-size`` (4K by default; 16K and 64K on arm64 and Android builds)."""
from __future__ import annotations

from ..exceptions import UsageError

PageSize = int | str

DEFAULT_PAGE_SIZE = 4096
_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
MIN_PAGE_SIZE, MAX_PAGE_SIZE = 1 << 10, 1 << 30


def parse_page_size(value: PageSize | None) -> int:
    """Bytes per page from ``4096``, ``"4K"``, ``"16K"``, ``"64KiB"``, ``"16KB"``, ``"65536"``
    (None: 4096). A page size is a power of two from 1 KiB to 1 GiB; UsageError otherwise."""
    if value is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(value, bool):
        raise UsageError(f"page size must be a number of bytes or 4K, 16K, 64K, not {value!r}")
    if isinstance(value, int):
        n = value
    else:
        t = str(value).strip().upper().replace(" ", "").removesuffix("IB").removesuffix("B")
        unit = t[-1:] if t[-1:] in _SUFFIX and t[-1:] else ""
        digits = t[:-1] if unit else t
        if not digits.isdigit() or not digits.isascii() or len(digits) > 12:
            raise UsageError(f"page size must be a number of bytes or 4K, 16K, 64K, not {value!r}")
        n = int(digits) * _SUFFIX[unit]
    if not MIN_PAGE_SIZE <= n <= MAX_PAGE_SIZE or n & (n - 1):
        raise UsageError(f"page size must be a power of two from 1K to 1G (4K, 16K, 64K), "
                         f"not {value!r}")
    return n
