"""Shared fixtures. Tests import the *installed* package (no sys.path games)."""
from __future__ import annotations

import gzip
import json
import lzma
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
GOLDEN_DIRS = ("golden", "real_corpus", "real_dumps")

os.environ.setdefault("PAGEOWNER_FAST_NO_PROGRESS", "1")


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
