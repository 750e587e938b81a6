"""Declares the compiled extension; everything else is in pyproject.toml.

The extension is the native core in src/pageowner_fast/_native/ (plain C: splitter,
matchers, interner, row builder, text writer) plus its Cython driver _scan.pyx.

PAGEOWNER_FAST_DEBUG=1 builds it for fuzzing and sanitizers: Cython bounds checks on,
-O1 -g, AddressSanitizer and UndefinedBehaviorSanitizer (gcc/clang; MSVC: /fsanitize=address).
Run Python with the sanitizer runtime preloaded, see .github/workflows/sanitize.yml.

The extension is optional: without a working C compiler (or Cython/NumPy headers) the build
prints a warning and installs the pure-Python engine (`pageowner_fast.engine == "python"`,
correct but much slower). PAGEOWNER_FAST_REQUIRE_EXTENSION=1 turns that into a build failure
(release wheels are built that way).
"""
import glob
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

try:  # setuptools >= 59 vendors distutils; both spellings name the same classes
    from setuptools.errors import CCompilerError, ExecError, PlatformError
except ImportError:  # pragma: no cover - old setuptools
    from distutils.errors import (CCompilerError, DistutilsExecError as ExecError,
                                  DistutilsPlatformError as PlatformError)

debug = os.environ.get("PAGEOWNER_FAST_DEBUG", "") not in ("", "0")
require = os.environ.get("PAGEOWNER_FAST_REQUIRE_EXTENSION", "") not in ("", "0")

BUILD_ERRORS = (CCompilerError, ExecError, PlatformError, OSError, ValueError)

FALLBACK_WARNING = """
************************************************************************************
WARNING: pageowner-fast's compiled scanner could not be built ({why}).
Installing the pure-Python engine instead: everything works, but about 20-50x slower.
Install a C compiler and the Python headers (e.g. `apt install gcc python3-dev`)
and reinstall to get the fast engine; set PAGEOWNER_FAST_REQUIRE_EXTENSION=1 to make
this an error instead of a warning.
************************************************************************************
"""


def _warn(why) -> None:
    sys.stderr.write(FALLBACK_WARNING.format(why=why))
    sys.stderr.flush()


class optional_build_ext(build_ext):
    """build_ext that turns a failed compile into a warning (pure-Python fallback)."""

    def run(self):
        try:
            super().run()
        except BUILD_ERRORS as e:
            if require:
                raise
            _warn(f"{type(e).__name__}: {e}")

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except BUILD_ERRORS as e:
            if require:
                raise
            _warn(f"{type(e).__name__}: {e}")


def extensions():
    try:
        import numpy as np
        from Cython.Build import cythonize
    except ImportError as e:
        if require:
            raise
        _warn(f"cannot import {e.name}")
        return []

    directives = {
        "language_level": 3,
        "boundscheck": debug,
        "wraparound": False,
        "cdivision": True,
        "initializedcheck": debug,
        "embedsignature": True,
    }
    native = "src/pageowner_fast/_native"
    sources = ["src/pageowner_fast/_scan.pyx"] + [
        f"{native}/{name}.c" for name in
        ("pof_hash", "pof_split", "pof_match", "pof_intern", "pof_cols", "pof_rows",
         "pof_keyfold", "pof_scanner", "pof_textout", "pof_guard", "pof_sort", "pof_fold")]
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    compile_args, link_args = [], []
    if debug:
        macros.append(("POF_DEBUG", "1"))
    if sys.platform != "win32":
        # only PyInit__scan is exported: calls between the C files bind directly (no PLT)
        compile_args.append("-fvisibility=hidden")
    if sys.platform == "win32":
        if debug:
            compile_args += ["/fsanitize=address", "/Zi", "/Od"]
    elif debug:
        sanitize = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
        # -fno-wrapv: Python's own CFLAGS make signed overflow defined, which hides it from UBSan
        compile_args += ["-O1", "-g", "-fno-omit-frame-pointer", "-fno-wrapv"] + sanitize
        link_args += sanitize
    else:
        compile_args += ["-O3"]

    ext = Extension(
        "pageowner_fast._scan",
        sources,
        include_dirs=[np.get_include(), "src/pageowner_fast"],
        define_macros=macros,
        extra_compile_args=compile_args,
        extra_link_args=link_args,
        depends=sorted(glob.glob(f"{native}/*.h")) + ["src/pageowner_fast/_scan.pxd"],
    )
    try:
        return cythonize([ext], compiler_directives=directives, compile_time_env={}, quiet=True)
    except Exception as e:  # a Cython compile error is a bug in _scan.pyx: fall back, loudly
        if require:
            raise
        _warn(f"Cython failed: {e}")
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": optional_build_ext})
