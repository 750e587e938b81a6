"""The native core on its own: the C unit tests in tests/native/*.c, compiled against
src/pageowner_fast/_native/ with the C compiler setuptools would use (sysconfig's, or MSVC on
Windows) and run; the work counts of the matchers on adversarial lines (linear, issue 16);
and the layout rules of issue 11 (no C in Cython strings, no file over 1,000 lines).

Where gcc or clang can, the tests are built with AddressSanitizer and UBSan (set
PAGEOWNER_FAST_NATIVE_SANITIZE=0 to turn that off). Skipped only when no C compiler exists.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "pageowner_fast"
NATIVE = PKG / "_native"
CTESTS = Path(__file__).resolve().parent / "native"
UNITS = ["split", "match", "intern", "textout", "scanner", "sort"]

pytestmark = pytest.mark.skipif(not NATIVE.is_dir(), reason="no source tree (src/pageowner_fast/_native)")


# --- building ----------------------------------------------------------------------------------

def _distutils_compiler():
    """The compiler object setuptools builds extensions with, or None."""
    try:
        from setuptools._distutils.ccompiler import new_compiler
        from setuptools._distutils.sysconfig import customize_compiler
    except ImportError:
        try:
            from distutils.ccompiler import new_compiler  # type: ignore[no-redef]  # Python < 3.12
            from distutils.sysconfig import customize_compiler  # type: ignore[no-redef]
        except ImportError:
            return None
    cc = new_compiler()
    try:
        customize_compiler(cc)
        if cc.compiler_type == "msvc":
            cc.initialize()
        elif not shutil.which(cc.compiler_so[0]):
            return None
    except Exception:   # no MSVC installation, a broken toolchain: no compiler
        return None
    return cc


class _PlainCC:
    """sysconfig's CC, driven directly (no setuptools installed)."""

    compiler_type = "unix"

    def __init__(self, argv):
        self.argv = argv

    def build(self, sources, out, macros, extra):
        cmd = [*self.argv, *extra, f"-I{NATIVE}", *(f"-D{k}={v}" for k, v in macros),
               *map(str, sources), "-o", str(out)]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        return out


class Builder:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.cc = _distutils_compiler()
        if self.cc is None:
            cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
            if not shutil.which(cc[0]):
                pytest.skip("no C compiler")
            self.plain = _PlainCC(cc)
        self.msvc = self.cc is not None and self.cc.compiler_type == "msvc"
        self.flags = ["/O1", "/W3"] if self.msvc else ["-std=c99", "-O1", "-g", "-Wall", "-Wextra"]
        self.sanitize = []
        if not self.msvc and os.environ.get("PAGEOWNER_FAST_NATIVE_SANITIZE", "1") != "0":
            san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                   "-fno-omit-frame-pointer", "-fno-wrapv"]
            probe = self.tmp / "probe.c"
            probe.write_text("int main(void) { return 0; }\n")
            try:
                self._build([probe], "probe", [], san)
                self.sanitize = san
            except Exception:
                pass
        self.cache = {}

    def _build(self, sources, name, macros, extra, objects=()):
        exe = self.tmp / (name + (".exe" if sys.platform == "win32" else ""))
        if self.cc is None:
            return self.plain.build([*sources, *objects], exe, macros, self.flags + extra)
        objs = self._compile(sources, f"obj-{name}", macros, extra)
        self.cc.link_executable([*objs, *objects], name, output_dir=str(self.tmp),
                                extra_postargs=[] if self.msvc else extra)
        return Path(self.cc.executable_filename(name, output_dir=str(self.tmp)))

    def _compile(self, sources, objdir, macros, extra):
        return self.cc.compile([str(s) for s in sources], output_dir=str(self.tmp / objdir),
                               macros=list(macros), include_dirs=[str(NATIVE)],
                               extra_postargs=self.flags + extra)

    def _native_objects(self, macros, extra, tag):
        """The _native/*.c compiled once per set of flags (sources without setuptools)."""
        key = ("native", tag)
        if key not in self.cache:
            sources = sorted(NATIVE.glob("*.c"))
            self.cache[key] = (sources, []) if self.cc is None else \
                ([], self._compile(sources, f"obj-native-{tag}", macros, extra))
        return self.cache[key]

    def program(self, unit: str, *, count_work: bool = False) -> Path:
        """tests/native/test_<unit>.c linked with every _native/*.c. Work counting builds
        are optimised and without sanitizers (they count, the unit tests check)."""
        key = (unit, count_work)
        if key not in self.cache:
            macros = [("POF_COUNT_WORK", "1")] if count_work else []
            extra = ([] if self.msvc else ["-O2"]) if count_work else self.sanitize
            tag = "work" if count_work else "test"
            name = f"test_{unit}{'_work' if count_work else ''}"
            try:
                sources, objects = self._native_objects(macros, extra, tag)
                self.cache[key] = self._build([CTESTS / f"test_{unit}.c", *sources], name, macros,
                                              extra, objects)
            except Exception as e:  # a compile error is a failure, not a skip
                out = getattr(e, "stderr", None) or getattr(e, "args", [""])[0]
                pytest.fail(f"building {name} failed:\n{out}")
        return self.cache[key]


@pytest.fixture(scope="module")
def builder(tmp_path_factory):
    return Builder(tmp_path_factory.mktemp("native"))


def _run(exe: Path, *args: str) -> subprocess.CompletedProcess:
    # the platform's ASan defaults (leak checks where LeakSanitizer exists); UBSan halts
    env = dict(os.environ, UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    env.pop("ASAN_OPTIONS", None)
    env.pop("LD_PRELOAD", None)     # the programs carry their own sanitizer runtime
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=600, env=env)


# --- the unit tests ----------------------------------------------------------------------------

@pytest.mark.parametrize("unit", UNITS)
def test_native_unit(builder, unit):
    p = _run(builder.program(unit))
    assert p.returncode == 0, p.stdout + p.stderr
    m = re.search(r"(\d+) checks, (\d+) failed", p.stdout)
    assert m and int(m.group(1)) > 0 and m.group(2) == "0", p.stdout + p.stderr


def test_constants_agree_with_fields():
    """pof_defs.h and _fields.py give the allocator and "bad" bits the same values."""
    from pageowner_fast import _fields as F
    defs = dict(re.findall(r"#define POF_((?:ALLOC|BAD)_\w+) (\d+)", (NATIVE / "pof_defs.h").read_text()))
    assert defs, "no constants found in pof_defs.h"
    for name, value in defs.items():
        assert getattr(F, name) == int(value), name
    assert {n for n in dir(F) if re.fullmatch(r"(ALLOC|BAD)_[A-Z_]+", n) and isinstance(getattr(F, n), int)} == set(defs)


# --- linear work on adversarial lines (issue 16) -----------------------------------------------

SHAPES = ["tgid-paren", "tgid-parens", "open", "close", "close-comma", "ts", "ts-spaces",
          "tgid-spaces", "comma-spaces", "plus0x", "plus0x-hex", "bracket", "hex-bracket", "pfn",
          "digits", "mask", "vmalloc", "alloc-pages", "free-ts"]
SIZES = [64 << 10, 256 << 10, 1 << 20, 4 << 20]


@pytest.mark.parametrize("shape", SHAPES)
def test_work_is_linear(builder, shape):
    """The bytes the matchers (and a whole scan, fed in 64 KiB chunks) look at grow in
    proportion to the line: per byte at most a constant, and no more at 4 MiB than at 64
    KiB. (The quadratic comm matcher looked at ~N^2/12 bytes: 1.4e12 for 4 MiB.)"""
    exe = builder.program("work", count_work=True)
    per_byte = {}
    for n in SIZES:
        p = _run(exe, shape, str(n))
        assert p.returncode == 0, p.stderr
        work = dict(line.split() for line in p.stdout.splitlines())
        per_byte[n] = {k: int(v) / n for k, v in work.items()}
    for what in ("matchers", "scanner"):
        small, big = per_byte[SIZES[0]][what], per_byte[SIZES[-1]][what]
        assert big <= 120, (what, per_byte)
        assert big <= small * 1.1 + 1, (what, per_byte)


# --- layout (issue 11) -------------------------------------------------------------------------

def test_no_c_inside_cython_strings():
    """The C lives in _native/; the driver only declares it (no `cdef extern from *` blocks)."""
    for f in PKG.glob("*.p*"):
        if f.suffix in (".pyx", ".pxd", ".pxi"):
            assert "cdef extern from *" not in f.read_text(), f.name
    assert not list(PKG.glob("*.pxi"))


def test_native_files_are_small():
    files = [*NATIVE.glob("*.[ch]"), *PKG.glob("_scan.p*"), PKG / "_pyscan.py", *CTESTS.glob("*.[ch]")]
    sizes = {f.name: len(f.read_text().splitlines()) for f in files}
    assert sizes and max(sizes.values()) <= 1000, sizes
