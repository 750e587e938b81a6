"""A dump (or a show_stacks file) as a pprof profile: `build_profile` makes the message,
`to_pprof` its gzip'd bytes. The mapping is in `build_profile`'s docstring."""
from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..analysis import group_loaded, load_sources, needs_blocks, parse_page_size, resolve_keys, time_window
from ..analysis.grouping import Time
from ..analysis.keys import check_field
from ..analysis.units import PageSize
from ..dump import Dump
from ..exceptions import PageOwnerError, UnsupportedKeyError, UsageError
from ..stacks import StackFile

if TYPE_CHECKING:
    from ..analysis._load import AnySource

__all__ = ["LABEL_KEYS", "NO_FRAMES", "available_keys", "build_profile", "parse_frame", "to_pprof"]

# The keys of a sample besides its stack, in label order; pid and tgid are numeric labels.
LABEL_KEYS = ("comm", "pid", "tgid", "allocator", "migratetype", "memcg")
NUMERIC = frozenset({"pid", "tgid"})
# the one frame of a sample whose block printed no stack (so that pprof shows its pages)
NO_FRAMES = "(no frames)"
KERNEL = "vmlinux"   # the mapping of frames without a [module]


def _pb2() -> Any:
    try:
        from . import profile_pb2
    except ImportError:
        raise PageOwnerError('pprof output needs protobuf: pip install "pageowner-fast[pprof]"') from None
    return profile_pb2


_FRAME = re.compile(r"^\s*(?:\[<(?P<addr>[0-9a-fA-F]+)>\]\s+)?(?P<sym>[^\s+\[]+)"
                    r"(?:\+0x(?P<off>[0-9a-fA-F]+)(?:/0x[0-9a-fA-F]+)?)?"
                    r"(?:\s+\[(?P<mod>[^\]\s]+)\])?")


@dataclass(frozen=True)
class Frame:
    """One printed frame: ``symbol`` (with any compiler suffix: ``foo.isra.0``), the
    ``offset`` into it (``+0xOFF``; 0 when not printed) and the ``module`` it is in
    (``vmlinux`` for the kernel image)."""

    symbol: str
    offset: int
    module: str


def parse_frame(text: str) -> Frame:
    """``ext4_foo+0x1a/0x40 [ext4]`` -> Frame("ext4_foo", 0x1a, "ext4"); the ``[<addr>]``
    of 4.x kernels is dropped; a frame that is not ``symbol+0xOFF/0xSIZE`` keeps its whole
    text as the symbol."""
    m = _FRAME.match(text)
    if m is None or m.end() != len(text.rstrip()):
        return Frame(text.strip() or "?", 0, KERNEL)
    return Frame(m.group("sym"), int(m.group("off") or "0", 16), m.group("mod") or KERNEL)


class _Strings:
    def __init__(self, prof: Any) -> None:
        self.table: list[str] = prof.string_table
        self.index: dict[str, int] = {}
        self("")

    def __call__(self, s: str) -> int:
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = len(self.table)
            self.table.append(s)
        return i


def available_keys(src: Dump | StackFile, names: Sequence[str]) -> tuple[str, ...]:
    """The keys of `names` this source has: a key its kind lacks, or a field that no block
    of the dump has (its kernel does not print it), is left out. (It belongs in
    analysis/keys.py beside `check_field`; the HTML report uses it too.)"""
    if isinstance(src, StackFile):
        return ()
    import numpy as np
    rows = np.flatnonzero(~src.empty_mask())
    keys = []
    for name in names:
        try:
            resolve_keys(src, [name])
            check_field(src, name, rows)
        except UnsupportedKeyError:
            continue
        keys.append(name)
    return tuple(keys)


def build_profile(source: AnySource, *, page_size: PageSize = 4096, normalize: bool = False,
                  since: Time = None, until: Time = None, stacks_handles: AnySource | None = None,
                  threads: int | None = None) -> Any:
    """The pprof ``Profile`` message of a dump (or show_stacks file).

    * Sample types: ``pages``/``count``, ``bytes``/``bytes`` (pages x ``page_size``) and
      ``blocks``/``count``; a show_stacks file, which counts no blocks, has the first two.
      The default sample type is ``pages``; the period type is ``pages``/``count``, period 1.
    * Samples: one per distinct (stack, comm, pid, tgid, allocator, migratetype, memcg) of a
      dump (one per stack of a show_stacks file), its values the pages, bytes and blocks of
      those blocks, so that the samples sum to the dump's pages exactly.
    * Labels: ``comm``, ``allocator`` (page_owner_sort's class: CMA, SLAB, VMALLOC, OTHERS),
      ``migratetype`` and ``memcg`` (absent for a block charged to none) as strings, ``pid``
      and ``tgid`` as numbers. A field the dump's kernel does not print is left out.
    * Locations: one per distinct printed frame (symbol, offset, module), innermost first as
      pprof expects; ``address`` is the frame's offset into its symbol (``+0xOFF``: the dump
      has no addresses), one ``line`` naming the function. A block without frames has the
      single location ``(no frames)``.
    * Functions: one per (symbol, module): ``name`` and ``system_name`` the symbol as printed
      (compiler suffixes kept unless ``normalize``), ``filename`` the module (``vmlinux`` for
      the kernel image). Mappings: one per module, ``has_functions`` set, so that pprof never
      tries to symbolize.

    ``normalize``, ``since``/``until``, ``page_size``: as in `group_by`. ``stacks_handles``:
    the show_stacks_handles file that resolves a show_handles input."""
    pb = _pb2()
    ps = parse_page_size(page_size)
    window = time_window(since, until)
    (src,) = load_sources([source], threads=threads, aggregate=not needs_blocks(None, window))
    if stacks_handles is not None:
        if not isinstance(src, StackFile):
            raise UsageError(f"--stacks-handles: {src.source} is a dump, not a show_handles file")
        (sh,) = load_sources([stacks_handles], threads=threads)
        if not isinstance(sh, StackFile):
            raise UsageError(f"--stacks-handles: {sh.source} is a dump, not a show_stacks_handles file")
        src = src.resolve_handles(sh)
    labels = available_keys(src, LABEL_KEYS)
    g = group_loaded(src, ("stack", *labels), page_size=ps, normalize=normalize, window=window)

    prof = pb.Profile()
    s = _Strings(prof)
    types: Sequence[tuple[str, str]] = [("pages", "count"), ("bytes", "bytes")]
    if g.blocks is not None:
        types = [*types, ("blocks", "count")]
    for t, u in types:
        prof.sample_type.add(type=s(t), unit=s(u))
    prof.period_type.type, prof.period_type.unit, prof.period = s("pages"), s("count"), 1
    prof.default_sample_type = s("pages")
    prof.comment.append(s(f"pageowner-fast {__version__}: {src.source} ({src.kind}), "
                          f"page size {ps}" + (", normalized frames" if normalize else "")))

    mappings: dict[str, int] = {}
    functions: dict[tuple[str, str], int] = {}
    locations: dict[str, int] = {}

    def location(text: str) -> int:
        lid = locations.get(text)
        if lid is not None:
            return lid
        fr = parse_frame(text)
        mid = mappings.get(fr.module)
        if mid is None:
            mid = mappings[fr.module] = len(mappings) + 1
            prof.mapping.add(id=mid, filename=s(fr.module), has_functions=True)
        fid = functions.get((fr.symbol, fr.module))
        if fid is None:
            fid = functions[(fr.symbol, fr.module)] = len(functions) + 1
            name = s(fr.symbol)
            prof.function.add(id=fid, name=name, system_name=name, filename=s(fr.module))
        lid = locations[text] = len(locations) + 1
        loc = prof.location.add(id=lid, mapping_id=mid, address=fr.offset)
        loc.line.add(function_id=fid)
        return lid

    nbytes = g.bytes.tolist()
    blocks = None if g.blocks is None else g.blocks.tolist()
    for i, (key, pages) in enumerate(zip(g.keys, g.pages.tolist())):
        frames = key[0] or (NO_FRAMES,)
        sample = prof.sample.add(location_id=[location(f) for f in frames])
        sample.value.extend([int(pages), int(nbytes[i])] + ([] if blocks is None else [int(blocks[i])]))
        for name, value in zip(labels, key[1:]):
            if value is None:
                continue
            if name in NUMERIC:
                sample.label.add(key=s(name), num=int(value))
            else:
                sample.label.add(key=s(name), str=s(str(value)))
    return prof


def to_pprof(source: AnySource, *, page_size: PageSize = 4096, normalize: bool = False,
             since: Time = None, until: Time = None, stacks_handles: AnySource | None = None,
             threads: int | None = None) -> bytes:
    """`build_profile` serialized and gzip'd (what pprof reads; deterministic bytes)."""
    prof = build_profile(source, page_size=page_size, normalize=normalize, since=since, until=until,
                         stacks_handles=stacks_handles, threads=threads)
    return gzip.compress(prof.SerializeToString(deterministic=True), compresslevel=6, mtime=0)
