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
from tweetwatch.store.redis_store import Store
from tweetwatch.tui.statusbar import collector_text

HOUR_S = 3600


def write_posts(path: Path, count: int, spacing_s: int) -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC).timestamp()
    lines = []
    for n in range(count):
        stamp = datetime.fromtimestamp(start + n * spacing_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        lines.append(json.dumps({"data": {"id": str(10**15 + n), "text": f"trump post {n}", "created_at": stamp}}))
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def stored_after(source: ReplaySource, stop_after: int) -> dict[str, str]:
    """What the collector would have stored (one checkpoint per file) had it stopped once
    `stop_after` lines were counted (at a chunk's end)."""
    stored: dict[str, str] = {}
    seen = 0
    for chunk in source.batches(threading.Event()):
        seen += len(chunk)
        field, position = source.checkpoint_field(), source.checkpoint()
        assert field is not None and position is not None
        stored[field] = position
        if seen >= stop_after:
            break
    return stored


@pytest.mark.parametrize("name", ["posts.jsonl", "posts.jsonl.gz"])
def test_each_file_resumes_after_its_lines_counted_in_any_order(tmp_path: Path, name: str) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / name
    write_posts(first, 300, 1)
    write_posts(second, 40_000, 1)  # several reads, gzip too
    stored = stored_after(ReplaySource([first, second]), 301)
    assert len(stored) == 2 and stored[next(iter(stored))] == "300"

    rest = ReplaySource([first, second])
    assert rest.state == ""
    rest.resume_from_many(stored)
    assert rest.state == f"resumed: {sum(map(int, stored.values())):,} lines counted before skipped"  # in status lines
    remaining = [line for chunk in rest.batches(threading.Event()) for line in chunk]
    assert remaining and int(stored[rest.checkpoint_field()]) + len(remaining) == 40_000
    assert remaining[-1].startswith(b'{"data": {"id": "1000000000039999"')
    assert rest.where() == f"{name}:40000"

    swapped = ReplaySource([second, first])  # another order, the same files: the same skips
    swapped.resume_from_many(stored)
    assert sum(len(chunk) for chunk in swapped.batches(threading.Event())) == len(remaining)

    moved = tmp_path / "moved.jsonl"
    first.rename(moved)
    alone = ReplaySource([moved])  # moved or renamed: still the same file
    alone.resume_from_many(stored)
    assert sum(len(chunk) for chunk in alone.batches(threading.Event())) == 0


def test_a_grown_file_goes_on_and_a_changed_one_is_read_again(tmp_path: Path) -> None:
    data = tmp_path / "growing.jsonl"
    write_posts(data, 2000, 1)  # over 64 KB: its fingerprint is its first 64 KB
    stored = stored_after(ReplaySource([data]), 2000)
    assert list(stored.values()) == ["2000"]
    with data.open("ab") as handle:  # lines appended (a live archive)
        handle.write(b'{"data": {"id": "7", "text": "trump later", "created_at": "2024-03-02T00:00:00.000Z"}}\n')
    grown = ReplaySource([data])
    grown.resume_from_many(stored)
    assert [line for chunk in grown.batches(threading.Event()) for line in chunk] == [
        b'{"data": {"id": "7", "text": "trump later", "created_at": "2024-03-02T00:00:00.000Z"}}\n']

    write_posts(data, 1999, 2)  # rewritten: other content
    changed = ReplaySource([data])
    changed.resume_from_many(stored)
    assert sum(len(chunk) for chunk in changed.batches(threading.Event())) == 1999
    assert ReplaySource([Path("-")]).checkpoint_fields() == []  # standard input cannot be read again


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
    assert "replay: skipping 3,000 lines already counted in this namespace, from 1 of the files" in again.stderr
    assert "replay · resumed: 3,000 lines counted before skipped · " in again.stderr  # its status line, the dashboard's too
    assert client.hget(Keys(namespace).totals, "total") == "3000"
    # what the dashboard's status bar shows of the stopped collector (it said only "stopped")
    shown = collector_text(Store(client, namespace).read_snapshot(300))[0].plain
    assert shown.startswith("collector stopped ")
    assert shown.endswith(" ago · resumed: 3,000 lines counted before skipped · tweets 0 · control 0 · rejected 0 "
                          "· duplicates 0")  # no rate: a stopped collector's last window is a fraction of one
    fresh = run_cli("collect", *common, "--no-resume", state_dir=tmp_path / "state")
    assert fresh.returncode == 0, fresh.stderr
    assert int(client.hget(Keys(namespace).totals, "total")) > 3000  # read again: what dedupe no longer remembers


def test_a_short_file_that_grew_goes_on_where_it_stopped(server_url: str, namespace: str, tmp_path: Path) -> None:
    """Retest: a file under 64 KB is fingerprinted whole, so lines appended to it changed its
    fingerprint and it was read again from the start: control lines counted twice, posts as
    duplicates. It is now matched by the hash of its first bytes, as many as it had then."""
    data = tmp_path / "small.jsonl"
    post = '{"data": {"id": "%d", "text": "trump %d", "created_at": "2024-03-01T00:00:0%d.000Z"}}\n'
    data.write_text(post % (71, 71, 1) + '{"limit": {"track": 5}}\n')
    common = ("--replay", str(data), "--redis", server_url, "--namespace", namespace, "--track", "trump:trump")
    client = redis.Redis.from_url(server_url, decode_responses=True)
    for n, (total, skipped) in enumerate(((1, None), (2, "2"), (3, "3")), start=1):
        if n > 1:
            with data.open("a") as handle:
                handle.write(post % (71 + n, 71 + n, n))
        result = run_cli("collect", *common, state_dir=tmp_path / "state")
        assert result.returncode == 0, result.stderr
        totals = client.hgetall(Keys(namespace).totals)
        assert (int(totals["total"]), int(totals["control"]), int(totals.get("duplicates", 0))) == (total, 1, 0)
        if skipped:
            assert f"replay: skipping {skipped} lines already counted" in result.stderr
    assert len(client.hkeys(Keys(namespace).checkpoints)) == 1  # one field, kept as the file grew


def test_a_paced_replays_checkpoint_never_covers_the_line_it_waits_for(tmp_path: Path) -> None:
    """QA: at --speed N the line being waited for was already in the checkpoint, so every
    stop of `tweetwatch replay FILE` (nearly always waiting) lost one post on resume."""
    data = tmp_path / "paced.jsonl"
    write_posts(data, 5, 60)
    source = ReplaySource([data], speed=2000.0)  # 60 s apart: 30 ms waits
    yielded = 0
    for line in source.lines(threading.Event()):
        if line is None:  # waiting for the next line's time: what a flush now would store
            assert source.checkpoint() == str(yielded)
        else:
            yielded += 1
    assert yielded == 5


@pytest.mark.parametrize("raw_only", [False, True])
def test_every_file_of_a_replay_gets_its_checkpoint(server_url: str, namespace: str, tmp_path: Path,
                                                    raw_only: bool) -> None:
    """Small files end up in one batch; the checkpoint stored with a batch is the source's
    position at its end, so a file that ended inside it had none and was read again."""
    files = [tmp_path / f"{name}.jsonl" for name in "abc"]
    for n, path in enumerate(files):
        write_posts(path, 10 + n, 1 + n)
    mode = ("--raw-only",) if raw_only else ()
    result = run_cli("collect", *mode, *(arg for path in files for arg in ("--replay", str(path))),
                     "--redis", server_url, "--namespace", namespace, state_dir=tmp_path / "state")
    assert result.returncode == 0, result.stderr
    stored = redis.Redis.from_url(server_url, decode_responses=True).hgetall(Keys(namespace).checkpoints)
    assert sorted(stored.values()) == ["10", "11", "12"] and len(stored) == 3


def test_a_replay_of_several_files_ends_with_no_bucket_past_the_retention(
    server_url: str, namespace: str, tmp_path: Path
) -> None:
    """Each file ends a batch, and a batch's expiry is looked up (with its dedupe check) while
    the batch before is still being written: the first file's minutes, written after the
    second file's look-up, stayed past the retention when the replay ended (QA: 122 minute
    buckets kept at a 1 h retention)."""
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_posts(first, 6600, 1)  # 110 min
    lines = first.read_bytes().splitlines(keepends=True)
    write_posts(second, 10800, 1)  # 180 min: the same first 110, then 70 more
    second.write_bytes(b"".join(second.read_bytes().splitlines(keepends=True)[len(lines):]))
    result = run_cli("collect", "--replay", str(first), "--replay", str(second), "--redis", server_url,
                     "--namespace", namespace, "--retention", "1h", "--track", "trump:trump",
                     state_dir=tmp_path / "state")
    assert result.returncode == 0, result.stderr
    client = redis.Redis.from_url(server_url, decode_responses=True)
    keys = Keys(namespace)
    assert client.hget(keys.totals, "total") == "10800"
    minutes = [int(m) for m in client.zrange(keys.minutes, 0, -1)]
    newest = (datetime(2024, 3, 1, tzinfo=UTC).timestamp() + 10799) // 60
    assert minutes and min(minutes) >= newest - 60, (len(minutes), newest - min(minutes))
    assert all(int(key.rsplit(":", 1)[1]) >= newest - 60 for key in client.scan_iter(f"{{{namespace}}}:tally:*"))
