"""Cache of benchmark inputs under ``bench/.cache/`` (git-ignored).

* ``generated(size, seed=..., **gen_kw)`` -- a seeded dump from ``pageowner_fast.gen``,
  written once and reused while the generator (its code and data tables) and the arguments
  are unchanged: a ``.json`` sidecar records both, plus the block count. ``gen_kw`` are any
  further ``generate()`` arguments (``era``, ``shape``, ``memcg_rate``, ...), and they are
  part of the key and of the file name.
* ``plain(path)`` -- a plain-text copy of a compressed input (``.xz``, ``.gz``,
  ``.bz2``), since the C tool needs a regular file; plain files are used as is.
* ``count_blocks(path)`` -- blocks as the C tool counts them (empty lines).

The generator subpackage is loaded straight from ``src/pageowner_fast/gen/`` when the
repository is present, so neither an installed package nor its compiled extension is
needed (the subpackage imports only the standard library and NumPy); otherwise the
installed ``pageowner_fast.gen`` is used.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import importlib.util
import json
import lzma
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / ".cache"
SRC_DIR = BENCH_DIR.parent / "src"
GEN_DIR = SRC_DIR / "pageowner_fast" / "gen"

_gen: ModuleType | None = None


def gen_module() -> ModuleType:
    """The dump generator, without importing the package (no extension needed)."""
    global _gen
    if _gen is None:
        if (GEN_DIR / "__init__.py").is_file():
            name = "_pageowner_fast_gen"
            spec = importlib.util.spec_from_file_location(name, GEN_DIR / "__init__.py",
                                                          submodule_search_locations=[str(GEN_DIR)])
            assert spec is not None and spec.loader is not None
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod  # its submodules import each other relatively
            spec.loader.exec_module(mod)
            _gen = mod
        else:
            from pageowner_fast import gen as mod  # type: ignore[no-redef]
            _gen = mod
    return _gen


def gen_script() -> list[str]:
    """argv prefix that runs ``pageowner-fast gen`` (for pipes): the installed package, or
    else the source tree's."""
    if importlib.util.find_spec("pageowner_fast") is not None or not (GEN_DIR / "__init__.py").is_file():
        return [sys.executable, "-m", "pageowner_fast", "gen"]
    return [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
            "from pageowner_fast.cli import run; sys.argv[1:1] = ['gen']; run()", str(SRC_DIR)]


def _gen_fingerprint() -> str:
    """A hash of the generator's code and data tables."""
    mod = gen_module()
    root = Path(mod.__file__).parent if getattr(mod, "__file__", None) else None
    h = hashlib.sha256()
    if root is not None:
        for f in sorted(root.rglob("*")):
            if f.suffix in (".py", ".json") and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _size_label(nbytes: int) -> str:
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if nbytes >= 1 << shift and nbytes % (1 << shift) == 0:
            return f"{nbytes >> shift}{unit}"
    return str(nbytes)


def _canonical(kw: dict) -> dict:
    """``gen_kw`` as JSON values, without the ones left at None."""
    return json.loads(json.dumps({k: v for k, v in sorted(kw.items()) if v is not None},
                                 sort_keys=True, default=str))


def generated(size: str | int, *, seed: int = 0, log=print, **gen_kw) -> tuple[Path, dict]:
    """Path and stats of the cached generated dump; generate it if missing or stale.

    ``gen_kw`` go to ``generate()`` (e.g. ``era="6.1"``, ``shape="cgroup-heavy-6.7"``)."""
    gen = gen_module()
    nbytes = gen.parse_size(size) if isinstance(size, str) else int(size)
    label = _size_label(nbytes)
    kw = _canonical(gen_kw)
    if kw.get("era") == "6.7" and "shape" not in kw:
        kw.pop("era")  # the default era: the same dump as no era at all
    slug = kw.get("shape") or kw.get("era") or "6.7"   # the name says what the dump is ...
    rest = {k: v for k, v in kw.items() if k != "shape"}
    if "shape" not in kw:
        rest.pop("era", None)
    if rest:                                            # ... and a hash tells variants apart
        slug += "_" + hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()[:8]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"gen_{slug}_s{seed}_{label}.txt"
    meta_path = path.with_suffix(".json")
    want = {"size": nbytes, "seed": seed, "kw": kw, "gen": _gen_fingerprint()}
    if path.is_file() and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError:
            meta = {}
        if all(meta.get(k) == v for k, v in want.items()) and meta.get("bytes") == path.stat().st_size:
            return path, meta
    log(f"generating {path.name} ({label}, seed {seed}{''.join(f', {k}={v}' for k, v in kw.items())}) ...")
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb", buffering=1 << 20) as f:
        stats = gen.generate(f, size=nbytes, seed=seed, **kw)
    os.replace(tmp, path)
    meta = dict(want, blocks=stats["blocks"], bytes=stats["bytes"], paths=stats["paths"])
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    return path, meta


_OPENERS = {".xz": lzma.open, ".lzma": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}


def plain(path: str | os.PathLike, log=print) -> Path:
    """A regular, uncompressed file with the content of ``path``."""
    src = Path(path).resolve()
    opener = _OPENERS.get(src.suffix)
    if opener is None:
        return src
    st = src.stat()
    key = hashlib.sha256(f"{src}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:10]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    inner = Path(src.stem)  # "dump.txt.xz" -> "dump.txt"
    out = CACHE_DIR / f"{inner.stem}.{key}{inner.suffix or '.txt'}"
    if out.is_file():
        return out
    log(f"decompressing {src.name} -> {out.name} ...")
    tmp = out.with_name(out.name + ".tmp")
    with opener(src, "rb") as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 22)
    os.replace(tmp, out)
    return out


def count_blocks(path: str | os.PathLike) -> int:
    """Number of empty lines, i.e. of blocks the C tool reads (a cached sidecar is reused)."""
    p = Path(path)
    st = p.stat()
    side = CACHE_DIR / f"count_{hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:12]}.json"
    if side.is_file():
        try:
            d = json.loads(side.read_text())
            if d.get("size") == st.st_size and d.get("mtime") == st.st_mtime_ns:
                return int(d["blocks"])
        except (ValueError, KeyError):
            pass
    n = 0
    prev_nl = True  # a leading "\n" is an empty line too
    with open(p, "rb") as f:
        while True:
            chunk = f.read(1 << 24)
            if not chunk:
                break
            a = np.frombuffer(chunk, dtype=np.uint8) == 10
            n += int(a[0] and prev_nl) + int(np.count_nonzero(a[1:] & a[:-1]))
            prev_nl = bool(a[-1])
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    side.write_text(json.dumps({"size": st.st_size, "mtime": st.st_mtime_ns, "blocks": n}))
    return n


def input_facts(path: str | os.PathLike, log=print) -> dict:
    """The shape of a dump: blocks, bytes per block, fold ratio (distinct collation texts /
    blocks, as page_owner_sort folds them by default), and the shares of blocks with a memcg
    line (and of those, offline), a migrate line, a thread (pid != tgid), a non-zero free_ts,
    an order above 0; distinct call paths (frames only) and tgids.  Read with the installed
    package (an aggregated load); cached in a sidecar.  {} if the package is unavailable."""
    p = Path(path)
    st = p.stat()
    side = CACHE_DIR / f"facts_{hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:12]}.json"
    if side.is_file():
        try:
            d = json.loads(side.read_text())
            if d.get("size") == st.st_size and d.get("mtime") == st.st_mtime_ns and d.get("v") == 1:
                return d["facts"]
        except (ValueError, KeyError):
            pass
    try:
        import pageowner_fast as pf
    except ImportError:
        return {}
    log(f"measuring the shape of {p.name} ...")
    d = pf.load(p, aggregate=True)
    n = int(d.count.sum())
    cnt = d.count.astype(np.int64)
    charged = np.zeros(len(d.stacks), dtype=bool)
    offline = np.zeros(len(d.stacks), dtype=bool)
    migrated = np.zeros(len(d.stacks), dtype=bool)
    frames_id = np.zeros(len(d.stacks), dtype=np.int64)
    cgroups, frames = set(), {}
    for i, text in enumerate(d.stacks):
        for line in text.split(b"\n"):
            if line.startswith(b"Charged "):
                charged[i] = True
                offline[i] = b" offline memcg " in line
                cgroups.add(line.rsplit(b" ", 1)[-1])
            elif line.startswith(b"Page has been migrated"):
                migrated[i] = True
        frames_id[i] = frames.setdefault(b"\n".join(ln for ln in text.split(b"\n") if ln.startswith(b" ")),
                                         len(frames))
    s = d.stack_id
    has_pid = (d.pid >= 0) & (d.tgid >= 0)
    fts = d.free_ts_ns
    has_fts = fts != np.uint64((1 << 64) - 1)

    def share(mask) -> float:
        return round(float(cnt[mask].sum()) / n, 4) if n else 0.0
    n_charged = int(cnt[charged[s]].sum())
    facts = {
        "blocks": n, "bytes": st.st_size, "bytes_per_block": round(st.st_size / n, 1) if n else None,
        "fold_ratio": round(len(d) / n, 4) if n else None,
        "memcg": share(charged[s]), "memcg_offline": round(float(cnt[charged[s] & offline[s]].sum()) / n_charged, 4)
        if n_charged else 0.0, "cgroups": len(cgroups),
        "migrate": share(migrated[s]),
        "threads": share(has_pid & (d.pid != d.tgid)) if has_pid.any() else None,
        "free_ts_nonzero": share(has_fts & (fts != 0)) if has_fts.any() else None,
        "order_gt0": share(d.order > 0),
        "call_paths": len(np.unique(frames_id[s])), "tgids": int(len(np.unique(d.tgid[has_pid]))),
    }
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    side.write_text(json.dumps({"size": st.st_size, "mtime": st.st_mtime_ns, "v": 1, "facts": facts}))
    return facts
