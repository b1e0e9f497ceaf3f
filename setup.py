"""Builds tweetwatch's optional C speedups (tweetwatch/native/*.c) next to the pure-Python code.

Everything else lives in pyproject.toml. A C compiler and the Python headers are needed for the
speedups; without them (or if a build fails) the install still succeeds and tweetwatch runs on
its pure-Python paths, which give the same results (tests/test_native.py compares the two).
Set TWEETWATCH_PURE_PYTHON=1 at run time to use the Python paths even when the speedups are built.
"""

from __future__ import annotations

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

NATIVE = [
    Extension(
        f"tweetwatch.native.{name}",
        sources=[f"tweetwatch/native/{name}.c"],
        extra_compile_args=["-O2", "-std=c99", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    )
    for name in ("_v2scan", "_tokencount", "_minutecount")
]


class OptionalBuildExt(build_ext):
    """A failed build of a speedup is a warning, not a failed install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler at all (setuptools raises several kinds)
            self._warn(f"C speedups not built ({error}); tweetwatch uses its pure-Python paths")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            self._warn(f"C speedup {ext.name} not built ({error}); its pure-Python path is used")

    @staticmethod
    def _warn(message: str) -> None:
        print(f"WARNING: {message}", file=sys.stderr)


setup(ext_modules=NATIVE, cmdclass={"build_ext": OptionalBuildExt})
