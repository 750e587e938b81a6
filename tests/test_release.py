"""Release engineering: one version, everywhere (src/pageowner_fast/_version.py)."""
from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pageowner_fast
from conftest import run_subprocess

ROOT = Path(__file__).resolve().parent.parent
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")  # PEP 440 subset


def test_version_is_pep440():
    assert VERSION_RE.match(pageowner_fast.__version__), pageowner_fast.__version__


def test_version_file_is_the_single_source():
    from pageowner_fast import _version
    assert pageowner_fast.__version__ is _version.__version__
    text = (Path(_version.__file__)).read_text()
    assert re.fullmatch(r'__version__ = "[^"]+"\n', text), text


def test_installed_metadata_matches():
    try:
        dist = importlib.metadata.distribution("pageowner-fast")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("pageowner-fast is not installed (running from the source tree)")
    installed = Path(dist.locate_file("pageowner_fast/__init__.py"))
    if not installed.exists() or not installed.samefile(pageowner_fast.__file__):
        pytest.skip("the imported package is not the installed distribution (source tree)")
    assert dist.version == importlib.metadata.version("pageowner-fast") == pageowner_fast.__version__


def test_cli_version_matches():
    env = dict(os.environ)
    if pageowner_fast.engine == "python":   # else the child warns that the scanner is missing
        env["PAGEOWNER_FAST_PUREPYTHON"] = "1"
    p = run_subprocess(["--version"], timeout=120, env=env)
    assert p.returncode == 0 and p.stderr == b""
    out = p.stdout.decode()
    m = re.fullmatch(r"pageowner-fast (\S+) \((cython|python) engine(, (\S+) hash)?(, \S+ splitter)?(, debug build)?\)\n", out)
    assert m, out
    assert m.group(1) == pageowner_fast.__version__
    assert m.group(2) == pageowner_fast.engine
    assert m.group(4) == pageowner_fast.engine_info()["hash"]   # the hash in use shows


def test_engine_info():
    info = pageowner_fast.engine_info()
    assert info["engine"] == pageowner_fast.engine
    if info["engine"] == "python":
        assert info["hash"] is None
    else:
        assert info["hash"] in ("xxh3-128", "fallback+verify")
    assert set(info) >= {"engine", "hash", "simd"}


def test_compiled_engine_uses_xxh3_when_xxhash_is_there():
    """The wheel test: a compiled engine that silently fell back to its slower hash (XXH3
    bound from the xxhash wheel failed) fails here, as long as xxhash itself imports."""
    if pageowner_fast.engine != "cython":
        pytest.skip("the compiled scanner is not loaded")
    pytest.importorskip("xxhash")
    assert pageowner_fast.engine_info()["hash"] == "xxh3-128"


def test_console_script_version(tmp_path):
    """The `pageowner-fast` entry point (when installed next to this Python) says the same."""
    script = Path(sys.executable).parent / ("pageowner-fast.exe" if sys.platform == "win32"
                                            else "pageowner-fast")
    if not script.exists():
        pytest.skip("no pageowner-fast script beside this interpreter")
    env = dict(os.environ, PAGEOWNER_FAST_PUREPYTHON="1") if pageowner_fast.engine == "python" \
        else None
    p = subprocess.run([str(script), "--version"], capture_output=True, timeout=120, env=env)
    assert p.returncode == 0
    assert p.stdout.decode().split()[1] == pageowner_fast.__version__


def test_changelog_names_the_version():
    changelog = ROOT / "CHANGELOG.md"
    if not changelog.exists():
        pytest.skip("CHANGELOG.md not shipped here")
    text = changelog.read_text(encoding="utf-8")
    v = re.escape(pageowner_fast.__version__)
    assert re.search(rf"^## \[{v}\]", text, re.M), f"CHANGELOG.md has no '## [{pageowner_fast.__version__}]' entry"
