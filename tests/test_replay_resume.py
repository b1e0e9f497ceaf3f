"""A replay stopped part way (a crash, Ctrl-C) and run again resumes where its counts end.

Dedupe by post id looks back over the retention only (in stream time), so before this a
multi-day archive read again after a crash counted its older posts twice (QA: 1,516 posts for
963 with a 1 h retention over 26.5 h of posts)."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from support import run_cli

from tweetwatch.sources.replay import ReplaySource
from tweetwatch.store.keys import Keys

HOUR_S = 3600


def write_posts(path: Path, count: int, spacing_s: int) -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC).timestamp()
    lines = []
    for n in range(count):
        stamp = datetime.fromtimestamp(start + n * spacing_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        lines.append(json.dumps({"data": {"id": str(10**15 + n), "text": f"trump post {n}", "created_at": stamp}}))
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


@pytest.mark.parametrize("name", ["posts.jsonl", "posts.jsonl.gz"])
def test_a_checkpoint_resumes_after_the_lines_counted(tmp_path: Path, name: str) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / name
    write_posts(first, 300, 1)
    write_posts(second, 40_000, 1)  # several reads, gzip too
    stop = threading.Event()
    source = ReplaySource([first, second])
    seen = 0
    for chunk in source.batches(stop):
        seen += len(chunk)
        if seen > 300:
            break
    position = source.checkpoint()
    assert position is not None and json.loads(position)["file"] == 1
    rest = ReplaySource([first, second])
    rest.resume_from(position)
    remaining = [line for chunk in rest.batches(stop) for line in chunk]
    assert remaining and seen + len(remaining) == 40_300
    assert remaining[-1].startswith(b'{"data": {"id": "1000000000039999"')
    assert rest.where() == f"{name}:40000"

    write_posts(first, 301, 1)  # the first file changed since: everything is read again
    again = ReplaySource([first, second])
    again.resume_from(position)
    assert sum(len(chunk) for chunk in again.batches(stop)) == 40_301
    again.resume_from("not a replay position")  # another source's: ignored
    stdin = ReplaySource([Path("-")])
    assert stdin.checkpoint() is None  # standard input cannot be read again


def test_a_replay_run_again_counts_nothing_twice_past_the_retention(
    server_url: str, namespace: str, tmp_path: Path
) -> None:
    data = tmp_path / "archive.jsonl"
    write_posts(data, 3000, 10)  # 8 h 20 min of posts, a 1 h retention
    common = ("--replay", str(data), "--redis", server_url, "--namespace", namespace, "--retention", "1h",
              "--track", "trump:trump")
    first = run_cli("collect", *common, state_dir=tmp_path / "state")
    assert first.returncode == 0, first.stderr
    client = redis.Redis.from_url(server_url, decode_responses=True)
    assert client.hget(Keys(namespace).totals, "total") == "3000"
    again = run_cli("collect", *common, state_dir=tmp_path / "state")
    assert again.returncode == 0, again.stderr
    assert "resuming after line 3000 of archive.jsonl" in again.stderr
    assert client.hget(Keys(namespace).totals, "total") == "3000"
    fresh = run_cli("collect", *common, "--no-resume", state_dir=tmp_path / "state")
    assert fresh.returncode == 0, fresh.stderr
    assert int(client.hget(Keys(namespace).totals, "total")) > 3000  # read again: what dedupe no longer remembers


def test_a_paced_replays_checkpoint_never_covers_the_line_it_waits_for(tmp_path: Path) -> None:
    """QA: at --speed N the line being waited for was already in the checkpoint, so every
    stop of `tweetwatch replay FILE` (nearly always waiting) lost one post on resume."""
    data = tmp_path / "paced.jsonl"
    write_posts(data, 5, 60)
    source = ReplaySource([data], speed=2000.0)  # 60 s apart: 30 ms waits
    yielded = 0
    for line in source.lines(threading.Event()):
        if line is None:  # waiting for the next line's time: what a flush now would store
            position = source.checkpoint()
            assert position is not None and json.loads(position)["line"] == yielded
        else:
            yielded += 1
    assert yielded == 5
