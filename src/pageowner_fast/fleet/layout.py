"""The dataset on disk: a folder of Parquet files that pyarrow, pandas, DuckDB and Spark read.

::

    DATASET/
      _fleet.json                          what the dataset is: labels, partition label, keys
      aggregates/host=pixel-7/dump-<id>.parquet   one file per dump (hive layout)
      stacks/stacks-<hash>.parquet         stack hash -> frames (one deduplicated table after
      stacks/dump-<id>.parquet             an ingest; a dump's own file until then)
      dumps/dumps-<hash>.parquet           one row per dump: path, size, mtime, labels, totals
      dumps/dump-<id>.parquet              (idem)

``<id>`` is the dump's id: XXH3-128 of its absolute path, size and mtime (`dump_id`). Every
file is written under a hidden temporary name (``.dump-<id>.parquet.<random>.tmp``) and renamed
into place, so a reader or a resumed ingest never sees half a file, and a retried task
overwrites the same final name instead of adding rows. The aggregates file is written last: a
dump is in the dataset exactly when its aggregates file is (`committed`). Readers that go
around this package should read ``dumps/`` and ``stacks/`` deduplicated by ``dump_id`` and
``stack`` (a file of an interrupted ingest may repeat rows of a merged one) and join on the
dumps that have aggregates.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import xxhash

from .._version import __version__
from ..exceptions import OutputError, OutputOpenError, UsageError
from . import _deps

FORMAT = "pageowner-fast fleet dataset"
VERSION = 1
META = "_fleet.json"
LOCK = "_ingest.lock"
AGG, STACKS, DUMPS = "aggregates", "stacks", "dumps"
KEYS = ("stack", "comm", "module", "allocator", "migratetype", "memcg")
NUMBERS = ("pages", "bytes", "blocks")

_DUMP_FILE = re.compile(r"dump-([0-9a-f]{32})\.parquet\Z")
_TMP = re.compile(r"\..*\.tmp\Z")


def dump_id(path: str, size: int, mtime_ns: int) -> str:
    """A dump's stable id: XXH3-128 (hex) of its absolute path, size and mtime."""
    return xxhash.xxh3_128_hexdigest(f"{path}\0{size}\0{mtime_ns}".encode("utf-8", "surrogateescape"))


def stack_hash(frames: Sequence[str]) -> str:
    """A stack's key across dumps, machines and Python versions: XXH3-128 (hex) of its frame
    lines (innermost first, optionally normalised) joined by newlines. Never Python's hash()."""
    return xxhash.xxh3_128_hexdigest("\n".join(frames).encode("utf-8", "surrogatepass"))


@dataclass
class Meta:
    """``_fleet.json``: fixed when the dataset is created, checked by every later ingest."""

    labels: list[str]
    partition_by: str | None
    normalize: bool
    keys: list[str] = field(default_factory=lambda: list(KEYS))

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "version": VERSION, "labels": self.labels,
                           "partition_by": self.partition_by, "normalize": self.normalize,
                           "keys": self.keys, "created_by": f"pageowner-fast {__version__}"},
                          indent=1) + "\n"


class Dataset:
    """A fleet dataset folder (`open` an existing one, `create` or check one for an ingest)."""

    def __init__(self, root: str | os.PathLike[str], meta: Meta) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.meta = meta

    # --- opening ---------------------------------------------------------------------------

    @staticmethod
    def read_meta(root: str) -> Meta | None:
        p = os.path.join(root, META)
        try:
            with open(p, encoding="utf-8") as f:
                d = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise UsageError(f"{p}: not readable as a fleet dataset description ({e})") from None
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise UsageError(f"{p}: not a pageowner-fast fleet dataset")
        if d.get("version") != VERSION:
            raise UsageError(f"{root}: fleet dataset version {d.get('version')}, this "
                             f"pageowner-fast reads version {VERSION}")
        try:
            return Meta(list(d["labels"]), d.get("partition_by"), bool(d["normalize"]),
                        list(d.get("keys", KEYS)))
        except (KeyError, TypeError) as e:
            raise UsageError(f"{p}: a fleet dataset description without {e}") from None

    @classmethod
    def open(cls, root: str | os.PathLike[str]) -> Dataset:
        """An existing dataset; UsageError for a folder that is not one."""
        r = os.fspath(root)
        if not os.path.isdir(r):
            raise UsageError(f"{r}: no such dataset folder")
        meta = cls.read_meta(r)
        if meta is None:
            raise UsageError(f"{r}: not a fleet dataset (no {META}; `pageowner-fast fleet "
                             "ingest ... --out DATASET` makes one)")
        return cls(r, meta)

    @classmethod
    def for_ingest(cls, root: str | os.PathLike[str], meta: Meta) -> Dataset:
        """The dataset an ingest writes to: created with ``meta`` when the folder is missing or
        empty; else its own description must agree with ``meta`` (same labels, partition
        label and normalisation), so that every file of it has one schema."""
        r = os.fspath(root)
        if os.path.exists(r) and not os.path.isdir(r):
            raise UsageError(f"--out {r}: exists and is not a folder")
        old = cls.read_meta(r) if os.path.isdir(r) else None
        if old is None:
            if meta.partition_by is None and meta.labels:
                meta.partition_by = meta.labels[0]
            if os.path.isdir(r) and any(not n.startswith(".") for n in os.listdir(r)):
                raise UsageError(f"--out {r}: a folder that is not a fleet dataset and not "
                                 "empty; refusing to write into it")
            try:
                os.makedirs(r, exist_ok=True)
                ds = cls(r, meta)
                ds._write_text(META, meta.to_json())
            except OSError as e:
                raise OutputError(f"--out {r}: {e.strerror or e}") from None
            return ds
        if meta.partition_by is None:
            meta.partition_by = old.partition_by
        diffs = [f"{what}: dataset {a!r}, this ingest {b!r}" for what, a, b in (
            ("labels", old.labels, meta.labels), ("partition label", old.partition_by, meta.partition_by),
            ("--normalize", old.normalize, meta.normalize)) if a != b]
        if diffs:
            raise UsageError(f"--out {r}: this ingest does not fit the dataset ({'; '.join(diffs)})")
        return cls(r, old)

    # --- paths -----------------------------------------------------------------------------

    def dir(self, table: str, partition: str | None = None) -> str:
        d = os.path.join(self.root, table)
        if partition is not None and self.meta.partition_by is not None:
            d = os.path.join(d, f"{self.meta.partition_by}={partition}")
        return d

    def agg_path(self, did: str, partition: str | None) -> str:
        return os.path.join(self.dir(AGG, partition), f"dump-{did}.parquet")

    def files(self, table: str) -> Iterator[tuple[str, str | None]]:
        """(path, partition value or None) of the committed Parquet files of a table, in a
        stable order; temporary files are never listed."""
        base = self.dir(table)
        if not os.path.isdir(base):
            return
        pfx = f"{self.meta.partition_by}=" if table == AGG and self.meta.partition_by else None
        for name in sorted(os.listdir(base)):
            p = os.path.join(base, name)
            if pfx is not None and name.startswith(pfx) and os.path.isdir(p):
                for f in sorted(os.listdir(p)):
                    if f.endswith(".parquet") and not f.startswith("."):
                        yield os.path.join(p, f), name[len(pfx):]
            elif name.endswith(".parquet") and not name.startswith("."):
                yield p, None

    def committed(self) -> dict[str, str]:
        """{dump id: its aggregates file} of the dumps in the dataset."""
        out = {}
        for p, _ in self.files(AGG):
            m = _DUMP_FILE.match(os.path.basename(p))
            if m:
                out[m.group(1)] = p
        return out

    # --- writing ---------------------------------------------------------------------------

    def _write_text(self, name: str, text: str) -> None:
        final = os.path.join(self.root, name)
        tmp = os.path.join(self.root, f".{name}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, final)

    def write_table(self, table: Any, path: str) -> None:
        """Write an Arrow table to ``path`` atomically: a hidden temporary file beside it,
        then a rename (atomic on one file system). A retried write replaces the same file."""
        pq = _deps.need("pyarrow.parquet")
        d = os.path.dirname(path)
        os.makedirs(d, exist_ok=True)
        tmp = os.path.join(d, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
        try:
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise

    def compact(self, table: str, key: str, keep: set[str] | None = None) -> int:
        """Merge a table's files (``stacks`` or ``dumps``) into one, deduplicated by ``key``
        (the last file's row wins: per-dump files come after merged ones), keeping only the
        keys in ``keep`` when given; then delete the files merged. A crash in between leaves
        rows twice, never none: readers deduplicate. Returns the rows of the merged table."""
        pa = _deps.need("pyarrow")
        pq = _deps.need("pyarrow.parquet")
        files = [p for p, _ in self.files(table)]
        merged = [p for p in files if os.path.basename(p).startswith(f"{table}-")]
        files = merged + [p for p in files if p not in merged]
        if not files:
            return 0
        t = pa.concat_tables([pq.read_table(p) for p in files])
        last: dict[str, int] = {}
        for i, k in enumerate(t.column(key).to_pylist()):
            if keep is None or k in keep:
                last[k] = i
        order = sorted(last)
        t = t.take(pa.array([last[k] for k in order], pa.int64()))
        name = f"{table}-{xxhash.xxh3_128_hexdigest(chr(10).join(order).encode())}.parquet"
        target = os.path.join(self.dir(table), name)
        if len(files) == 1 and files[0] == target:
            return t.num_rows
        self.write_table(t, target)
        for p in files:
            if p != target:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(p)
        return t.num_rows

    def remove_temporary(self) -> int:
        """Delete the temporary files that killed writers left behind (under the ingest
        lock, before any task runs); returns how many."""
        n = 0
        for top in (AGG, STACKS, DUMPS):
            for d, _, names in os.walk(self.dir(top)):
                for name in names:
                    if _TMP.match(name):
                        with contextlib.suppress(OSError):
                            os.remove(os.path.join(d, name))
                            n += 1
        return n

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One ingest at a time: an advisory lock on ``_ingest.lock`` (released by the OS if
        the process dies, so an interrupted ingest can be resumed at once). Where the OS has
        no flock (Windows) this is a no-op."""
        try:
            import fcntl
        except ImportError:   # pragma: no cover - Windows
            yield
            return
        p = os.path.join(self.root, LOCK)
        try:
            f = open(p, "a+b")
        except OSError as e:
            raise OutputOpenError(f"{p}: {e.strerror or e}") from None
        with f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise UsageError(f"{self.root}: another ingest is writing this dataset") from None
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)
