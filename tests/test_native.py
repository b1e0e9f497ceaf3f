"""The C speedups' switch: `tweetwatch --version` says whether they run (CI checks it says
"on" after installing). Each speedup's own results are compared with its Python twin in
tests/test_native_*.py."""

from __future__ import annotations

import pytest
from support import run_cli

from tweetwatch import native

ALL_BUILT = all(native.built(module, name) is not None for module, name in native.SPEEDUPS.items())


@pytest.mark.skipif(not ALL_BUILT, reason="the C speedups are not built (python setup.py build_ext --inplace)")
@pytest.mark.parametrize("pure, said", [("", "C speedups on"), ("1", "C speedups off (TWEETWATCH_PURE_PYTHON=1)")])
def test_version_says_whether_the_speedups_run(pure: str, said: str) -> None:
    version = run_cli("--version", env={"TWEETWATCH_PURE_PYTHON": pure})
    assert version.returncode == 0
    assert version.stdout.strip().endswith(f"({said})"), version.stdout


def test_a_speedup_not_built_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(native.SPEEDUPS, "_nonexistent", "anything")
    assert native.status().startswith("C speedups not built (")
    assert "_nonexistent" in native.status()
    assert native.load("_nonexistent", "anything") is None
