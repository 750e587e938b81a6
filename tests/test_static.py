"""The static checks, run from this Python's environment so that the README's test command
enforces them: mypy on the package, ruff on the sources, import-linter's layer contracts
(pyproject.toml), and a few rules no linter knows."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "pageowner_fast"

needs_tree = pytest.mark.skipif(not (SRC / "__init__.py").exists() or
                                not (ROOT / "pyproject.toml").exists(),
                                reason="the source tree is not here")


def _tool(name: str) -> str:
    """The tool installed beside this Python (the `test` extra installs all three)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install '.[test]'")
    return found


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "mypy"), NO_COLOR="1")
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)


@needs_tree
def test_mypy(tmp_path):
    p = _run([sys.executable, "-m", "mypy", "-p", "pageowner_fast"], tmp_path)
    assert p.returncode == 0 and "Success" in p.stdout, p.stdout + p.stderr


@needs_tree
def test_ruff(tmp_path):
    p = _run([_tool("ruff"), "check", "--no-cache", "src"], tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr


@needs_tree
def test_import_contracts(tmp_path):
    p = _run([_tool("lint-imports"), "--no-cache"], tmp_path)
    assert p.returncode == 0 and "0 broken" in p.stdout, p.stdout + p.stderr


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


@needs_tree
def test_argparse_and_printing_only_in_the_command_line():
    """Only cli/ parses options or prints."""
    bad = []
    for path, tree in _modules():
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("cli/") or rel == "__main__.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "argparse" in names:
                    bad.append(f"{rel}:{node.lineno}: imports argparse")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                bad.append(f"{rel}:{node.lineno}: print()")
    assert bad == []


ALLOWED_ENV = {
    "PAGEOWNER_FAST_PUREPYTHON",    # selects the engine (as MSGPACK_PUREPYTHON does)
    "PAGEOWNER_FAST_NO_PROGRESS",   # no progress bar, even on a terminal
    "OPENBLAS_NUM_THREADS",         # NumPy's BLAS, set for it by the command line
}


@needs_tree
def test_no_environment_variable_as_an_internal_channel():
    """Parameters are arguments (threads=, --threads); the environment is read only for the
    few user-facing switches above."""
    used = set()
    for path, _ in _modules():
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""environ(?:\.get|\.setdefault|\.pop)?\(?\[?\s*["']([A-Z0-9_]+)""", text))
        used |= set(re.findall(r"""getenv\(\s*["']([A-Z0-9_]+)""", text))
    assert used <= ALLOWED_ENV, used - ALLOWED_ENV
    assert "PAGEOWNER_FAST_PUREPYTHON" in used   # the pattern finds what is there


@needs_tree
def test_source_files_stay_small():
    """Each file about one thing: none over 1,000 lines."""
    long = [f"{p.relative_to(SRC)}: {n}" for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 1000]
    assert long == []


@needs_tree
def test_comments_cite_what_a_reader_can_open():
    """No section numbers or Q-numbers of a spec outside the repository, in the code, the
    tests or the docs: they cite docs/compatibility.md, docs/architecture.md or the kernel's
    own files."""
    theirs = {"test_static.py"}
    native = [p for ext in ("*.c", "*.h", "*.pyx", "*.pxd", "*.pyi") for p in SRC.rglob(ext)
              if p.name != "_scan.c"]            # Cython's output in an in-place build
    files = [*SRC.rglob("*.py"), *native, *(ROOT / "tests").rglob("*.py"),
             *(ROOT / "tests" / "native").glob("*.c"), *(ROOT / "docs").glob("*.md"),
             ROOT / "README.md", ROOT / "CHANGELOG.md"]
    bad = []
    for path in files:
        if path.name in theirs or not path.exists():
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"§|\bQ\d+\b|\bthe spec\b|page_owner_format", line):
                bad.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert bad == []
