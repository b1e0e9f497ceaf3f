"""Scale-out on Redis Streams with real processes: `collect --raw-only` + `process` workers give
exactly the counts of a direct `collect`, even when a worker is SIGKILLed mid-batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from support import FIXTURES, REPO, run_cli

from tweetwatch.errors import StoreUnavailable
from tweetwatch.pipeline.text import Topic
from tweetwatch.pipeline.workers import Processor
from tweetwatch.sources.demo import virtual_time_source, write_lines
from tweetwatch.store.keys import Keys
from tweetwatch.store.lease import CollectorLease
from tweetwatch.store.raw_stream import RawEntry, RawStream
from tweetwatch.store.redis_store import Store, open_client

TOPICS = [("trump", ["trump", "realdonaldtrump"]), ("biden", ["biden", "joebiden"])]


def demo_file(path: Path, lines: int) -> Path:
    write_lines(path, virtual_time_source(TOPICS, rate=500, seed=11, limit=lines))
    with open(path, "ab") as out:  # some junk and a repeat, so every counter is exercised
        out.write(b"{broken\n" + (FIXTURES / "v2_mixed.jsonl").read_bytes())
        out.write((FIXTURES / "v2_mixed.jsonl").read_bytes())
    return path


def summary(server_url: str, namespace: str) -> dict:
    out = run_cli("summary", "--json", "--window", "24h", "--redis", server_url, "--namespace", namespace)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    data.pop("namespace")
    for topic in data["topics"].values():
        topic.pop("unique_authors")  # HyperLogLog: merged in a different order, may differ by one
    return data


def worker(server_url: str, namespace: str, consumer: str, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env["TWEETWATCH_CONFIG"] = str(FIXTURES / "empty-config.toml")
    return subprocess.Popen(
        [sys.executable, "-m", "tweetwatch", "process", "--redis", server_url, "--namespace", namespace,
         "--consumer", consumer, "--claim-idle", "1", *extra],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def demo_lines(tmp_path: Path, limit: int) -> list[bytes]:
    posts = tmp_path / "demo.jsonl"
    write_lines(posts, virtual_time_source(TOPICS, rate=500, seed=11, limit=limit))
    return posts.read_bytes().splitlines()


def recorded_namespace(server_url: str, namespace: str, client_name: str) -> Store:
    """The namespace with the topics recorded, as a forwarder leaves it."""
    store = Store(open_client(server_url, client_name), namespace)
    store.write_meta(tuple(Topic(name, tuple(words)) for name, words in TOPICS), "replay", is_demo=False)
    return store


@contextmanager
def idle_exiting_worker(server_url: str, namespace: str) -> Iterator[tuple[Processor, threading.Thread]]:
    """A `--exit-when-idle` worker running in a thread; stopped at the end if still there."""
    worker_store = Store(open_client(server_url, "w1"), namespace)
    worker = Processor(worker_store, RawStream(worker_store), group="g", consumer="w1",
                       exit_when_idle=True, sentiment=False)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        yield worker, thread
    finally:
        stop.set()
        thread.join(timeout=10)


def test_workers_match_direct_collect_even_after_sigkill(server_url: str, namespace: str, tmp_path: Path,
                                                         client: redis.Redis) -> None:
    data = demo_file(tmp_path / "demo.jsonl", 25_000)
    direct = f"{namespace}-direct"
    result = run_cli("collect", "--replay", str(data), "--redis", server_url, "--namespace", direct)
    assert result.returncode == 0, result.stderr
    expected = summary(server_url, direct)
    assert expected["total"] >= 25_000 and expected["duplicates"] == 5 and expected["rejected"] >= 2

    result = run_cli("collect", "--raw-only", "--replay", str(data), "--redis", server_url, "--namespace", namespace)
    assert result.returncode == 0, result.stderr
    keys = Keys(namespace)
    assert client.xlen(keys.raw) > 25_000

    doomed = worker(server_url, namespace, "doomed")
    # wait until the doomed worker holds read-but-unacknowledged entries, then kill it hard
    deadline = time.monotonic() + 60
    killed_with_pending = False
    while time.monotonic() < deadline and doomed.poll() is None:
        try:
            consumers = client.xinfo_consumers(keys.raw, "tweetwatch")
        except redis.exceptions.ResponseError:
            consumers = []
        if any(c["name"] == "doomed" and c["pending"] > 0 for c in consumers):
            doomed.send_signal(signal.SIGKILL)
            killed_with_pending = True
            break
        time.sleep(0.005)
    doomed.wait(10)
    assert killed_with_pending, "the worker never held pending entries"
    left = client.xpending(keys.raw, "tweetwatch")["pending"]
    assert left > 0  # its batch was neither written nor acknowledged

    survivors = [worker(server_url, namespace, name, "--exit-when-idle") for name in ("a", "b")]
    claimed = 0
    for proc in survivors:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        last = [line for line in err.splitlines() if "claimed" in line][-1]
        claimed += int(last.split("claimed ")[1].split(" ")[0].replace(",", ""))
    assert claimed >= left  # the dead worker's pending entries were taken over
    assert client.xpending(keys.raw, "tweetwatch")["pending"] == 0
    got = summary(server_url, namespace)
    assert got == expected


def test_a_worker_told_to_exit_when_idle_waits_for_a_collector_first(server_url: str, namespace: str,
                                                                     tmp_path: Path) -> None:
    """Workers started before `collect --raw-only` exited after 2 s with nothing read (retest:
    three of them left 59,764 lines unprocessed): waiting for topics is not being idle."""
    with idle_exiting_worker(server_url, namespace) as (worker, thread):
        time.sleep(3)  # past three idle rounds
        assert thread.is_alive() and worker.stats.state.startswith("waiting for a collector")
        lines = demo_lines(tmp_path, 100)
        store = recorded_namespace(server_url, namespace, "test")
        RawStream(store).append(lines)
        thread.join(timeout=30)
        assert not thread.is_alive() and worker.stats.tweets == 100


def test_a_worker_told_to_exit_when_idle_waits_out_a_lull_of_a_running_forwarder(
        server_url: str, namespace: str, tmp_path: Path) -> None:
    """A 10 s lull in a `--speed 1` replay: the workers left after 1.5 s of it, and the rest of
    the file was never counted (QA: 20 of 40). The forwarder holds its lease through a lull;
    workers wait for it to let it go, then for the lines it sent just before."""
    lines = demo_lines(tmp_path, 40)
    store = Store(open_client(server_url, "forwarder"), namespace)
    lease = CollectorLease(store, "replay")
    lease.acquire()
    store.write_meta(tuple(Topic(name, tuple(words)) for name, words in TOPICS), "replay", is_demo=False)
    raw = RawStream(store)
    raw.append(lines[:20])
    try:
        with idle_exiting_worker(server_url, namespace) as (worker, thread):
            time.sleep(4)  # past three idle rounds
            assert thread.is_alive() and worker.stats.tweets == 20
            raw.append(lines[20:])
            lease.release()  # at once: the worker must still read what was sent before
            thread.join(timeout=30)
            assert not thread.is_alive() and worker.stats.tweets == 40
    finally:
        lease.release()


def test_two_workers_counting_the_same_post_at_once_count_it_once(server_url: str, namespace: str,
                                                                   tmp_path: Path) -> None:
    """A post on the stream twice (a resumed source's overlap, X re-sending after a reconnect)
    whose two copies two workers count at the same time: both checked the `seen` sets before
    either wrote, and both counted it (QA: 74,475 posts for 73,680 with two workers). The
    second write now finds it counted, and that worker counts its batch again without it."""
    lines = demo_lines(tmp_path, 200)
    first, second = lines[:100], lines[100:] + lines[40:60]  # 20 posts in both batches
    store = recorded_namespace(server_url, namespace, "test")
    raw = RawStream(store)
    raw.append(first)
    raw.append(second)

    def make_worker(consumer: str, size: int) -> Processor:
        worker_store = Store(open_client(server_url, consumer), namespace)
        return Processor(worker_store, RawStream(worker_store), group="g", consumer=consumer,
                         claim_idle_ms=60_000, batch_size=size, sentiment=False)

    early, late = make_worker("early", len(first)), make_worker("late", len(second))
    early_entries = early._next_entries()
    late_entries = late._next_entries()
    assert len(early_entries) == len(first) and len(late_entries) == len(second)
    assert early._batches is not None
    count = early._batches.aggregate

    def count_then_let_the_other_write(records: list) -> object:  # type: ignore[type-arg]
        batch = count(records)
        if late.stats.batches == 0:
            late._process(late_entries)  # writes the 20 shared posts first
        return batch

    early._batches.aggregate = count_then_let_the_other_write  # type: ignore[method-assign]
    early._process(early_entries)

    totals = store.client.hgetall(store.keys.totals)
    assert (int(totals["total"]), int(totals.get("duplicates", 0))) == (200, 20)
    assert early.stats.recounted_batches == 1 and early.stats.tweets == 80
    assert raw.pending_count("g") == 0


@pytest.mark.parametrize("names", [("stalled", "claimer"), ("twin", "twin")], ids=["two-names", "one-name"])
def test_a_worker_stalled_after_taking_its_batch_does_not_count_it_again(
        server_url: str, namespace: str, tmp_path: Path, names: tuple[str, str]) -> None:
    """A worker pauses right after XREADGROUP hands it a batch (a GC pause, SIGSTOP, a slow
    machine); another claims the batch and counts it. The stalled one must then drop it:
    control lines carry no id, so the dedupe by id could not save a second count. Two live
    workers given one --consumer name too: the claimer bumps the fence they share and writes
    with its new value (it bumped it and then could not write its own claim, for good)."""
    lines = demo_lines(tmp_path, 300) + [b'{"limit":{"track":%d}}' % n for n in range(50)]
    store = recorded_namespace(server_url, namespace, "test")
    raw = RawStream(store)
    raw.append(lines)

    def make_worker(consumer: str) -> Processor:
        worker_store = Store(open_client(server_url, consumer), namespace)
        return Processor(worker_store, RawStream(worker_store), group="g", consumer=consumer,
                         claim_idle_ms=50, batch_size=len(lines), sentiment=False)

    stalled, claimer = make_worker(names[0]), make_worker(names[1])
    take = stalled.raw.read

    def take_then_stall(*args: object, **kwargs: object) -> list[RawEntry]:
        entries = take(*args, **kwargs)  # type: ignore[arg-type]
        time.sleep(0.2)  # stalled past claim_idle_ms, while the claimer takes the batch over
        claimed = claimer._next_entries()
        assert len(claimed) == len(entries) == len(lines)
        claimer._process(claimed)
        return entries

    stalled.raw.read = take_then_stall  # type: ignore[method-assign]
    entries = stalled._next_entries()
    stalled._process(entries)

    assert (claimer.stats.batches, stalled.stats.batches, stalled.stats.lost_batches) == (1, 0, 1)
    totals = store.client.hgetall(store.keys.totals)
    assert int(totals["control"]) == 50
    assert int(totals.get("duplicates", 0)) == 0
    assert int(totals["total"]) == claimer.stats.tweets == 300
    assert raw.pending_count("g") == 0


def test_a_worker_restarted_under_its_name_counts_what_its_last_run_left_pending(
        server_url: str, namespace: str, tmp_path: Path) -> None:
    """`--consumer "$(hostname)"` (docs/deploy.md) under systemd: the worker is killed holding
    a batch and starts again under the same name. Its claim of the batch bumped its own fence,
    read just before, so its write was refused, every time: the batch was never counted and
    `--exit-when-idle` never exited (QA: 5,000 of 100,000 lost, a hang)."""
    lines = demo_lines(tmp_path, 300) + [b'{"limit":{"track":%d}}' % n for n in range(20)]
    store = recorded_namespace(server_url, namespace, "test")
    raw = RawStream(store)
    raw.append(lines)

    def make_worker() -> Processor:
        worker_store = Store(open_client(server_url, "host"), namespace)
        return Processor(worker_store, RawStream(worker_store), group="g", consumer="host", claim_idle_ms=100,
                         batch_size=100, exit_when_idle=True, sentiment=False)

    assert len(make_worker()._next_entries()) == 100  # and then it was killed: 100 entries pending
    restarted = make_worker()
    stop = threading.Event()
    thread = threading.Thread(target=restarted.run, args=(stop,))
    thread.start()
    thread.join(timeout=30)
    stop.set()
    thread.join(timeout=10)
    totals = store.client.hgetall(store.keys.totals)
    assert (int(totals["total"]), int(totals["control"]), restarted.stats.lost_batches) == (300, 20, 0)
    assert restarted.stats.claimed == 100 and raw.pending_count("g") == 0


@pytest.mark.parametrize("group", [None, "other"])
def test_lines_the_cap_drops_before_any_worker_came_are_reported(server_url: str, namespace: str, tmp_path: Path,
                                                                 client: redis.Redis, group: str | None) -> None:
    """The raw stream is capped (--raw-maxlen): lines no worker read in time are gone. The
    forwarder counts that loss from the consumer groups and says so; but started first (the
    order the docs show), there was no group yet, and 1,899 of 2,000 lines went without a
    word (QA). It now creates the workers' group (--group, default tweetwatch) with the
    stream, so the lines are unread for it until a worker comes."""
    if int(client.info("server")["redis_version"].split(".")[0]) < 7:
        pytest.skip("entries-read and lag came with Redis 7")
    data = tmp_path / "demo.jsonl"
    write_lines(data, virtual_time_source(TOPICS, rate=500, seed=11, limit=2_000))
    keys = Keys(namespace)
    choose_group = ("--group", group) if group else ()
    result = run_cli("collect", "--raw-only", "--raw-maxlen", "100", "--replay", str(data), "--redis", server_url,
                     "--namespace", namespace, *choose_group)
    assert result.returncode == 0, result.stderr
    group = group or "tweetwatch"
    assert [g["name"] for g in client.xinfo_groups(keys.raw)] == [group]  # only the workers' group
    kept = client.xlen(keys.raw)
    assert kept < 2_000
    trimmed = 2_000 - kept
    assert (f"the raw stream's cap (100 lines) dropped {trimmed:,} lines before the workers read them "
            f"(group {group})") in result.stderr
    assert result.stderr.splitlines()[-1].endswith(f"2,000 lines forwarded · {trimmed:,} trimmed unread · stopped")

    late = worker(server_url, namespace, "late", "--exit-when-idle", "--no-sentiment", *choose_group)
    _, err = late.communicate(timeout=120)
    assert late.returncode == 0, err
    assert summary(server_url, namespace)["total"] == kept  # what was left, and the report said what was not


def test_the_workers_group_comes_with_the_stream(server_url: str, namespace: str) -> None:
    """`append` with a group creates it at the stream's start whenever it is missing (a new
    stream, a server restarted empty, a reset), in the lines' own transaction; an existing
    group is left where it is, and other errors are not swallowed."""
    store = Store(open_client(server_url, "test"), namespace)
    raw = RawStream(store)
    raw.append([b"1", b"2"], group="g")
    raw.ensure_group("g")  # exists: nothing happens
    assert [(g["name"], g["last-delivered-id"]) for g in store.client.xinfo_groups(store.keys.raw)] == [("g", "0-0")]
    store.client.delete(store.keys.raw)
    raw.append([b"3"], group="g")
    (only,) = store.client.xinfo_groups(store.keys.raw)
    assert (only["name"], only["pending"], raw.length()) == ("g", 0, 1)
    store.client.delete(store.keys.raw)
    store.client.set(store.keys.raw, "not a stream")
    with pytest.raises(StoreUnavailable, match="WRONGTYPE"):
        raw.ensure_group("g")


def test_workers_keep_the_retention_the_forwarder_records(server_url: str, namespace: str) -> None:
    """Readers take the rolling sets that exist from the retention in meta, so workers must
    write with that retention (as with its topics), not their own default."""
    forwarder = Store(open_client(server_url, "test"), namespace, retention_s=1800)
    forwarder.write_meta(tuple(Topic(name, tuple(words)) for name, words in TOPICS), "replay", is_demo=False)
    worker_store = Store(open_client(server_url, "w1"), namespace)
    worker = Processor(worker_store, RawStream(worker_store), group="g", consumer="w1", claim_idle_ms=50)
    worker._load_meta()
    assert worker_store.retention_s == 1800
    assert worker_store.roll_spans == forwarder.read_meta().roll_spans == (2, 6, 16)


def test_running_workers_follow_a_forwarder_run_again_with_other_topics_and_retention(
        server_url: str, namespace: str, tmp_path: Path, client: redis.Redis) -> None:
    """Workers read meta once, at their first batch: after a forwarder run with --retention 5m,
    one with --retention 1h (and a topic more) left them deleting minutes older than 5 min,
    and rolling sets that readers trusted meta for, and never counting the new topic."""
    posts = tmp_path / "demo.jsonl"
    write_lines(posts, virtual_time_source(TOPICS, rate=1, seed=11, limit=1_200))  # ~20 min of stream
    lines = posts.read_bytes().splitlines()
    before, after = lines[:600], lines[600:]
    trump, both = (Topic("trump", ("trump", "realdonaldtrump")),), tuple(Topic(n, tuple(w)) for n, w in TOPICS)

    def forward(ns: str, retention_s: int, topics: tuple[Topic, ...], batch: list[bytes]) -> None:
        store = Store(open_client(server_url, "forwarder"), ns, retention_s=retention_s)
        store.write_meta(topics, "demo", is_demo=False)
        RawStream(store).append(batch)

    def drain(worker: Processor) -> None:
        while entries := worker._next_entries():
            worker._process(entries)

    def make_worker(ns: str) -> Processor:
        worker_store = Store(open_client(server_url, "w1"), ns)
        return Processor(worker_store, RawStream(worker_store), group="g", consumer="w1", batch_size=100,
                         sentiment=False)

    worker = make_worker(namespace)
    forward(namespace, 300, trump, before)
    drain(worker)
    forward(namespace, 3600, both, after)
    drain(worker)
    reference = make_worker(f"{namespace}-ref")
    forward(f"{namespace}-ref", 3600, both, after)
    drain(reference)

    assert worker.store.retention_s == 3600
    minutes = [int(m) for m in client.zrange(Keys(namespace).minutes, 0, -1)]
    assert max(minutes) - min(minutes) >= 10  # the 1 h run deleted nothing (5 min kept 6 minutes at most)
    biden = [int(client.hget(Keys(ns).totals, "topic:biden") or 0) for ns in (namespace, f"{namespace}-ref")]
    assert biden[0] == biden[1] > 0
