"""One collector per namespace and source (store/lease.py), with real processes and servers.

Two collectors of one source on one namespace would count most posts twice (the dedupe check
and the write that records an id are two steps), so the second is refused with one line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
from support import cli_process, run_cli

from tweetwatch.sources.demo import virtual_time_source, write_lines
from tweetwatch.store.keys import Keys

TOPICS = [("trump", ["trump", "realdonaldtrump"]), ("biden", ["biden", "joebiden"])]


def demo_file(path: Path, lines: int) -> Path:
    return write_lines(path, virtual_time_source(TOPICS, rate=50, seed=3, limit=lines))


def wait_for(check, what: str, timeout: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def totals(client: redis.Redis, namespace: str) -> dict[str, str]:
    return client.hgetall(Keys(namespace).totals)


def test_a_second_collector_of_the_same_source_is_refused(server_url: str, namespace: str, tmp_path: Path,
                                                          client: redis.Redis) -> None:
    data = demo_file(tmp_path / "posts.jsonl", 2_000)  # 40 s of stream time at --speed 1
    lease_key = Keys(namespace).collector("replay")
    with cli_process("collect", "--replay", str(data), "--speed", "4", "--redis", server_url,
                     "--namespace", namespace, state_dir=tmp_path / "a") as first:
        wait_for(lambda: int(totals(client, namespace).get("total", 0)) > 0, "the first collector's counts")
        holder = json.loads(client.get(lease_key))
        assert (holder["host"], holder["pid"]) == (socket.gethostname(), first.pid)
        for extra in ((), ("--raw-only",)):  # a forwarder of the same source would double count as well
            second = run_cli("collect", *extra, "--replay", str(data), "--redis", server_url,
                             "--namespace", namespace, state_dir=tmp_path / "b", timeout=60)
            assert second.returncode == 4
            assert second.stderr.splitlines() == [
                f"tweetwatch: namespace '{namespace}' already has a replay collector (pid {first.pid} on this "
                f"host, since {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime(holder['since']))}); two would "
                f"count its posts twice. Watch it with `tweetwatch dashboard --namespace {namespace}`, or use "
                "another --namespace (a stopped collector's claim expires within 15 s)"]
        with cli_process("collect", "--source", "demo", "--redis", server_url, "--namespace", namespace,
                         state_dir=tmp_path / "c") as other_source:  # another source: its own lease
            wait_for(lambda: client.get(Keys(namespace).collector("demo")) is not None, "the demo's lease")
            other_source.terminate()
            assert other_source.wait(30) == 0
        assert first.poll() is None
        first.terminate()
        assert first.wait(30) == 0
    assert client.get(lease_key) is None  # released on the way out
    after = run_cli("collect", "--replay", str(data), "--redis", server_url, "--namespace", namespace,
                    state_dir=tmp_path / "b")
    assert after.returncode == 0, after.stderr


def test_the_lease_of_a_dead_process_on_this_host_is_taken_over_at_once(
        server_url: str, namespace: str, tmp_path: Path, client: redis.Redis) -> None:
    """A collector killed with SIGKILL leaves its lease behind; restarted on the same host, it
    must not wait for the lease to expire."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    lease_key = Keys(namespace).collector("replay")
    client.set(lease_key, json.dumps({"host": socket.gethostname(), "pid": dead_pid, "since": 1.0, "id": "x"}),
               px=60_000)
    result = run_cli("collect", "--replay", str(demo_file(tmp_path / "p.jsonl", 100)), "--redis", server_url,
                     "--namespace", namespace, state_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert int(totals(client, namespace)["total"]) == 100
    assert f"took over the replay lease of pid {dead_pid} on this host" in (tmp_path / "tweetwatch.log").read_text()

    # the same lease held by a live process elsewhere: refused, whatever its pid is here
    client.set(lease_key, json.dumps({"host": "elsewhere\x1b[2J", "pid": dead_pid, "since": 1.0, "id": "y"}),
               px=60_000)
    refused = run_cli("collect", "--replay", str(tmp_path / "p.jsonl"), "--redis", server_url,
                      "--namespace", namespace, state_dir=tmp_path)
    assert refused.returncode == 4
    assert f"(pid {dead_pid} on host elsewhere, since 1970-01-01 00:00:01Z)" in refused.stderr
    assert "\x1b" not in refused.stderr


def test_a_reset_under_a_running_collector_is_noticed(server_url: str, namespace: str, tmp_path: Path,
                                                      client: redis.Redis) -> None:
    """`reset` deletes the meta with everything else; the collector writes it again (readers
    and workers need the topics) and says that what was counted before is gone."""
    data = demo_file(tmp_path / "posts.jsonl", 2_000)
    keys = Keys(namespace)
    with cli_process("collect", "--replay", str(data), "--speed", "4", "--redis", server_url,
                     "--namespace", namespace, state_dir=tmp_path) as collector:
        wait_for(lambda: client.exists(keys.meta) and client.exists(keys.totals), "the first counts")
        reset = run_cli("reset", "--yes", "--redis", server_url, "--namespace", namespace, state_dir=tmp_path / "r")
        assert reset.returncode == 0, reset.stderr
        wait_for(lambda: client.exists(keys.meta) and client.exists(keys.collector("replay")),
                 "the meta and the lease written again")
        assert json.loads(client.hget(keys.meta, "topics")) == [[name, words] for name, words in TOPICS]
        collector.terminate()
        _, err = collector.communicate(timeout=30)
    assert collector.returncode == 0, err
    assert "vanished while collecting" in err and "what was counted before is gone" in err


def test_a_second_dashboard_with_a_collector_is_refused_before_the_screen_starts(
        namespace: str, tmp_path: Path) -> None:
    """`tweetwatch` twice on one state directory shares the embedded server: the second would
    double the demo's counts; it is told to attach a dashboard instead."""
    state = tmp_path / "state"
    with cli_process("collect", "--source", "demo", "--namespace", namespace, state_dir=state) as first:
        socket_path = state / "valkey" / "valkey.sock"
        wait_for(socket_path.exists, "the embedded server")
        client = redis.Redis(unix_socket_path=str(socket_path), decode_responses=True)
        key = Keys(namespace).collector("demo")
        wait_for(lambda: client.get(key) is not None, "the demo's lease")
        second = run_cli("run", "--source", "demo", "--namespace", namespace, state_dir=state, timeout=60)
        assert second.returncode == 4
        assert f"already has a demo collector (pid {first.pid} on this host" in second.stderr
        assert "Traceback" not in second.stderr
        first.terminate()
        assert first.wait(30) == 0
