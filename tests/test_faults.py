"""Faults with real processes: the server killed mid-run and restarted, the embedded server
killed under a running collector. The final counts equal those of an undisturbed run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from support import FIXTURES, REPO, run_cli

from tweetwatch.errors import StoreLoading
from tweetwatch.pipeline.aggregate import Delta
from tweetwatch.sources.demo import virtual_time_source, write_lines
from tweetwatch.store.raw_stream import RawStream
from tweetwatch.store.redis_store import Store, open_client

TOPICS = [("trump", ["trump", "realdonaldtrump"]), ("biden", ["biden", "joebiden"])]


def demo_file(path: Path, lines: int, rate: float) -> Path:
    return write_lines(path, virtual_time_source(TOPICS, rate=rate, seed=5, limit=lines))


def env_for(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env.update(TWEETWATCH_STATE_DIR=str(state), TWEETWATCH_CONFIG=str(FIXTURES / "empty-config.toml"))
    return env


def comparable(summary_json: str) -> dict:
    data = json.loads(summary_json)
    data.pop("namespace")
    return data


class RedisServer:
    """A real redis-server with fsync-always AOF, that the test can kill and restart."""

    def __init__(self, directory: Path, *config: str) -> None:
        self.dir = directory
        self.sock = directory / "redis.sock"
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.sock}"

    def start(self, *extra: str, loading: bool = False) -> None:
        """Start the server (`extra`: more options for this start only) and wait until it
        serves, or with `loading` until it answers at all: LOADING while it reads its data."""
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", str(self.sock), "--unixsocketperm", "700",
             "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             *self.config, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(unix_socket_path=str(self.sock)).ping():
                    return
            except redis.exceptions.BusyLoadingError:
                if loading:
                    return
                time.sleep(0.05)
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def fill(self, keys: int) -> None:
        """Add `keys` filler keys and rewrite the append-only file (an RDB base): a restart
        with `--key-load-delay MICROSECONDS` then stays LOADING for about keys x delay."""
        client = redis.Redis(unix_socket_path=str(self.sock))
        client.eval("for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'filler:' .. i, i) end", 0, keys)
        client.bgrewriteaof()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            persistence = client.info("persistence")
            if not persistence["aof_rewrite_in_progress"] and not persistence["aof_rewrite_scheduled"]:
                return
            time.sleep(0.05)
        raise RuntimeError("BGREWRITEAOF did not finish")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_redis_killed_and_restarted_mid_run(tmp_path: Path) -> None:
    data = demo_file(tmp_path / "demo.jsonl", 4000, rate=100)  # 40 s of stream time
    server = RedisServer(tmp_path)
    server.start()
    try:
        env = env_for(tmp_path / "state")
        collector = subprocess.Popen(
            [sys.executable, "-m", "tweetwatch", "collect", "--redis", server.url, "--namespace", "fault",
             "--replay", str(data), "--speed", "4"],  # about 10 s of wall time
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        before = int(redis.Redis(unix_socket_path=str(server.sock)).hget("{fault}:totals", "total") or 0)
        assert 0 < before < 4000, "the kill must land mid-run"
        server.kill()
        time.sleep(5)
        assert collector.poll() is None  # still reading, holding aggregates
        server.start()
        _, err = collector.communicate(timeout=120)
        assert collector.returncode == 0, err
        assert "redis unreachable" in err and "Traceback" not in err

        undisturbed = run_cli("collect", "--redis", server.url, "--namespace", "calm", "--replay", str(data))
        assert undisturbed.returncode == 0, undisturbed.stderr
        got = run_cli("summary", "--json", "--window", "24h", "--redis", server.url, "--namespace", "fault")
        want = run_cli("summary", "--json", "--window", "24h", "--redis", server.url, "--namespace", "calm")
        assert comparable(got.stdout) == comparable(want.stdout)
        assert comparable(got.stdout)["total"] == 4000
    finally:
        server.stop()


def test_embedded_server_killed_under_collector(tmp_path: Path) -> None:
    data = demo_file(tmp_path / "demo.jsonl", 3000, rate=100)  # 30 s of stream time
    state = tmp_path / "state"
    env = env_for(state)
    collector = subprocess.Popen(
        [sys.executable, "-m", "tweetwatch", "collect", "--namespace", "fault", "--replay", str(data),
         "--speed", "4"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pid_file = state / "valkey" / "valkey.pid"
    deadline = time.monotonic() + 20
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(3)
    first_pid = int(pid_file.read_text())
    os.kill(first_pid, signal.SIGKILL)
    _, err = collector.communicate(timeout=120)
    assert collector.returncode == 0, err
    assert "Traceback" not in err
    calm_state = tmp_path / "calm"
    undisturbed = run_cli("collect", "--namespace", "fault", "--replay", str(data), state_dir=calm_state)
    assert undisturbed.returncode == 0
    got = run_cli("summary", "--json", "--window", "24h", "--namespace", "fault", state_dir=state)
    want = run_cli("summary", "--json", "--window", "24h", "--namespace", "fault", state_dir=calm_state)
    assert got.returncode == 0, got.stderr
    assert comparable(got.stdout) == comparable(want.stdout)
    assert comparable(got.stdout)["total"] == 3000


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
@pytest.mark.parametrize("command", [("collect", "--replay", str(FIXTURES / "v2_mixed.jsonl")), ("summary",)])
def test_a_server_without_scripting_is_one_line_at_once(tmp_path: Path, command: tuple[str, ...]) -> None:
    """Every write runs Lua (EVAL). A server that renamed it away is refused up front, with
    the server's reply and no Lua source, instead of being retried as "unreachable"."""
    server = RedisServer(tmp_path, "--rename-command", "EVAL", "")
    server.start()
    try:
        started = time.monotonic()
        out = run_cli(*command, "--redis", server.url, state_dir=tmp_path / "state", timeout=30)
        assert time.monotonic() - started < 15
    finally:
        server.stop()
    assert out.returncode == 3
    assert out.stderr.splitlines() == ["tweetwatch: Redis refused a command: unknown command 'EVAL'"]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_full_server_is_named_as_such(tmp_path: Path) -> None:
    """maxmemory reached with noeviction refuses every write: say so, not "unreachable"."""
    server = RedisServer(tmp_path, "--maxmemory", "1", "--maxmemory-policy", "noeviction")
    server.start()
    try:
        out = run_cli("collect", "--replay", str(FIXTURES / "v2_mixed.jsonl"), "--redis", server.url,
                      state_dir=tmp_path / "state", timeout=30)
    finally:
        server.stop()
    assert out.returncode == 3
    assert out.stderr.splitlines() == [
        "tweetwatch: Redis is out of memory (maxmemory reached): command not allowed when used memory > 'maxmemory'."]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_what_was_counted_stays_readable_when_the_server_fills_up(tmp_path: Path) -> None:
    """A full server (noeviction) refuses the reads' scratch union too; summary and exports
    then union in the reply instead, so the counts can still be looked at."""
    server = RedisServer(tmp_path)
    server.start()
    state = tmp_path / "state"
    windows = ("1h", "24h")  # a rolling-set window and a unioned one
    try:
        common = ("--redis", server.url, "--namespace", "full")
        assert run_cli("collect", "--replay", str(FIXTURES / "v2_mixed.jsonl"), *common, state_dir=state).returncode == 0
        before = [run_cli("summary", "--json", "--window", w, *common, state_dir=state) for w in windows]
        client = redis.Redis(unix_socket_path=str(server.sock))
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "1")
        after = [run_cli("summary", "--json", "--window", w, *common, state_dir=state) for w in windows]
        exported = run_cli("export", "json", "-o", "-", "--window", "24h", *common, state_dir=state)
        client.config_set("maxmemory", "0")
        exported_before = run_cli("export", "json", "-o", "-", "--window", "24h", *common, state_dir=state)
    finally:
        server.stop()
    for was, now in zip(before, after):
        assert now.returncode == 0, now.stderr
        assert comparable(now.stdout) == comparable(was.stdout)
    assert any(topic["keywords"] for topic in json.loads(after[1].stdout)["topics"].values())
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["keywords"] == json.loads(exported_before.stdout)["keywords"]


LOADING_KEYS = 40_000
SLOW_LOADING = ("--key-load-delay", "200", "--loading-process-events-interval-bytes", "1024")
"""40,000 keys at 200 us each: a restarted server answers LOADING for about 8 s (it answers
clients between reads of 1 KB of its data; by default only every 2 MB)."""


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_server_loading_its_data_is_unavailable_for_every_write(tmp_path: Path) -> None:
    """A restarted server answers LOADING until its data is read. Under WATCH redis-py turns
    that into a WatchError ("A BusyLoadingError occurred while watching one or more keys"),
    which escaped the store's error mapping: `collect --raw-only` exited 1 with "unexpected
    error" (QA). Every guarded write (raw lines, a Delta) must say "loading", and retry."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        server.fill(LOADING_KEYS)
        server.kill()
        server.start(*SLOW_LOADING, loading=True)
        store = Store(open_client(server.url, "test"), "loading")
        raw = RawStream(store)
        with pytest.raises(StoreLoading, match="still loading its data"):
            raw.append([b"{}"], token="t1")
        with pytest.raises(StoreLoading):
            store.write(Delta(), (), (), token="t2")
        with pytest.raises(StoreLoading):
            store.ping_ms()
    finally:
        server.stop()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_raw_forwarder_waits_for_a_restarted_server_to_load(tmp_path: Path) -> None:
    """QA's run: Redis SIGKILLed under `collect --raw-only` and started again with data to load.
    The forwarder keeps reading, waits out LOADING and puts every line on the stream once."""
    data = demo_file(tmp_path / "demo.jsonl", 3000, rate=100)  # 30 s of stream time
    server = RedisServer(tmp_path)
    server.start()
    try:
        server.fill(LOADING_KEYS)
        collector = subprocess.Popen(
            [sys.executable, "-m", "tweetwatch", "collect", "--raw-only", "--redis", server.url,
             "--namespace", "loading", "--replay", str(data), "--speed", "4"],  # about 7 s of wall time
            cwd=REPO, env=env_for(tmp_path / "state"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        client = redis.Redis(unix_socket_path=str(server.sock))
        assert 0 < client.xlen("{loading}:raw") < 3000, "the kill must land mid-run"
        server.kill()
        time.sleep(1)
        server.start(*SLOW_LOADING, loading=True)
        _, err = collector.communicate(timeout=120)
        assert collector.returncode == 0, err
        assert "still loading its data" in err and "Traceback" not in err and "unexpected" not in err
        client = redis.Redis(unix_socket_path=str(server.sock))
        assert client.xlen("{loading}:raw") == 3000  # every line once: none lost, none appended twice
    finally:
        server.stop()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
@pytest.mark.parametrize("fault", ["killed", "hung"])
@pytest.mark.parametrize("command", ["run", "collect"])
def test_stopping_while_redis_is_away_names_what_was_not_written(tmp_path: Path, command: str, fault: str) -> None:
    """Redis SIGKILLed or SIGSTOPped (hung: every call waits out the socket timeout), then the
    user quits (`q`) or stops (SIGTERM). Both commands wait the same bounded drain, say what
    they wait for while it lasts, then name the tweets not written and exit 3. Regression:
    `tweetwatch` (run) exited 0 and printed nothing, after 11 s (killed) or 26 s (hung) of a
    blank terminal; `collect` with a hung Redis exited 1 after 30 s."""
    from test_terminal import read_until, spawn_in_pty

    from tweetwatch.cli import STOP_GRACE_S

    server = RedisServer(tmp_path)
    server.start()
    assert server.proc is not None
    env = env_for(tmp_path / "state")
    env["TERM"] = "xterm-256color"
    args = [sys.executable, "-m", "tweetwatch", *(["collect"] if command == "collect" else []),
            "--source", "demo", "--demo-rate", "50", "--redis", server.url, "--namespace", "away"]
    master = -1
    if command == "run":
        proc, master = spawn_in_pty(args, env)
    else:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if master >= 0:
            assert b"counters" in read_until(master, b"counters", 30)
        time.sleep(2)  # posts counted and written
        server.proc.send_signal(signal.SIGKILL if fault == "killed" else signal.SIGSTOP)
        time.sleep(2)  # and more held in memory
        started = time.monotonic()
        if master >= 0:
            os.write(master, b"q")
            shown = read_until(master, b"tweetwatch: stopping:", 5)  # within seconds, not a blank terminal
            assert b"tweetwatch: stopping:" in shown, shown[-2000:]
            while proc.poll() is None and time.monotonic() - started < 60:
                shown += read_until(master, b"\x00never", 0.3)
            output = shown[shown.index(b"\x1b[?1049l"):]  # after the dashboard left the screen
        else:
            proc.send_signal(signal.SIGTERM)
            assert proc.stderr is not None
            output = proc.stderr.read()
            proc.wait(60)
        took = time.monotonic() - started
    finally:
        if fault == "hung" and server.proc.poll() is None:
            server.proc.send_signal(signal.SIGCONT)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if master >= 0:
            os.close(master)
        server.stop()
    text = output.decode("utf-8", "replace").replace("\r", "")
    assert proc.returncode == 3, text
    assert took < STOP_GRACE_S + 4, f"{took:.1f} s: {text}"
    assert "tweetwatch: stopping: " in text  # what it waits for
    not_written = [line for line in text.splitlines() if " tweets not written: Redis stayed unreachable (" in line]
    assert len(not_written) == 1 and not_written[0].startswith("tweetwatch: stopping with "), text
    assert "Traceback" not in text
