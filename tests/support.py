"""Helpers shared by the tests (importable as `support`: pyproject puts tests/ on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL_DATA = REPO.parent / "shared" / "data" / "real"


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            state_dir: Path | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m tweetwatch ARGS` as a real process (`stdin`: bytes for its standard input)."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("TWEETWATCH_", "REDIS_URL")) or k == "TWEETWATCH_PURE_PYTHON"}
    full_env["TWEETWATCH_CONFIG"] = str(FIXTURES / "empty-config.toml")
    if state_dir is not None:
        full_env["TWEETWATCH_STATE_DIR"] = str(state_dir)
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "tweetwatch", *args],
        capture_output=True, timeout=timeout, env=full_env, cwd=REPO,
        input=stdin,
    )
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode("utf-8", "replace"),
                                       result.stderr.decode("utf-8", "replace"))


def start_cli(*args: str, state_dir: Path, stdin: int | None = None) -> subprocess.Popen[str]:
    """`python -m tweetwatch ARGS` in the background, with the environment run_cli uses."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWEETWATCH_", "REDIS_URL"))}
    env["TWEETWATCH_CONFIG"] = str(FIXTURES / "empty-config.toml")
    env["TWEETWATCH_STATE_DIR"] = str(state_dir)
    return subprocess.Popen([sys.executable, "-m", "tweetwatch", *args], cwd=REPO, env=env, stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=stdin is None)


@contextmanager
def cli_process(*args: str, state_dir: Path, stdin: int | None = None) -> Iterator[subprocess.Popen[str]]:
    """`start_cli`, killed on the way out if the test left it running (`stdin=subprocess.PIPE`:
    a pipe the test writes bytes to)."""
    proc = start_cli(*args, state_dir=state_dir, stdin=stdin)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def traced_growth(run: Callable[[int], None], warm_up: int, measured: int) -> int:
    """Bytes the Python allocators hold more after `run(measured)` than before it, counted
    after `run(warm_up)` twice (caches and interned values are in place by then). tracemalloc
    sees objects and PyMem buffers alike, so a C function that leaks either shows here."""
    run(warm_up)
    tracemalloc.start()
    try:
        run(warm_up)
        before = tracemalloc.get_traced_memory()[0]
        run(measured)
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
