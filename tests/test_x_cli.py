"""`tweetwatch collect` and `tweetwatch rules` against the fake X API, as real processes.

The collector runs until stopped, like it would on a server; the tests wait until Redis holds
what the fake server sent, then stop it with SIGTERM or SIGINT and check that it wrote what
it had and exited 0. Stall timeout and backoff are shortened through the environment
(TWEETWATCH_X_STALL_TIMEOUT, TWEETWATCH_X_BACKOFF_SCALE) so a test takes seconds.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fake_x_api import FakeXApi, drop, hold, keepalive, operational_disconnect, post, stall, status
from support import FIXTURES, REPO, run_cli

from tweetwatch.sources.x_http import MAX_LINE_BYTES, OVERSIZED_LINE
from tweetwatch.store.redis_store import Store
from tweetwatch.summary import summary_dict

TOKEN = "AAAAAAAAAAAAAAAAAAAAAtw%2FSecretBearer0123456789xyzQ"
TRACK = ("--track", "trump:trump,realdonaldtrump", "--track", "biden:biden,joe biden")


@pytest.fixture
def api() -> Iterator[FakeXApi]:
    with FakeXApi(TOKEN, keepalive_interval=0.1) as server:
        yield server


def cli_env(tmp_path: Path, token: str = TOKEN, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWEETWATCH_", "REDIS_URL", "X_BEARER", "TWITTER_BEARER"))}
    env.update({
        "TWEETWATCH_CONFIG": str(FIXTURES / "empty-config.toml"),
        "TWEETWATCH_STATE_DIR": str(tmp_path / "state"),
        "X_BEARER_TOKEN": token,
        "TWEETWATCH_X_STALL_TIMEOUT": "2",  # the fake sends keep-alives every 0.1 s: far below, even on a loaded box
        "TWEETWATCH_X_BACKOFF_SCALE": "0.01",
    })
    env.update(extra)
    return env


class Collect:
    """`tweetwatch collect` running in the background, output in files."""

    def __init__(self, tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
        self.stdout_path, self.stderr_path = tmp_path / "collect.out", tmp_path / "collect.err"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tweetwatch", "collect", *args],
            stdout=open(self.stdout_path, "w"), stderr=open(self.stderr_path, "w"),
            env=env, cwd=REPO, text=True,
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(30)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def current_summary(server_url: str, namespace: str) -> dict:
    client = redis.Redis.from_url(server_url, decode_responses=True)
    try:
        return summary_dict(Store(client, namespace).read_snapshot(3600))
    finally:
        client.close()


def wait_for(collect: Collect, server_url: str, namespace: str, total: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        data = current_summary(server_url, namespace)
        if data["total"] >= total:
            return data
        assert collect.proc.poll() is None, f"collect exited early: {collect.stderr}"
        assert time.monotonic() < deadline, f"only {data['total']} of {total} tweets; stderr: {collect.stderr}"
        time.sleep(0.1)


def archived_lines(directory: Path) -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted(directory.glob("x-*.jsonl.gz")):
        with gzip.open(path, "rb") as handle:
            lines.extend(handle.read().splitlines())
    return lines


def redis_dump(server_url: str, namespace: str) -> str:
    """Every key and value of the namespace, as text (SCAN, then a read per type)."""
    client = redis.Redis.from_url(server_url, decode_responses=False)
    parts: list[bytes] = []
    try:
        for key in client.scan_iter(match=b"{" + namespace.encode() + b"}*", count=1000):
            parts.append(key)
            kind = client.type(key)
            if kind == b"string":
                parts.append(client.get(key) or b"")
            elif kind == b"hash":
                for field, value in client.hgetall(key).items():
                    parts += [field, value]
            elif kind == b"list":
                parts += client.lrange(key, 0, -1)
            elif kind == b"set":
                parts += list(client.smembers(key))
            elif kind == b"zset":
                parts += [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
            elif kind == b"stream":
                for _id, fields in client.xrange(key):
                    for field, value in fields.items():
                        parts += [field, value]
            else:
                parts.append(client.dump(key) or b"")
    finally:
        client.close()
    assert parts, "nothing in Redis for this namespace"
    return b"\n".join(parts).decode("utf-8", "replace")


def everything_written(tmp_path: Path, collect: Collect) -> str:
    """stdout, stderr, and every file under the temp dir (state dir with the log, the
    archive — decompressed too —, the rules record)."""
    texts = [collect.stdout, collect.stderr]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            texts.append(raw.decode("utf-8", "replace"))
            if path.name.endswith(".gz"):
                texts.append(gzip.decompress(raw).decode("utf-8", "replace"))
    return "\n".join(texts)


def test_live_collect_reconnects_counts_once_archives_everything_and_replays(
    server_url: str, namespace: str, tmp_path: Path, api: FakeXApi
) -> None:
    foreign = api.add_rule("cats OR kittens", "pets")  # another tool's rule: kept, its posts count in total only
    api.connections = [
        [keepalive(), post(1, "rally tonight in ohio #maga", ["trump"], seconds=1),
         post(2, "joe biden on the economy", ["biden"], seconds=2),
         post(3, "trump and biden debate tonight", ["trump", "biden"], seconds=3), drop()],
        [post(3, "trump and biden debate tonight", ["trump", "biden"], seconds=3),  # re-sent after the drop
         post(4, "trump economy plan", ["trump"], seconds=4), keepalive(), stall(10)],
        [post(4, "trump economy plan", ["trump"], seconds=4),  # re-sent after the stall
         post(5, "biden crowd in ohio", ["biden"], seconds=5), operational_disconnect()],
        [post(6, "look at these cats", ["pets"], seconds=6),
         post(7, "trump crowd huge", ["trump"], seconds=7), hold()],
    ]
    archive = tmp_path / "archive"
    collect = Collect(tmp_path, ["--redis", server_url, "--namespace", namespace, "--x-api-url", api.url,
                                 "--archive-dir", str(archive), *TRACK], cli_env(tmp_path))
    try:
        wait_for(collect, server_url, namespace, total=7)
        assert api.holding.is_set()
        time.sleep(0.5)  # a status line while connected
        assert collect.stop(signal.SIGTERM) == 0, collect.stderr
    finally:
        collect.kill()

    live = current_summary(server_url, namespace)
    assert (live["total"], live["duplicates"], live["control"], live["rejected"]) == (7, 2, 1, 0)
    assert live["source"] == "x"
    assert {name: t["count"] for name, t in live["topics"].items()} == {"trump": 4, "biden": 3}
    assert len(api.stream_requests()) == 4
    assert foreign in api.rules and {r.get("tag") for r in api.rules.values()} == {"pets", "trump", "biden"}
    assert "connected (3 rules, last data" in collect.stderr and "Traceback" not in collect.stderr

    # the archive holds every line the server sent (keep-alives excepted), duplicates included
    assert archived_lines(archive) == api.sent_lines

    # replaying the archive into a fresh namespace reproduces the summary
    fresh = namespace + "r"
    files = [str(p) for p in sorted(archive.glob("x-*.jsonl.gz"))]
    replay = run_cli("collect", "--redis", server_url, "--namespace", fresh, *TRACK,
                     *[arg for f in files for arg in ("--replay", f)])
    assert replay.returncode == 0, replay.stderr
    replayed = current_summary(server_url, fresh)
    for key in ("namespace", "source"):
        live.pop(key), replayed.pop(key)
    assert replayed == live

    # the token is nowhere: screen, log, archive, rules record, Redis, --help
    written = everything_written(tmp_path, collect)
    assert "X stream rules at" in written  # the log file is among what was searched
    assert TOKEN not in written
    assert TOKEN not in redis_dump(server_url, namespace)
    assert all(TOKEN not in run_cli(*args, env=cli_env(tmp_path)).stdout
               for args in (("--help",), ("collect", "--help"), ("rules", "--help")))


def test_a_line_over_the_cap_is_one_rejected_line_and_the_posts_after_it_count(
    server_url: str, namespace: str, tmp_path: Path, api: FakeXApi
) -> None:
    """Reading it used to take time quadratic in its length (16 MB: minutes, nothing counted)."""
    api.connections = [[post(1, "trump before", ["trump"], seconds=1),
                        post(2, "trump " + "x" * MAX_LINE_BYTES, ["trump"], seconds=2), keepalive(),
                        post(3, "trump after", ["trump"], seconds=3), post(4, "biden after", ["biden"], seconds=4),
                        hold()]]
    archive = tmp_path / "archive"
    collect = Collect(tmp_path, ["--redis", server_url, "--namespace", namespace, "--x-api-url", api.url,
                                 "--archive-dir", str(archive), *TRACK], cli_env(tmp_path))
    try:
        wait_for(collect, server_url, namespace, total=3)
        assert collect.stop(signal.SIGTERM) == 0, collect.stderr
    finally:
        collect.kill()
    counts = current_summary(server_url, namespace)
    assert (counts["total"], counts["rejected"]) == (3, 1)
    assert {name: t["count"] for name, t in counts["topics"].items()} == {"trump": 2, "biden": 1}
    assert collect.stderr.count("bytes skipped") == 1, collect.stderr  # one warning for it, not two
    assert f"line over {MAX_LINE_BYTES:,} bytes skipped" in collect.stderr
    assert archived_lines(archive) == [api.sent_lines[0], OVERSIZED_LINE, *api.sent_lines[2:]]


def test_bad_token_ends_collect_with_one_line_and_no_retry(
    server_url: str, namespace: str, tmp_path: Path, api: FakeXApi
) -> None:
    wrong = "AAAAAAAAAAAAAAAAAAAAAwrongTokenForTheFakeServer987654"
    collect = Collect(tmp_path, ["--redis", server_url, "--namespace", namespace, "--x-api-url", api.url,
                                 "--archive-dir", str(tmp_path / "archive"), *TRACK], cli_env(tmp_path, wrong))
    try:
        code = collect.proc.wait(30)
    finally:
        collect.kill()
    stderr = collect.stderr
    assert code == 2, stderr
    last = stderr.strip().splitlines()[-1]
    assert "401 Unauthorized" in last and "X_BEARER_TOKEN" in last and "--bearer-token-file" in last
    assert "Traceback" not in stderr
    assert len(api.requests) == 1 and not api.requests[0].authorized
    assert wrong not in everything_written(tmp_path, collect)


def test_forbidden_stream_ends_collect_with_what_to_fix(
    server_url: str, namespace: str, tmp_path: Path, api: FakeXApi
) -> None:
    api.connections = [[status(403)]]
    result = run_cli("collect", "--redis", server_url, "--namespace", namespace, "--x-api-url", api.url,
                     "--no-archive", *TRACK, env=cli_env(tmp_path), timeout=60)
    assert result.returncode == 2, result.stderr
    assert "403 Forbidden" in result.stderr and "Pro or Enterprise" in result.stderr, result.stderr
    assert len(api.stream_requests()) == 1, result.stderr
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("code, words", [(401, "401 Unauthorized"), (403, "403 Forbidden")])
def test_a_failure_is_said_once_then_at_most_status_lines_without_it(
    server_url: str, namespace: str, tmp_path: Path, api: FakeXApi, code: int, words: str
) -> None:
    """It was said three times: `source failed: ...`, inside the final status line, then alone."""
    api.connections = [[status(code)]]
    result = run_cli("collect", "--redis", server_url, "--namespace", namespace, "--x-api-url", api.url,
                     "--no-archive", *TRACK, env=cli_env(tmp_path), timeout=60)
    assert result.returncode == 2, result.stderr
    *status_lines, last = result.stderr.splitlines()
    assert words in last and last.startswith("tweetwatch: X API ") and "Traceback" not in result.stderr
    assert status_lines and all(line.startswith("tweetwatch: x · ") and words not in line for line in status_lines)
    assert status_lines[-1].endswith("· stopped") and "rejected 0" in status_lines[-1]
    assert "source failed: X API" in (tmp_path / "state" / "tweetwatch.log").read_text()  # the log still has it


def test_429_backs_off_says_so_and_recovers_then_sigint_exits_0(
    server_url: str, namespace: str, tmp_path: Path, api: FakeXApi
) -> None:
    api.connections = [[status(429)], [post(1, "trump is back", ["trump"]), hold()]]
    env = cli_env(tmp_path, TWEETWATCH_X_BACKOFF_SCALE="0.05")  # 60 s -> 3 s: status lines see the wait
    collect = Collect(tmp_path, ["--redis", server_url, "--namespace", namespace, "--x-api-url", api.url,
                                 "--no-archive", *TRACK], env)
    try:
        wait_for(collect, server_url, namespace, total=1)
        assert collect.stop(signal.SIGINT) == 0, collect.stderr
    finally:
        collect.kill()
    waiting = [line for line in collect.stderr.splitlines() if "reconnecting in" in line]
    assert waiting and all("429 too many connections" in line for line in waiting), collect.stderr
    first, second = (r.at for r in api.stream_requests())
    assert second - first >= 2.9, collect.stderr
    assert current_summary(server_url, namespace)["topics"]["trump"]["count"] == 1


def test_rules_command_lists_syncs_and_clears_only_its_own(tmp_path: Path, api: FakeXApi) -> None:
    foreign = api.add_rule("cats", "pets")
    env = cli_env(tmp_path)
    base = ("--x-api-url", api.url)

    synced = run_cli("rules", "sync", *base, *TRACK, env=env)
    assert synced.returncode == 0, synced.stderr
    rows = [line.split("\t") for line in synced.stdout.splitlines()]
    assert sorted((tag, value, owner) for _id, tag, value, owner in rows) == [
        ("biden", 'biden OR "joe biden"', "tweetwatch"),
        ("pets", "cats", "other"),
        ("trump", "trump OR realdonaldtrump", "tweetwatch"),
    ]
    assert "added 2" in synced.stderr

    resynced = run_cli("rules", "sync", *base, "--track", "trump:trump,realdonaldtrump",
                       "--rule-suffix", "lang:en", env=env)
    assert resynced.returncode == 0, resynced.stderr
    assert sorted(r.get("tag", "") + "=" + r["value"] for r in api.rules.values()) == [
        "pets=cats", "trump=(trump OR realdonaldtrump) lang:en"]

    listed = run_cli("rules", "list", *base, "--track", "trump:trump,realdonaldtrump",
                     "--rule-suffix", "lang:en", env=env)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 2

    cleared = run_cli("rules", "clear", *base, env=env)
    assert cleared.returncode == 0, cleared.stderr
    assert list(api.rules) == [foreign]
    assert cleared.stdout.splitlines() == [f"{foreign}\tpets\tcats\tother"]

    for result in (synced, resynced, listed, cleared):
        assert TOKEN not in result.stdout + result.stderr

    no_token = run_cli("rules", "list", *base, env={**env, "X_BEARER_TOKEN": ""})
    assert no_token.returncode == 2 and "bearer token" in no_token.stderr


def test_rules_of_other_apps_are_listed_without_their_escape_sequences(tmp_path: Path, api: FakeXApi) -> None:
    """Another app's rules come from the network: an OSC 52 in its value would write to the
    user's clipboard, a bidi override would reorder the line."""
    api.add_rule("cats \x1b]52;c;SGFja2Vk\x07 \u202eevil", "p\x1b[31mets")
    listed = run_cli("rules", "list", "--x-api-url", api.url, env=cli_env(tmp_path))
    assert listed.returncode == 0, listed.stderr
    [(_id, tag, value, owner)] = [line.split("\t") for line in listed.stdout.splitlines()]
    assert (tag, value, owner) == ("pets", "cats  evil", "other")


def test_rules_command_with_a_bad_token_is_one_line(tmp_path: Path, api: FakeXApi) -> None:
    result = run_cli("rules", "--x-api-url", api.url, env=cli_env(tmp_path, "AAAAnot-the-right-token-at-all-0000"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "401 Unauthorized" in result.stderr
    assert "not-the-right-token" not in result.stderr


@pytest.mark.parametrize("token, what", [
    ("AAAAAAAAAAAAAAAAAAAAAtw%2FSecretBearer12\nInjected: x", "a line break at character 41 of 52"),
    ("AAAAAAAAAAAAAAAAAAAAAtw%2FSecretBearer12\u2026", "a non-ASCII character (U+2026) at character 41 of 41"),
])
def test_a_token_no_header_can_carry_is_one_setup_line_before_any_request(
    tmp_path: Path, api: FakeXApi, token: str, what: str
) -> None:
    """It used to be retried forever (InvalidHeader, UnicodeEncodeError) with backoff up to 320 s."""
    unreachable_redis = ("--redis", "redis://127.0.0.1:9/0")  # checked before Redis too
    for args in (("collect", *unreachable_redis, "--no-archive", *TRACK), ("rules", "sync", *TRACK), ("rules",)):
        result = run_cli(*args, "--x-api-url", api.url, env=cli_env(tmp_path, token), timeout=30)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1, (args, result.stderr)
        assert what in result.stderr and "copy it again" in result.stderr, result.stderr
        assert "SecretBearer" not in result.stdout + result.stderr and "Injected" not in result.stderr
    assert api.requests == []


def test_unreachable_api_for_rules_is_one_line(tmp_path: Path) -> None:
    result = run_cli("rules", "--x-api-url", "http://127.0.0.1:9", env=cli_env(tmp_path))
    assert result.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in result.stderr and "Traceback" not in result.stderr
