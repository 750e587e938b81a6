"""Labels: what a dump says about where it comes from (``host=pixel-7``, ``kernel=6.1``,
``taken=1700000000``), given by the user (``--label KEY=VALUE``) or read from each input's
path (``--labels-from REGEX`` with named groups).

Label values become column values and, for the partition label, a directory name of the
dataset (``aggregates/host=pixel-7/``). A value that could leave the dataset folder or break
the hive layout is refused, never written: empty, ``.``/``..`` or containing ``..``, a path
separator (``/``, ``\\``), ``=`` (the hive separator), ``%`` (readers percent-decode hive
directory names, so ``%2F`` would read back as ``/``), a control or line-separator
character, an undecodable byte of a path, leading or trailing blanks, or more than 200 bytes.
"""
from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping

from ..exceptions import UsageError

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
MAX_VALUE_BYTES = 200

# The columns of the aggregates and dumps tables: a label may not take one of their names.
RESERVED = frozenset({
    "dump_id", "stack", "comm", "module", "allocator", "migratetype", "memcg", "pages", "bytes",
    "blocks", "path", "size", "mtime_ns", "kind", "rows", "stacks", "page_size", "normalize",
    "ingested_at", "version", "key", "frames", "label", "dumps", "score", "median_pages",
    "slope", "first_pages", "last_pages", "mad_pages",
})

Labels = dict[str, str]


def check_name(name: str, where: str = "label") -> str:
    if not NAME.match(name):
        raise UsageError(f"{where} name {name!r}: use letters, digits and _ (not starting "
                         "with a digit, at most 64)")
    if name.lower() in RESERVED:
        raise UsageError(f"{where} name {name!r} is a column of the dataset; choose another name")
    return name


def _bad_char(value: str) -> str | None:
    for ch in value:
        if ch in "/\\=%":
            return repr(ch)
        if "\ud800" <= ch <= "\udfff":
            return "an undecodable byte"
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return f"the control character U+{ord(ch):04X}"
    return None


def check_value(name: str, value: str, origin: str = "") -> str:
    """``value`` if it is safe as a column value and a hive directory name; UsageError
    otherwise (``origin`` says where it came from: an input path, --label)."""
    where = f" (from {origin})" if origin else ""
    why = None
    if value == "":
        why = "is empty"
    elif value in (".", "..") or ".." in value:
        why = "contains '..'"
    elif (bad := _bad_char(value)) is not None:
        why = f"contains {bad}"
    elif value != value.strip():
        why = "starts or ends with a blank"
    elif len(value.encode("utf-8")) > MAX_VALUE_BYTES:
        why = f"is longer than {MAX_VALUE_BYTES} bytes"
    if why is not None:
        raise UsageError(f"label {name}={value!r}{where} {why}: label values name directories "
                         "of the dataset and may not hold '/', '\\', '..', '=', '%' or control "
                         "characters; refused, nothing written")
    return value


def parse_label(text: str) -> tuple[str, str]:
    """``"KEY=VALUE"`` -> (KEY, VALUE), both checked."""
    name, eq, value = text.partition("=")
    if not eq:
        raise UsageError(f"--label {text!r}: use KEY=VALUE")
    name = check_name(name.strip())
    return name, check_value(name, value, "--label")


def parse_labels(items: Iterable[str] | Mapping[str, str] | None) -> Labels:
    """--label items (``KEY=VALUE`` strings or a mapping) as a dict; a key given twice is an
    error."""
    out: Labels = {}
    if items is None:
        return out
    pairs = ([(check_name(str(k)), check_value(str(k), str(v), "labels"))
              for k, v in items.items()] if isinstance(items, Mapping)
             else [parse_label(t) for t in items])
    for k, v in pairs:
        if k in out:
            raise UsageError(f"label {k!r} is given twice")
        out[k] = v
    return out


class PathLabels:
    """``--labels-from REGEX``: the named groups of a regular expression searched in each
    input path (as given, with ``/`` as the separator on every OS)."""

    def __init__(self, pattern: str | None) -> None:
        self.pattern = pattern
        self.regex: re.Pattern[str] | None = None
        self.names: tuple[str, ...] = ()
        if pattern is None:
            return
        try:
            self.regex = re.compile(pattern)
        except re.error as e:
            raise UsageError(f"--labels-from {pattern!r}: not a regular expression ({e})") from None
        self.names = tuple(self.regex.groupindex)
        if not self.names:
            raise UsageError(f"--labels-from {pattern!r} has no named group: name what each "
                             "part is, e.g. '(?P<host>[^/]+)/(?P<taken>[0-9]+)\\.txt'")
        for n in self.names:
            check_name(n, "--labels-from group")

    def __call__(self, path: str) -> Labels:
        if self.regex is None:
            return {}
        text = path.replace(os.sep, "/") if os.sep != "/" else path
        m = self.regex.search(text)
        if m is None:
            raise UsageError(f"{path}: does not match --labels-from {self.pattern!r}")
        out: Labels = {}
        for n in self.names:
            v = m.group(n)
            if v is None:
                raise UsageError(f"{path}: group {n!r} of --labels-from matched nothing")
            out[n] = check_value(n, v, path)
        return out


def merge(from_path: Labels, given: Labels, path: str) -> Labels:
    """Labels of one input: the path's (in the pattern's order), then --label's."""
    both = set(from_path) & set(given)
    if both:
        raise UsageError(f"{path}: label {sorted(both)[0]!r} comes from both --labels-from and "
                         "--label")
    return {**from_path, **given}
