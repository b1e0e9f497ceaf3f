"""End to end through real processes: `collect` a replay, then `summary --json` gives exact counts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from support import FIXTURES, cli_process, run_cli

from tweetwatch.store.keys import Keys


def collect(server_url: str, namespace: str, *files: str, extra: tuple[str, ...] = ()) -> None:
    args = ["collect", "--redis", server_url, "--namespace", namespace, *extra]
    for name in files:
        args += ["--replay", str(FIXTURES / name)]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def summary(server_url: str, namespace: str, *extra: str) -> dict:
    result = run_cli("summary", "--json", "--redis", server_url, "--namespace", namespace, *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_v1_replay_exact_counts(server_url: str, namespace: str) -> None:
    collect(server_url, namespace, "v1_mixed.jsonl")
    data = summary(server_url, namespace)
    assert (data["total"], data["control"], data["rejected"], data["duplicates"]) == (5, 2, 3, 1)
    assert data["topics"]["trump"]["count"] == 3
    assert data["topics"]["biden"]["count"] == 2
    assert data["stream_clock"] == "2016-04-19T14:31:07Z"
    assert data["window"] == "1h"
    # keywords of trump tweets: 1 (rally tonight ohio), 3 (debate night economy x3 joebiden), 5 (ohio crowd crowd huge)
    assert data["topics"]["trump"]["keywords"][:3] == [["economy", 3], ["crowd", 2], ["ohio", 2]]
    assert ["joebiden", 1] in data["topics"]["trump"]["keywords"]
    assert all(w not in ("trump", "realdonaldtrump") for w, _ in data["topics"]["trump"]["keywords"])


def test_v2_replay_gzip_and_rule_tags(server_url: str, namespace: str) -> None:
    collect(server_url, namespace, "v2_mixed.jsonl.gz")
    data = summary(server_url, namespace)
    assert (data["total"], data["control"], data["rejected"], data["duplicates"]) == (5, 1, 1, 0)
    assert data["topics"]["biden"]["count"] == 2  # a matching_rules tag + a note_tweet text
    assert data["topics"]["trump"]["count"] == 2  # a retweet's original + a search-page tweet


@pytest.mark.parametrize("fixture", ["v1_mixed.jsonl", "v2_mixed.jsonl.gz"])
def test_replay_reads_standard_input_and_fifos(server_url: str, namespace: str, tmp_path: Path, fixture: str) -> None:
    """`zcat day.gz | tweetwatch collect --replay -` and `--replay <(...)`: a pipe cannot
    seek, and the gzip sniffing used to (`File or stream is not seekable`)."""
    data = (FIXTURES / fixture).read_bytes()
    where = ("--redis", server_url)
    piped = run_cli("collect", "--replay", "-", *where, "--namespace", namespace, stdin=data)
    assert piped.returncode == 0, piped.stderr
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(data))
    writer.start()
    fed = run_cli("collect", "--replay", str(fifo), *where, "--namespace", namespace + "-fifo")
    writer.join(10)
    assert fed.returncode == 0, fed.stderr
    collect(server_url, namespace + "-file", fixture)
    want = summary(server_url, namespace + "-file")
    for name in (namespace, namespace + "-fifo"):
        got = summary(server_url, name)
        assert (got["total"], got["control"], got["rejected"], got["topics"]) == (
            want["total"], want["control"], want["rejected"], want["topics"])
    watch = run_cli("replay", "-", *where, "--namespace", namespace, stdin=data)
    assert watch.returncode == 2
    assert watch.stderr.startswith("tweetwatch: --replay - reads standard input, which the dashboard needs")


def test_a_quiet_pipe_is_counted_as_it_comes_and_stops_on_sigterm(server_url: str, namespace: str,
                                                                   tmp_path: Path) -> None:
    """`tail -f x | tweetwatch collect --replay -`: lines are counted as they come, not when
    256 KB have arrived or the pipe ends, and SIGTERM stops it with what was read written."""
    client = redis.Redis.from_url(server_url)
    with cli_process("collect", "--replay", "-", "--redis", server_url, "--namespace", namespace,
                     state_dir=tmp_path, stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        proc.stdin.write((FIXTURES / "v1_mixed.jsonl").read_bytes())
        proc.stdin.flush()  # and the pipe stays open, quiet
        deadline = time.monotonic() + 20
        while int(client.hget(Keys(namespace).totals, "total") or 0) < 5:
            assert time.monotonic() < deadline, "lines in a quiet pipe were not counted"
            time.sleep(0.1)
        proc.terminate()
        assert proc.wait(15) == 0
    assert summary(server_url, namespace)["total"] == 5


def test_replaying_twice_counts_once(server_url: str, namespace: str) -> None:
    collect(server_url, namespace, "v2_mixed.jsonl")
    collect(server_url, namespace, "v2_mixed.jsonl.gz")
    data = summary(server_url, namespace)
    assert data["total"] == 5
    assert data["duplicates"] == 5
    assert data["control"] == 2 and data["rejected"] == 2


def test_summary_uses_the_collectors_topics(server_url: str, namespace: str) -> None:
    collect(server_url, namespace, "v1_mixed.jsonl", extra=("--track", "ohio:ohio"))
    data = summary(server_url, namespace)
    assert list(data["topics"]) == ["ohio"]
    assert data["topics"]["ohio"]["count"] == 3


def test_summary_and_export_of_an_empty_namespace_say_so(server_url: str, namespace: str, tmp_path: Path) -> None:
    """A mistyped --namespace must not look like an idle collector's."""
    note = f"tweetwatch: nothing recorded in namespace '{namespace}' yet (the demo's data is in 'tweetwatch-demo')\n"
    empty = run_cli("summary", "--redis", server_url, "--namespace", namespace)
    assert empty.returncode == 0 and "total 0" in empty.stdout
    assert empty.stderr == note
    exported = run_cli("export", "json", "-o", str(tmp_path / "x.json"), "--redis", server_url, "--namespace", namespace)
    assert exported.returncode == 0 and exported.stderr.startswith(note), exported.stderr
    collect(server_url, namespace, "v1_mixed.jsonl")
    assert run_cli("summary", "--redis", server_url, "--namespace", namespace).stderr == ""
    exported = run_cli("export", "json", "-o", str(tmp_path / "y.json"), "--redis", server_url, "--namespace", namespace)
    assert "nothing recorded" not in exported.stderr


def test_missing_replay_file_is_one_line_exit_2(server_url: str, namespace: str, tmp_path: Path) -> None:
    result = run_cli("collect", "--redis", server_url, "--replay", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "not found" in result.stderr and "Traceback" not in result.stderr


def test_a_replay_source_failure_is_said_once(server_url: str, namespace: str, tmp_path: Path) -> None:
    """A file that fails while it is read (here /proc/self/mem: EIO at offset 0): one line
    saying so, after the status line."""
    result = run_cli("collect", "--redis", server_url, "--namespace", namespace, "--replay", "/proc/self/mem",
                     state_dir=tmp_path / "state", timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("tweetwatch: replay · "), result.stderr
    assert lines[1].startswith("tweetwatch: cannot read replay file /proc/self/mem: ")


def test_unreachable_redis_summary_fails_with_one_line(tmp_path: Path) -> None:
    result = run_cli("summary", "--redis", "redis://:hunter2@127.0.0.1:1/0")
    assert result.returncode == 3
    assert "unreachable" in result.stderr and "hunter2" not in result.stderr
    assert result.stderr.strip().count("\n") == 0


CUT_URL = "redis://default:?Xq9SECRET@127.0.0.1:6379/0"


@pytest.mark.parametrize("args, env, refused", [
    (("summary", "--redis", "redis://default:/Xq9SECRET@127.0.0.1:6379/0"), {}, True),
    (("summary", "--redis", "redis://:#Xq9SECRET@127.0.0.1:6379/0"), {}, True),  # redis-py went to localhost:6379
    (("summary", "--redis", "redis://u:1234/Xq9SECRET@127.0.0.1:6379/0"), {}, False),  # `u:1234` may be a host
    (("collect", "--source", "demo"), {"TWEETWATCH_REDIS_URL": CUT_URL}, True),  # retried forever, logged each time
    (("collect", "--source", "demo", "--redis", CUT_URL), {}, True),  # no `ps` note either: the one line says it
    (("rules", "list", "--x-api-url", "http://u:12/Xq9SECRET@127.0.0.1:9/"), {"X_BEARER_TOKEN": "t" * 40}, False),
    (("summary", "--redis", "redis://127.0.0.1:1/0?p%61ssword=Xq9SECRET&bogus=1"), {}, False),  # retest: an encoded name
])
def test_a_password_that_ends_the_host_part_is_refused_and_never_shown(
        args: tuple[str, ...], env: dict[str, str], refused: bool, tmp_path: Path) -> None:
    """QA: an unencoded `/`, `?` or `#` in a password ends the host part for urlsplit, redis-py
    and requests alike: the URL was printed unmasked (the log too), and the client connected to
    the user name as a host, or to localhost. Refused before any connection, in one line
    that says what to do, when the host part surely ends inside the password (an empty or
    non-numeric port); never shown in any case."""
    result = run_cli(*args, env=env, state_dir=tmp_path, timeout=20)
    assert result.returncode != 0, result.stderr
    [line] = result.stderr.splitlines()
    assert "***@127.0.0.1:" in line or "p%61ssword=***" in line, line
    assert line.endswith("percent-encode them (%2F, %3F, %23)") == refused, line
    log_file = tmp_path / "tweetwatch.log"
    for text in (result.stdout, result.stderr, log_file.read_text() if log_file.exists() else ""):
        assert "Xq9SECRET" not in text


@pytest.mark.parametrize("url", [
    "redis://127.0.0.1:1/0?client_name=qa@x",  # retest: an `@` in the query
    "unix://:pw@/tmp/qa@dir/r.sock",  # an `@` in the socket's path
])
def test_an_at_sign_after_the_host_part_is_no_reason_to_refuse(url: str) -> None:
    result = run_cli("summary", "--redis", url, timeout=20)
    assert result.returncode == 3, result.stderr  # unreachable, not a usage error
    assert "pw" not in result.stderr and "percent-encode" not in result.stderr


HOSTILE_NAME = "ev\x1b]52;c;SGk=\x07\u009b2J\u202eil"
"""Shown as `evil`: OSC 52 (sets the clipboard, through tmux too), a C1 CSI, a bidi override."""
TERMINAL_CONTROLS = re.compile("[\x1b\x80-\x9f\u202a-\u202e\u2066-\u2069]")


def run_with_hostile_name(args: tuple[str, ...], tmp_path: Path, make: str | None) -> subprocess.CompletedProcess[str]:
    """`run_cli(ARGS)`, `{path}` in them standing for HOSTILE_NAME in `tmp_path` and `{name}` for
    the name alone. `make`: first make the first such path a `file`, a `directory`, or a
    `bad config` (a config file with an unknown key)."""
    filled = [arg.format(path=tmp_path / HOSTILE_NAME, name=HOSTILE_NAME) for arg in args]
    if make is not None:
        target = Path(next(done for arg, done in zip(args, filled) if "{path}" in arg))
        if make == "directory":
            target.mkdir()
        else:
            target.write_text("bogus = 1\n" if make == "bad config" else "")
    return run_cli(*filled, state_dir=tmp_path / "state", timeout=30)


def assert_one_clean_line(result: subprocess.CompletedProcess[str], exit_code: int) -> None:
    assert result.returncode == exit_code, result.stderr
    [line] = result.stderr.splitlines()
    assert not TERMINAL_CONTROLS.search(line), ascii(line)
    assert "evil" in line  # still names it
    assert "Traceback" not in line


@pytest.mark.parametrize("args, make, exit_code", [
    (("summary", "--config", "{path}.toml"), None, 2),  # not found
    (("summary", "--config", "{path}.toml"), "bad config", 2),
    (("rules", "list", "--bearer-token-file", "{path}.tok"), None, 2),
    (("export", "wordcloud", "-o", "{path}.png", "--font", "{path}.ttf"), None, 2),
    (("summary", "--redis", "unix://{path}.sock"), None, 3),
    (("summary", "--redis", "redis://127.0.0.1:1/0?x={name}"), None, 2),
])
def test_hostile_names_in_errors_reach_no_terminal(args: tuple[str, ...], make: str | None, exit_code: int,
                                                   tmp_path: Path) -> None:
    """QA: file names and URLs in error messages carried their escape sequences to the terminal."""
    assert_one_clean_line(run_with_hostile_name(args, tmp_path, make), exit_code)


@pytest.fixture(scope="module")
def recorded(server_url: str) -> tuple[str, str]:
    """A server and a namespace holding v1_mixed.jsonl's counts (topics trump and biden)."""
    namespace = f"t{uuid.uuid4().hex[:10]}"
    collect(server_url, namespace, "v1_mixed.jsonl")
    return server_url, namespace


@pytest.mark.parametrize("args, make, exit_code", [
    (("export", "csv", "-o", "{path}.file"), "file", 2),
    (("export", "json", "-o", "{path}.d"), "directory", 2),
    (("export", "wordcloud", "--topic", "trump", "-o", "{path}.jpg"), None, 2),
    (("export", "json", "-o", "{path}.json"), None, 0),  # `wrote …`
])
def test_hostile_names_in_export_messages_reach_no_terminal(args: tuple[str, ...], make: str | None, exit_code: int,
                                                            recorded: tuple[str, str], tmp_path: Path) -> None:
    server, namespace = recorded
    result = run_with_hostile_name((*args, "--redis", server, "--namespace", namespace), tmp_path, make)
    assert_one_clean_line(result, exit_code)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--track", "Bad Name:x"), "invalid topic name"),
        (("--track", "t:trump,!!!"), "keyword '!!!' of topic 't' can never match"),
        (("--replay", "-", "--replay", "-"), "--replay - can be given once: standard input is one stream"),
        (("--track", "t:https://t.co/x"), "can never match: it has no letters or digits outside a URL"),
        (("--speed", "fast"), "invalid speed"),
        (("--speed", "1e-300"), "invalid speed '1e-300': use a number from 0.01"),  # would never finish
        (("--window", "forever"), "invalid duration"),
        (("--namespace", "a b"), "invalid namespace"),
        (("--source", "replay"), "needs at least one --replay"),
    ],
)
def test_bad_options_are_one_line_errors(args: tuple[str, ...], message: str) -> None:
    result = run_cli("collect", "--redis", "redis://127.0.0.1:1", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["all", "start", "bucket_s"])
def test_topic_names_the_exports_use_themselves_are_refused(name: str, tmp_path: Path) -> None:
    """A topic named all, start or bucket_s overwrote series.csv's columns of those names and
    doubled counters.csv's `all` row (and the dashboard's): refused as a flag and in the file."""
    config = tmp_path / "config.toml"
    config.write_text(f'[topics]\n{name} = ["trump"]\n')
    for args, env in ((("--track", f"{name}:trump"), None), ((), {"TWEETWATCH_CONFIG": str(config)})):
        result = run_cli("collect", "--redis", "redis://127.0.0.1:1", "--replay", str(FIXTURES / "v2_mixed.jsonl"),
                         *args, env=env)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"tweetwatch: invalid topic name '{name}': all, start, bucket_s are reserved")
        assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (("summary", "--redis", "http://localhost:6379"), "invalid Redis URL http://localhost:6379: Redis URL must"),
        (("summary", "--redis", "redis://127.0.0.1:99999"), "invalid Redis URL <invalid URL>: Port out of range"),
        (("summary", "--redis", "redis://:pw@127.0.0.1:1/0?ssl_cert_reqs=bogus"),  # QA: "unexpected error: TypeError"
         "invalid Redis URL redis://:***@127.0.0.1:1/0?ssl_cert_reqs=bogus: unknown option 'ssl_cert_reqs'"),
        (("summary", "--redis", "rediss://127.0.0.1:1/0?ssl_cert_reqs=bogus"),  # QA: "unexpected error: RedisError"
         "invalid Redis URL rediss://127.0.0.1:1/0?ssl_cert_reqs=bogus: Invalid SSL Certificate Requirements Flag"),
        (("summary", "--redis", "redis://:pw@127.0.0.1:1/notadb"),  # was read as database 0
         "invalid Redis URL redis://:***@127.0.0.1:1/notadb: the path must be a database number"),
        (("reset", "--yes", "--redis", "redis://127.0.0.1:1/3/x"),
         "invalid Redis URL redis://127.0.0.1:1/3/x: the path must be a database number"),
        (("process", "--redis", "redis://127.0.0.1:1", "--claim-idle", "nan"), "invalid --claim-idle nan"),
        (("process", "--redis", "redis://127.0.0.1:1", "--claim-idle", "-1"), "invalid --claim-idle -1.0"),
        (("collect", "--raw-only", "--raw-maxlen=-3", "--replay", str(FIXTURES / "v2_mixed.jsonl"),
          "--redis", "redis://127.0.0.1:1"), "invalid --raw-maxlen -3"),
        (("collect", "--raw-only", "--group", "a b", "--replay", str(FIXTURES / "v2_mixed.jsonl"),
          "--redis", "redis://127.0.0.1:1"), "invalid group name 'a b'"),
    ],
)
def test_bad_values_are_usage_errors_before_any_connection(args: tuple[str, ...], message: str) -> None:
    """Exit 2 (fix the command), not 3 (Redis is away) or 1 (a Redis library error)."""
    result = run_cli(*args, timeout=30)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"tweetwatch: {message}")


@pytest.mark.parametrize(
    "args, message",
    [
        (("collect", "--bogus"), "tweetwatch: unrecognized arguments: --bogus (`tweetwatch --help` lists"),
        (("rules", "bogus"), "tweetwatch: argument ACTION: invalid choice: 'bogus'"),
        (("--retention", "-5m", "summary"),
         "tweetwatch: argument --retention: expected one argument; a value starting with - is given as "
         "--option=value"),
        (("summary", "--window"), "tweetwatch: argument --window: expected one argument (`tweetwatch summary --help`"),
        (("collect", "--raw-maxlen", "5"), "tweetwatch: --raw-maxlen is the raw stream's cap: it goes with --raw-only"),
        (("collect", "--group", "g"), "tweetwatch: --group is the workers' consumer group: it goes with --raw-only"),
    ],
)
def test_option_mistakes_are_one_line(args: tuple[str, ...], message: str) -> None:
    """argparse printed its 11-line usage block before the error (QA)."""
    result = run_cli(*args, timeout=30)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(message)


def test_reset(server_url: str, namespace: str) -> None:
    collect(server_url, namespace, "v1_mixed.jsonl")
    no = run_cli("reset", "--redis", server_url, "--namespace", namespace)
    assert no.returncode == 2 and "--yes" in no.stderr  # not a terminal: refuses without --yes
    result = run_cli("reset", "--yes", "--redis", server_url, "--namespace", namespace)
    assert result.returncode == 0, result.stderr
    assert summary(server_url, namespace)["total"] == 0


def test_embedded_server_by_default(state_dir: Path) -> None:
    fixture = str(FIXTURES / "v1_mixed.jsonl")
    result = run_cli("collect", "--replay", fixture, state_dir=state_dir)
    assert result.returncode == 0, result.stderr
    assert (state_dir / "valkey" / "data").is_dir()
    # the server stopped with its last client, and its data persisted
    assert not (state_dir / "valkey" / "valkey.sock").exists()
    out = run_cli("summary", "--json", state_dir=state_dir)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] == 5
    pid_file = state_dir / "valkey" / "valkey.pid"
    assert not pid_file.exists()


def test_version_and_help() -> None:
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("tweetwatch ")
    help_ = run_cli("--help")
    assert help_.returncode == 0
    for word in ("collect", "dashboard", "summary", "reset", "--redis", "--track", "--replay", "--speed"):
        assert word in help_.stdout


def test_collect_prints_status_lines(server_url: str, namespace: str) -> None:
    result = run_cli("collect", "--redis", server_url, "--namespace", namespace,
                     "--replay", str(FIXTURES / "v1_mixed.jsonl"))
    lines = [line for line in result.stderr.splitlines() if "tweets/s" in line]
    assert lines and "rejected 3" in lines[-1] and "tweets 5" in lines[-1]


def test_rejected_lines_are_logged_with_file_and_line(server_url: str, namespace: str) -> None:
    """Replay hands lines over in batches; the log still names each rejected line."""
    result = run_cli("collect", "--redis", server_url, "--namespace", namespace,
                     "--replay", str(FIXTURES / "v1_mixed.jsonl"))
    logged = re.findall(r"rejected (v1_mixed\.jsonl:\d+)", result.stderr)
    assert logged == ["v1_mixed.jsonl:10", "v1_mixed.jsonl:11", "v1_mixed.jsonl:12"]


def test_a_byte_order_mark_and_a_json_array_file(server_url: str, namespace: str, tmp_path: Path) -> None:
    """A BOM before the first line (editors on Windows write one) is no reason to reject it;
    a file that is one pretty-printed JSON array is rejected line by line, and says why."""
    lines = (FIXTURES / "v1_mixed.jsonl").read_bytes().splitlines(keepends=True)
    with_bom = tmp_path / "bom\x1b[31m.jsonl"
    with_bom.write_bytes(b"\xef\xbb\xbf" + b"".join(lines[:3]))
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(b"".join(lines[:3]))
    array = tmp_path / "array.json"
    array.write_text(json.dumps([json.loads(line) for line in lines[:3]], indent=2))
    counts = {}
    for name, path in (("bom", with_bom), ("plain", plain), ("array", array)):
        result = run_cli("collect", "--redis", server_url, "--namespace", f"{namespace}-{name}", "--replay", str(path))
        assert result.returncode == 0, result.stderr
        counts[name] = json.loads(run_cli("summary", "--json", "--redis", server_url,
                                          "--namespace", f"{namespace}-{name}").stdout)
        if name == "array":
            assert "array.json looks like one JSON array, not JSON lines" in result.stderr
        assert "\x1b" not in result.stderr
    assert (counts["bom"]["total"], counts["bom"]["rejected"]) == (counts["plain"]["total"], 0)
    assert counts["array"]["total"] == 0 and counts["array"]["rejected"] > 0
    missing = run_cli("collect", "--redis", server_url, "--replay", str(tmp_path / "gone\x1b]0;x\x07.jsonl"))
    assert missing.returncode == 2 and "\x1b" not in missing.stderr and "\x07" not in missing.stderr


def test_a_log_that_cannot_be_written_is_said_once(server_url: str, namespace: str, tmp_path: Path) -> None:
    """QA: with the state directory's disk full, every log record printed logging's 28-line
    traceback to stderr (a service's journal floods); counting went on. Now one line, once."""
    state = tmp_path / "state"
    state.mkdir()
    (state / "tweetwatch.log").symlink_to("/dev/full")  # every write: ENOSPC
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"not json\n{also not\n" + (FIXTURES / "v2_mixed.jsonl").read_bytes())
    result = run_cli("collect", "--replay", str(bad), "--redis", server_url, "--namespace", namespace,
                     state_dir=state)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Logging error" not in result.stderr
    assert result.stderr.count("cannot write the log") == 1
    assert "No space left on device" in result.stderr
    assert "rejected bad.jsonl:1: not JSON" in result.stderr  # the warnings still reach stderr
