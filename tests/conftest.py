"""Shared fixtures. Tests import the *installed* package (no sys.path games)."""
from __future__ import annotations

import gzip
import json
import lzma
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

# A test run started in the background by a non-interactive shell (`cmd &`) inherits SIGINT
# ignored, and so would every process it starts: the Ctrl-C tests need Python's own handler
# (their children then start with the default action, as under a terminal).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

try:  # no test may fail for being slow on a loaded machine: wall time is the benchmarks' job
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
else:
    settings.register_profile("pageowner-fast", deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("pageowner-fast")
    # Hypothesis caches its table of a codec's characters under .hypothesis/; on a fresh
    # checkout the first test that needs it takes a path that leaks a file object, and the
    # ResourceWarning, raised later in whatever test is running, fails it (filterwarnings =
    # error; seen once in CI). Build that table here, its warning ignored.
    import gc
    import warnings
    try:
        from hypothesis.internal import charmap as _charmap
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _charmap.intervals_from_codec("utf-8")
            gc.collect()
    except Exception:  # noqa: BLE001 - an internal of Hypothesis's; only a warm-up
        pass

DATA = Path(__file__).parent / "data"
GOLDEN_DIRS = ("golden", "real_corpus", "real_dumps")

os.environ.setdefault("PAGEOWNER_FAST_NO_PROGRESS", "1")


def _engine_name() -> str:
    import pageowner_fast
    return pageowner_fast.engine


# --- small dumps and child-process settings shared by the CLI tests --------------------------
PREFIX = "pageowner-fast: "

# Children run the engine this process has; without the compiled scanner they would each say
# so on stderr ("compiled scanner unavailable"), which is not what the tests look at.
CHILD_ENV = dict(os.environ, **({"PAGEOWNER_FAST_PUREPYTHON": "1"}
                                if os.environ.get("PAGEOWNER_FAST_PUREPYTHON") or _engine_name() == "python"
                                else {}))

HEADER = (b"Page allocated via order %d, mask 0x112cca(GFP_HIGHUSER_MOVABLE), pid %d, tgid %d (%b), "
          b"ts %d ns\n")
PFN = b"PFN 0x10a3f type Movable Block 133 type Movable Flags 0x17ffffc0020838(uptodate|lru)\n"
STACK = b" post_alloc_hook+0xca/0xd0\n get_page_from_freelist+0x5b2/0x1390\n"


def block(order=0, pid=1, comm=b"bash", ts=100, stack=STACK, end=b"\n") -> bytes:
    """One kernel-6.7-style block (pid = tgid)."""
    return HEADER % (order, pid, pid, comm, ts) + PFN + stack + end


def generated_dump(tmp_path_factory, name: str, **kw):
    """A seeded synthetic dump written once per module (kw go to gen.generate)."""
    from pageowner_fast import gen
    p = tmp_path_factory.mktemp(name) / "dump.txt"
    with open(p, "wb") as f:
        gen.generate(f, **kw)
    return p


def load_cases(kind: str):
    base = DATA / kind
    cases = json.loads((base / "cases.json").read_text())
    for c in cases:
        c["kind"] = kind
        c["input_path"] = base / c["input"]
        c["expected_path"] = base / c["expected"]
    return cases


def read_expected(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@pytest.fixture(scope="session")
def plain_input(tmp_path_factory):
    """Decompress .xz inputs once per session (the C tool needed plain files; so do fast tests)."""
    cache = {}
    d = tmp_path_factory.mktemp("plain")

    def get(path: Path) -> Path:
        if path.suffix != ".xz":
            return path
        if path not in cache:
            out = d / path.stem
            out.write_bytes(lzma.decompress(path.read_bytes()))
            cache[path] = out
        return cache[path]
    return get


def run_cli(args, *, capsys=None):
    """Run `pageowner-fast <args>` in-process; returns (exit code, stdout, stderr)."""
    from pageowner_fast.cli import main
    if capsys is not None:
        capsys.readouterr()
    rc = main([str(a) for a in args])
    if capsys is not None:
        out, err = capsys.readouterr()
        return rc, out, err
    return rc, "", ""


def run_subprocess(args, **kw):
    """Run `python -m pageowner_fast <args>` in a child (for exit codes, signals, stdin)."""
    return subprocess.run([sys.executable, "-m", "pageowner_fast", *map(str, args)],
                          capture_output=True, **kw)


_golden_counts = {}


def pytest_runtest_logreport(report):
    if report.when == "call" and "test_golden_case" in report.nodeid:
        kind = report.nodeid.split("[", 1)[1].split("::", 1)[0].split("/", 1)[0]
        ok, total = _golden_counts.get(kind, (0, 0))
        _golden_counts[kind] = (ok + int(report.passed), total + 1)


def pytest_terminal_summary(terminalreporter):
    if _golden_counts:
        terminalreporter.write_sep("-", "byte-identical with page_owner_sort")
        for kind, (ok, total) in sorted(_golden_counts.items()):
            terminalreporter.write_line(f"{kind}: {ok}/{total} cases identical")
