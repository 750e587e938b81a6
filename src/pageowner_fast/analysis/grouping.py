"""`group_by`: blocks, pages and bytes per key -- one key or several at once -- of any source,
computed from the NumPy columns and the interned tables. The building block of `top`,
`diff`, `timeline`, `stacks_table`, and of reports and fleet jobs built on the library.

    >>> import pageowner_fast as pf
    >>> g = pf.group_by("dump.txt.xz", ["comm", "memcg"], page_size="16K", since="-10m")
    >>> for (comm, memcg), blocks, pages, nbytes in g.items():
    ...     print(comm, memcg, blocks, pages, nbytes)
    >>> g.to_pandas()        # one column per key, then blocks, pages, bytes

How it is computed: each key gives an integer code per row (a stack id, a comm id, a pid, ...;
`keys.key_codes`), the codes of several keys are combined into one (mixed radix, re-coded
when it would overflow), and the counts and pages of each combined code are summed with
NumPy. A key's value (a stack's frames, a memcg's name) is computed once per distinct stack
or string, never per block. Sums are exact: int64 while they fit, Python integers beyond.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _fields as F
from .._deps import need
from ..dump import Dump
from ..exceptions import UnsupportedKeyError
from ..stacks import StackFile
from ..timewindow import TimeBound, TimeWindow, time_window
from ._describe import describe_source
from ._load import AnySource, load_sources
from .keys import KEYS, Counts, key_codes, parse_by, resolve_keys, sort_token, stackfile_codes, sum_by
from .units import PageSize, parse_page_size

__all__ = ["Grouped", "group_by", "group_loaded", "needs_blocks", "counts"]

Time = str | int | TimeBound | None


@dataclass
class Grouped:
    """Per-key aggregates of one source.

    ``by``: the key names (``("comm", "memcg")``). ``keys``: one tuple per group, a value per
    key name in that order (a stack is itself a tuple of frame strings, innermost first;
    None where a block has no value, e.g. no memcg line). ``blocks``, ``pages``: NumPy
    arrays, one entry per group (int64, or Python integers should a sum pass 2**63-1);
    ``blocks`` is None for a show_stacks file, which counts pages only. ``bytes``: pages x
    ``page_size``. ``comms``: for a grouping by pid or tgid (without comm), the comm holding
    most of each group's pages, else None. ``meta``: the source (``input``), ``page_size``,
    ``normalize``, and ``window`` (the absolute ``since_ns``/``until_ns`` applied, the
    newest ts, the blocks kept and those without a ts) when a time window was given.

    Groups come in no particular order; `ranked()` gives them largest first.
    """

    by: tuple[str, ...]
    keys: list[tuple[Any, ...]]
    blocks: npt.NDArray[Any] | None
    pages: npt.NDArray[Any]
    page_size: int = 4096
    comms: list[str | None] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def bytes(self) -> npt.NDArray[Any]:
        """pages x page_size per group (exact: Python integers where int64 would wrap)."""
        p = self.pages
        if p.dtype != object and (len(p) == 0 or int(np.abs(p).max()) <= F.I64_MAX // self.page_size):
            return p * self.page_size
        return np.array([int(v) * self.page_size for v in p.tolist()], dtype=object)

    def key(self, i: int) -> Any:
        """Group i's key: the value itself for one key, the tuple of values for several."""
        k = self.keys[i]
        return k[0] if len(self.by) == 1 else k

    def items(self) -> Iterator[tuple[Any, int | None, int, int]]:
        """(key, blocks, pages, bytes) per group, key as `key()` gives it."""
        b = None if self.blocks is None else self.blocks.tolist()
        nbytes = self.bytes.tolist()
        for i, p in enumerate(self.pages.tolist()):
            yield self.key(i), None if b is None else int(b[i]), int(p), int(nbytes[i])

    def to_dict(self) -> dict[Any, list[Any]]:
        """{key: [blocks, pages]} (blocks None for a show_stacks file)."""
        return {k: [b, p] for k, b, p, _ in self.items()}

    @property
    def total_pages(self) -> int:
        return int(sum(self.pages.tolist()))

    @property
    def total_blocks(self) -> int | None:
        return None if self.blocks is None else int(sum(self.blocks.tolist()))

    def ranked(self) -> list[int]:
        """Group indices by pages, then blocks, descending; ties by key."""
        b = [0] * len(self) if self.blocks is None else self.blocks.tolist()
        p = self.pages.tolist()
        return sorted(range(len(self)), key=lambda i: (-p[i], -b[i], sort_token(self.keys[i])))

    def rows(self) -> list[dict[str, Any]]:
        """One dict per group, largest first: ``key`` (as `key()`), ``blocks``, ``pages``,
        ``bytes``, ``share`` (of all pages) and ``comm`` where `comms` is set."""
        total = self.total_pages
        b = None if self.blocks is None else self.blocks.tolist()
        p, nb = self.pages.tolist(), self.bytes.tolist()
        out = []
        for i in self.ranked():
            r: dict[str, Any] = {"key": self.key(i), "blocks": None if b is None else int(b[i]),
                                 "pages": int(p[i]), "bytes": int(nb[i]),
                                 "share": (int(p[i]) / total) if total else 0.0}
            if self.comms is not None:
                r["comm"] = self.comms[i]
            out.append(r)
        return out

    def to_pandas(self) -> Any:
        """A pandas DataFrame, largest first: a column per key name (stacks as tuples), then
        ``blocks``, ``pages``, ``bytes`` (and ``comm`` where `comms` is set). Needs the
        ``pandas`` extra."""
        pd = need("pandas", "pandas")
        order = self.ranked()
        data: dict[str, list[Any]] = {name: [self.keys[i][j] for i in order]
                                      for j, name in enumerate(self.by)}
        b = None if self.blocks is None else self.blocks.tolist()
        data["blocks"] = [None if b is None else b[i] for i in order]
        p, nb = self.pages.tolist(), self.bytes.tolist()
        data["pages"] = [p[i] for i in order]
        data["bytes"] = [nb[i] for i in order]
        if self.comms is not None:
            data["comm"] = [self.comms[i] for i in order]
        return pd.DataFrame(data)


def needs_blocks(by: Sequence[str] | None, window: TimeWindow | None) -> bool:
    """True when the grouping needs one row per block (a time window, or a key whose value
    a folded row would keep for its first block only): load with ``aggregate=False``."""
    return bool(window) or any(KEYS[k].per_block for k in by or ())


def _combine(codes: list[tuple[npt.NDArray[np.int64], int]], n: int) -> tuple[npt.NDArray[np.int64], int]:
    """One code per row for several keys' codes (each with its number of values): (group
    index per row, number of groups). Mixed radix, re-coded to dense indices whenever the
    next key's radix would overflow int64."""
    combined = np.zeros(n, dtype=np.int64)
    card = 1
    for c, k in codes:
        k = max(k, 1)
        if card * k >= (1 << 62):
            u, inv = np.unique(combined, return_inverse=True)
            combined, card = inv.reshape(-1).astype(np.int64), len(u)
        combined = combined * k + c
        card *= k
    if card <= max(1 << 20, 2 * n):   # dense: a bincount finds the codes present
        present = np.flatnonzero(np.bincount(combined, minlength=card))
        lut = np.full(card, -1, dtype=np.int64)
        lut[present] = np.arange(len(present), dtype=np.int64)
        return lut[combined], len(present)
    u, inv = np.unique(combined, return_inverse=True)
    return inv.reshape(-1).astype(np.int64), len(u)


def _top_comm(dump: Dump, rows: npt.NDArray[np.int64], group: npt.NDArray[np.int64], ngroups: int,
              pages: npt.NDArray[Any]) -> list[str | None]:
    """Per group, the comm with the most pages (ties: the comm met first)."""
    comm = dump.comm_id[rows].astype(np.int64)
    ncomm = max(len(dump.comms), 1)
    pair, npairs = _combine([(group, ngroups), (comm, ncomm)], len(rows))
    _, rep = np.unique(pair, return_index=True)   # the first row of each (group, comm)
    psum = sum_by(pair, pages, npairs)
    g, c = group[rep], comm[rep]
    best: dict[int, tuple[int, int, int]] = {}
    for gi, ci, pi, ri in zip(g.tolist(), c.tolist(), psum.tolist(), rep.tolist()):
        cur = best.get(gi)
        if cur is None or (int(pi), -ri) > (cur[1], -cur[2]):
            best[gi] = (ci, int(pi), ri)
    out: list[str | None] = [None] * ngroups
    for gi, (ci, _, _) in best.items():
        out[gi] = dump.comms.text(ci) if len(dump.comms) else None
    return out


def _group_dump(dump: Dump, names: tuple[str, ...], normalize: bool,
                window: TimeWindow | None) -> tuple[list[tuple[Any, ...]], npt.NDArray[Any],
                                                    npt.NDArray[Any], list[str | None] | None,
                                                    dict[str, Any] | None]:
    nonempty = ~dump.empty_mask()
    rows = np.flatnonzero(nonempty)
    winfo = None
    if window:
        keep, winfo = window.mask(dump, nonempty)
        rows = np.flatnonzero(keep)
    per = [key_codes(dump, name, rows, normalize) for name in names]
    group, ngroups = _combine([(c, len(v)) for c, v in per], len(rows))
    rep = np.zeros(ngroups, dtype=np.int64)
    rep[group] = np.arange(len(rows), dtype=np.int64)   # any row of the group: same codes
    keys = list(zip(*[[v[c] for c in codes[rep].tolist()] for codes, v in per])) if per else []
    if ngroups and not keys:   # pragma: no cover - at least one key
        keys = [()] * ngroups
    pages_col = dump.pages[rows]
    blocks = sum_by(group, dump.count[rows], ngroups)
    pages = sum_by(group, pages_col, ngroups)
    comms = None
    if ("pid" in names or "tgid" in names) and "comm" not in names:
        comms = _top_comm(dump, rows, group, ngroups, pages_col)
    return [tuple(k) for k in keys], blocks, pages, comms, winfo


def group_loaded(src: Dump | StackFile, by: str | Sequence[str] | None = None, *,
                 page_size: PageSize = 4096, normalize: bool = False,
                 window: TimeWindow | None = None) -> Grouped:
    """`group_by` of a source already loaded (a Dump, a kernel log's reports or a
    StackFile), with the window already parsed."""
    ps = parse_page_size(page_size)
    names = resolve_keys(src, by)
    meta: dict[str, Any] = {"input": describe_source(src), "page_size": ps, "normalize": normalize}
    if isinstance(src, StackFile):
        if window:
            raise_no_ts(src)
        if not src.has_counts:
            raise UnsupportedKeyError(f"{src.source} is a show_stacks_handles file: it maps "
                                      "handles to stacks but counts no pages")
        codes, values = stackfile_codes(src, names[0], normalize)
        pages_in = np.asarray([p for p in src.pages if p is not None], dtype=object)
        pages = sum_by(codes, pages_in, len(values))
        return Grouped(names, [(v,) for v in values], None, pages, ps, None, meta)
    keys, blocks, pages, comms, winfo = _group_dump(src, names, normalize, window)
    if winfo is not None:
        meta["window"] = winfo
    return Grouped(names, keys, blocks, pages, ps, comms, meta)


def raise_no_ts(src: StackFile) -> None:
    raise UnsupportedKeyError(f"--since/--until: {src.source} is a {src.kind} file, which has "
                              "no allocation timestamps (a full page_owner dump has them)")


def group_by(source: AnySource, by: str | Sequence[str] | None = "stack", *,
             page_size: PageSize = 4096, normalize: bool = False, since: Time = None,
             until: Time = None, threads: int | None = None) -> Grouped:
    """Blocks, pages and bytes per key of one source.

    ``source``: a path (plain, .gz, .xz, .zst), ``"-"``, a binary file object, or a loaded
    `Dump` / `StackFile` (a page_owner dump, a page_owner_stacks file, or a kernel log with
    page_owner reports, told apart by content).

    ``by``: a key name, a comma-separated string (``"comm,module"``) or a list of names from
    `KEYS` (``keys.KEYS[name].meaning`` says what each is, ``.sources`` which inputs have
    it): stack, handle, comm, pid, tgid, module, allocator, order, gfp, migratetype, memcg,
    block_migratetype, free_stack. None: stack (handle for a show_handles file).

    ``page_size``: bytes per page for ``bytes`` -- 4096 (default), ``"16K"``, ``"64K"`` or
    any power of two from 1 KiB to 1 GiB. ``normalize``: compare frames without offsets,
    compiler suffixes and ``_noprof`` (keys.normalize_frame). ``since`` / ``until``: keep
    the blocks whose allocation ts is in ``[since, until)``: nanoseconds, ``"1.5s"``,
    ``"10m"``; negative counts back from the dump's newest ts (timewindow.parse_time).
    ``threads``: scanner threads.

    Raises UnsupportedKeyError when the source lacks a key or a timestamp; UsageError for
    bad arguments. Empty blocks (extra blank lines) are not counted."""
    names = parse_by(by)
    window = time_window(since, until)
    (src,) = load_sources([source], threads=threads,
                          aggregate=not needs_blocks(names, window))
    return group_loaded(src, by, page_size=page_size, normalize=normalize, window=window)



def counts(src: Dump | StackFile, by: str | Sequence[str] | None = None,
           normalize: bool = False) -> Counts:
    """{key: [blocks, pages]} of a loaded source (blocks None for a show_stacks file): its
    `group_by` as a dict. Keys as `Grouped.key` gives them (a tuple for several keys)."""
    return group_loaded(src, by, normalize=normalize).to_dict()
