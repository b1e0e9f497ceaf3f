"""Shared fixtures: real servers (embedded Valkey, and Debian redis-server when installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tweetwatch.store.embedded import EmbeddedServer

from support import FIXTURES, REAL_DATA, REPO, run_cli  # noqa: F401

# `python -m tweetwatch` in a subprocess (the CLI tests; their cwd is the repository) imports
# what this process imports, the installed package with its C speedups, and not the source
# tree in the cwd, which `-m` would put first on sys.path (a clean checkout has no built
# speedups: CI's subprocesses would all have run the pure-Python paths).
os.environ["PYTHONSAFEPATH"] = "1"


def _start_redis_server(tmp: Path) -> subprocess.Popen[bytes] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    sock = tmp / "redis.sock"
    proc = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sock.exists():
            try:
                if redis.Redis(unix_socket_path=str(sock)).ping():
                    return proc
            except redis.exceptions.ConnectionError:
                pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture(scope="session", params=["valkey", "redis"])
def server_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real server: the embedded Valkey, then Debian's redis-server (skipped if absent)."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "valkey":
        server = EmbeddedServer(tmp / "state")
        server.ensure_running()
        yield server.url
        redis.Redis(unix_socket_path=str(server.socket_path)).shutdown(nosave=True)
        return
    proc = _start_redis_server(tmp)
    if proc is None:
        pytest.skip("redis-server is not installed (CI installs Debian's redis-server)")
    yield f"unix://{tmp / 'redis.sock'}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client(server_url: str) -> redis.Redis:
    return redis.Redis.from_url(server_url, decode_responses=True)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path
