"""`tweetwatch` (collector + dashboard) in a real pseudo-terminal at 80x24: it draws, quits on
`q`, restores the terminal, and leaves nothing running. The headless commands (`collect`,
`process`) stop cleanly when their terminal goes away."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import redis
from support import FIXTURES, REPO, run_cli

from tweetwatch.store.keys import Keys


def spawn_in_pty(args: list[str], env: dict[str, str], cols: int = 80, rows: int = 24):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO,
                            start_new_session=True)
    os.close(slave)
    return proc, master


def end_in_pty(proc: subprocess.Popen, master: int) -> None:
    """Kill what a test left running and close its terminal (`master` -1: closed already)."""
    if proc.poll() is None:
        proc.kill()
    if master >= 0:
        os.close(master)


def read_until(master: int, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and needle not in seen:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen


def test_run_draws_and_quits_cleanly(server_url: str, namespace: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env.update(TERM="xterm-256color", TWEETWATCH_STATE_DIR=str(tmp_path),
               TWEETWATCH_CONFIG=str(FIXTURES / "empty-config.toml"))
    proc, master = spawn_in_pty(
        [sys.executable, "-m", "tweetwatch", "--redis", server_url, "--namespace", namespace,
         "--replay", str(FIXTURES / "v1_mixed.jsonl"), "--speed", "max"], env)
    try:
        screen = read_until(master, b"counters", 30)
        assert b"counters" in screen, screen[-2000:]
        screen += read_until(master, b"trump", 10)
        os.write(master, b"q")
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            screen += read_until(master, b"\x00never", 0.3)
        assert proc.returncode == 0, screen[-2000:]
        # the terminal is handed back: alternate screen left, mouse reporting off
        assert b"\x1b[?1049l" in screen
        assert b"Traceback" not in screen
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_dashboard_waits_for_redis_and_recovers(tmp_path: Path) -> None:
    from tweetwatch.store.embedded import EmbeddedServer

    server = EmbeddedServer(tmp_path / "later")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env.update(TERM="xterm-256color", TWEETWATCH_STATE_DIR=str(tmp_path / "state"),
               TWEETWATCH_CONFIG=str(FIXTURES / "empty-config.toml"))
    proc, master = spawn_in_pty(
        [sys.executable, "-m", "tweetwatch", "dashboard", "--redis", server.url, "--refresh", "0.5"], env)
    try:
        screen = read_until(master, b"unreachable", 30)
        assert b"unreachable" in screen, screen[-2000:]
        assert proc.poll() is None  # still running, retrying
        server.ensure_running()
        screen = read_until(master, "●".encode(), 30)  # the status bar's "Redis ● 0.4ms": connected
        assert "●".encode() in screen, screen[-3000:]
        os.write(master, b"q")
        proc.wait(20)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        server.stop_if_last()


def _resize(master: int, proc: subprocess.Popen[bytes], cols: int, rows: int) -> None:
    import signal

    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc.send_signal(signal.SIGWINCH)


def test_resize_storm_and_sighup(tmp_path: Path) -> None:
    """Resized repeatedly down to 20x5 and back: no crash, the layout recovers. Then the SSH
    session drops (SIGHUP): the process exits cleanly, restores the terminal, and the embedded
    server it started is saved and stopped (no orphan)."""
    import signal

    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env.update(TERM="xterm-256color", TWEETWATCH_STATE_DIR=str(state),
               TWEETWATCH_CONFIG=str(FIXTURES / "empty-config.toml"))
    proc, master = spawn_in_pty([sys.executable, "-m", "tweetwatch", "--demo-rate", "50"], env)
    try:
        screen = read_until(master, b"counters", 30)
        assert b"counters" in screen
        for cols, rows in [(20, 5), (120, 40), (30, 8), (59, 17), (61, 19), (20, 5), (99, 30), (80, 24)] * 3:
            _resize(master, proc, cols, rows)
            since_resize = read_until(master, b"\x00never", 0.15)
        assert proc.poll() is None, "crashed while resizing"
        # Everything sent since the last resize (refreshes after it repaint only changed rows).
        screen = since_resize + read_until(master, b"\x00never", 2)
        assert b"counters" in screen  # the full layout is back at 80x24
        pid_file = state / "valkey" / "valkey.pid"
        server_pid = int(pid_file.read_text())
        proc.send_signal(signal.SIGHUP)
        screen = read_until(master, b"\x00never", 5)
        proc.wait(20)
        assert proc.returncode == 0
        assert b"\x1b[?1049l" in screen  # alternate screen left
        assert b"\x1b[?1000l" in screen  # mouse reporting off
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{server_pid}"):
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{server_pid}"), "embedded server left running"
        assert not pid_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def counted_in_redis(server_url: str, namespace: str) -> int:
    return int(redis.Redis.from_url(server_url).hget(Keys(namespace).totals, "total") or 0)


@pytest.mark.parametrize(("command", "hangup"), [
    pytest.param(("collect",), "pty closed", id="collect-pty-closed"),
    pytest.param(("collect",), "pty closed + SIGHUP", id="collect-pty-closed-sighup"),
    pytest.param(("collect", "--raw-only"), "pty closed + SIGHUP", id="raw-only-pty-closed-sighup"),
    pytest.param(("process",), "pty closed", id="process-pty-closed"),
])
def test_headless_command_survives_its_terminal_and_stops_cleanly(
    server_url: str, namespace: str, tmp_path: Path, command: tuple[str, ...], hangup: str
) -> None:
    """The SSH session under `collect`, `collect --raw-only` or `process` drops: its pty goes
    away. An SSH drop or `tmux kill-session` also sends SIGHUP: the command writes what it
    holds, releases its lease and exits 0 within seconds. A disowned job gets no SIGHUP: it
    goes on counting without a terminal, and SIGTERM stops it the same clean way. Regression:
    the collector's last status line hit the dead terminal (EIO) and killed its writer thread
    before it said "finished", so `collect` hung for good, deaf to SIGTERM and holding the
    lease; the other two ended with "unexpected error"."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env.update(TERM="xterm-256color", TWEETWATCH_STATE_DIR=str(tmp_path / "state"),
               TWEETWATCH_CONFIG=str(FIXTURES / "empty-config.toml"))
    where = ("--redis", server_url, "--namespace", namespace)
    if command == ("process",):  # something to aggregate
        fed = run_cli("collect", "--raw-only", "--replay", str(FIXTURES / "v1_mixed.jsonl"), *where,
                      state_dir=tmp_path / "feeder")
        assert fed.returncode == 0, fed.stderr
    proc, master = spawn_in_pty([sys.executable, "-m", "tweetwatch", *command, *where, "--demo-rate", "200"], env)
    counted = re.compile(rb"([\d,]+) lines forwarded" if "--raw-only" in command else rb"\btweets ([\d,]+)")
    try:
        screen, shown = b"", 0
        deadline = time.monotonic() + 30
        while not shown and time.monotonic() < deadline and proc.poll() is None:
            screen += read_until(master, b"\x00never", 0.5)
            found = counted.findall(screen)
            shown = int(found[-1].replace(b",", b"")) if found else 0
        assert shown > 0, screen[-2000:]
        os.close(master)
        master = -1
        if "SIGHUP" in hangup:
            proc.send_signal(signal.SIGHUP)
        else:
            time.sleep(4)  # two status lines into the dead terminal
            assert proc.poll() is None, "a disowned job stopped when its terminal went away"
            if command == ("collect",):
                assert counted_in_redis(server_url, namespace) > shown, "it stopped counting"
            proc.send_signal(signal.SIGTERM)
        proc.wait(10)  # TimeoutExpired: deaf to the signal
        assert proc.returncode == 0
    finally:
        end_in_pty(proc, master)
    client = redis.Redis.from_url(server_url, decode_responses=True)
    keys = Keys(namespace)
    assert not client.exists(keys.collector("demo")), "lease left behind"
    written = client.xlen(keys.raw) if "--raw-only" in command else int(client.hget(keys.totals, "total") or 0)
    assert written >= shown  # everything its last status line reported is in Redis


def test_a_dashboard_whose_terminal_closes_without_sighup_leaves(server_url: str, namespace: str, tmp_path: Path) -> None:
    """The pty under `tweetwatch` closes but no SIGHUP comes (it is not the controlling
    terminal here: a new session without one). Regression: Textual's input thread read EOF
    in a busy loop, ~90% of a core, and the process stayed for good with its collector and
    lease. It now notices the dead terminal, writes what it holds, releases and exits 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env.update(TERM="xterm-256color", TWEETWATCH_STATE_DIR=str(tmp_path),
               TWEETWATCH_CONFIG=str(FIXTURES / "empty-config.toml"))
    proc, master = spawn_in_pty([sys.executable, "-m", "tweetwatch", "--redis", server_url, "--namespace",
                                 namespace, "--demo-rate", "200"], env)
    try:
        screen = read_until(master, b"counters", 30)
        assert b"counters" in screen, screen[-2000:]
        time.sleep(1.5)  # a few posts counted
        os.close(master)
        master = -1
        proc.wait(20)  # TimeoutExpired: it stayed
        assert proc.returncode == 0
    finally:
        end_in_pty(proc, master)
    client = redis.Redis.from_url(server_url, decode_responses=True)
    assert not client.exists(Keys(namespace).collector("demo")), "lease left behind"
    assert int(client.hget(Keys(namespace).totals, "total") or 0) > 0


def test_a_dashboard_stuck_after_its_terminal_went_away_finishes_and_leaves() -> None:
    """Textual's shutdown can block writing to a dead terminal (1 in ~15 `tmux kill-session`,
    QA 2026-11-28): after SIGHUP a watchdog writes what is held, releases and leaves."""
    from tweetwatch.cli import exit_if_stuck

    done: list[str] = []
    exit_if_stuck(lambda: done.append("finished"), grace_s=0.05, leave=lambda code: done.append(f"left {code}"))
    assert done == ["finished", "left 0"]

    def failing() -> None:
        raise RuntimeError("Redis went away too")

    left: list[int] = []
    with pytest.raises(RuntimeError):
        exit_if_stuck(failing, grace_s=0.01, leave=left.append)
    assert left == [0]  # it leaves all the same
