"""Optional C speedups of the hot path, and the switch between them and the Python paths.

Each C module here does exactly what a pure-Python function elsewhere does, only faster; the
caller imports the C function through `load` and falls back to its Python twin when the module
was not built (no compiler at install time) or when TWEETWATCH_PURE_PYTHON=1 is set (to compare
the two, in benchmarks and tests). tests/test_native.py checks that both give the same results.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

PURE_PYTHON = os.environ.get("TWEETWATCH_PURE_PYTHON", "") not in ("", "0")
"""Set TWEETWATCH_PURE_PYTHON=1 to run without the C speedups."""

SPEEDUPS = {
    "_v2scan": "tweet_from_v2_line",
    "_tokencount": "Tally",
    "_minutecount": "minute_columns",
}
"""Each C module (setup.py builds them) and the name the pipeline takes from it."""


def load(module: str, name: str) -> Any | None:
    """`tweetwatch.native.<module>.<name>`, or None when it is not built or switched off."""
    if PURE_PYTHON:
        return None
    return built(module, name)


def built(module: str, name: str) -> Any | None:
    """The C function whether or not it is switched off (for tests); None when not built."""
    try:
        return getattr(importlib.import_module(f"tweetwatch.native.{module}"), name)
    except (ImportError, AttributeError):
        return None


def status() -> str:
    """`C speedups on`, `C speedups off (TWEETWATCH_PURE_PYTHON=1)` or `C speedups not built
    (_v2scan, ...)`: what `tweetwatch --version` says, and what CI checks after installing."""
    missing = [module for module, name in SPEEDUPS.items() if built(module, name) is None]
    if missing:
        return f"C speedups not built ({', '.join(missing)})"
    return "C speedups off (TWEETWATCH_PURE_PYTHON=1)" if PURE_PYTHON else "C speedups on"
