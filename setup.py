"""Declares the compiled extension; everything else is in pyproject.toml.

PAGEOWNER_FAST_DEBUG=1 builds with Cython bounds checks on and AddressSanitizer (for fuzzing).
"""
import os
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

debug = os.environ.get("PAGEOWNER_FAST_DEBUG", "") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": debug,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": debug,
    "embedsignature": True,
}
compile_args, link_args = [], []
if sys.platform != "win32":
    if debug:
        compile_args += ["-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer"]
        link_args += ["-fsanitize=address"]
    else:
        compile_args += ["-O3"]

ext = Extension(
    "pageowner_fast._scan",
    ["src/pageowner_fast/_scan.pyx"],
    include_dirs=[np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=compile_args,
    extra_link_args=link_args,
)

setup(ext_modules=cythonize([ext], compiler_directives=directives,
                            compile_time_env={}, quiet=True))
