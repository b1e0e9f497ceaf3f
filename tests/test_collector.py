"""The collector's own loop against a real server: when batches reach Redis, and that the
writer is always released, whatever the collector thread runs into."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import orjson
import pytest

from tweetwatch.pipeline.collector import OVERLAP_MIN_RECORDS, Collector
from tweetwatch.pipeline.text import Topic
from tweetwatch.sources.demo import DemoSource
from tweetwatch.store.redis_store import Store, open_client

TOPICS = (Topic("trump", ("trump",)),)
T0 = 1_600_000_000


def v2_line(n: int) -> bytes:
    created = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(T0 + n))
    return orjson.dumps({"data": {"id": str(10_000 + n), "text": f"trump rally {n}", "created_at": created,
                                  "author_id": f"u{n}", "lang": "en"}})


class QuietSource:
    """`posts` posts, the last one after a pause longer than a flush interval (so a flush
    comes due with it), then `quiet_s` of quiet, then the end. While quiet it says `None`
    every 0.1 s, as the X, Jetstream and paced replay sources do, or, with `says_nothing`,
    yields nothing at all, as the demo source does between posts at a low rate."""

    label = "test"

    def __init__(self, posts: int, quiet_s: float, says_nothing: bool = False) -> None:
        self.posts = posts
        self.quiet_s = quiet_s
        self.says_nothing = says_nothing

    def lines(self, stop: threading.Event) -> Iterator[bytes | None]:
        for n in range(self.posts - 1):
            yield v2_line(n)
        time.sleep(0.5)
        yield v2_line(self.posts - 1)
        deadline = time.monotonic() + self.quiet_s
        while time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.1)
            if not self.says_nothing:
                yield None


class SilentSource:
    """Connected, and says nothing until stopped (a filtered stream whose topics are quiet)."""

    label = "test"

    def lines(self, stop: threading.Event) -> Iterator[bytes | None]:
        while not stop.wait(0.1):
            yield None


def written_total(store: Store) -> int:
    return store.read_snapshot(3600).total


def wait_for_total(store: Store, want: int, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if written_total(store) >= want:
            return time.monotonic() - started
        time.sleep(0.02)
    return None


@pytest.mark.parametrize(
    ("posts", "says_nothing"),
    [(3, True), (3, False), (OVERLAP_MIN_RECORDS + 10, False)],
    ids=["live-rate-silent-source", "live-rate", "full-speed-batch"],
)
def test_a_batch_reaches_redis_while_the_source_is_quiet(server_url: str, namespace: str, posts: int,
                                                         says_nothing: bool) -> None:
    store = Store(open_client(server_url, "test"), namespace)
    collector = Collector(QuietSource(posts, quiet_s=5.0, says_nothing=says_nothing), store, TOPICS)
    collector.aggregator.set_sentiment(False)
    collector.start()
    try:
        # the flush that came due with the last post, and a write: not "once the source
        # has something new" (a full-speed batch's Redis check is in flight meanwhile)
        assert wait_for_total(store, posts, seconds=2.5) is not None, written_total(store)
    finally:
        collector.stop()
        assert collector.wait(10)
    assert written_total(store) == posts


def test_an_unexpected_error_still_releases_the_writer(server_url: str, namespace: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(open_client(server_url, "test"), namespace)
    collector = Collector(QuietSource(OVERLAP_MIN_RECORDS + 10, quiet_s=0.0), store, TOPICS)
    collector.aggregator.set_sentiment(False)

    def garbled(*args: object) -> None:
        raise ValueError("a reply nobody expected")

    monkeypatch.setattr(store, "prepare_joined", garbled)
    collector.start()
    assert collector.wait(10), "the writer must not wait forever"
    assert collector.error is not None and "ValueError" in str(collector.error)

    def leftover() -> set[str]:
        names = {t.name for t in threading.enumerate()}
        return {n for n in names if n == "tweetwatch-writer" or n.startswith("tweetwatch-dedupe")}

    deadline = time.monotonic() + 5  # the dedupe pool is shut down without waiting: it ends just after
    while leftover() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not leftover()


def test_demo_posts_in_a_lull_are_written_before_the_next_one(server_url: str, namespace: str) -> None:
    # seed 273 at a post a second: two posts in the tick 0.7 s in, the next one 4.4 s later.
    # Read line by line, the first post's flush would leave the second to wait for the third.
    source = DemoSource([("trump", ["trump"])], rate=1.0, seed=273)
    store = Store(open_client(server_url, "test"), namespace)
    collector = Collector(source, store, TOPICS, is_demo=True)
    collector.start()
    try:
        assert wait_for_total(store, 2, seconds=3.0) is not None  # not at the next post
    finally:
        collector.stop()
        assert collector.wait(10)


def test_a_quiet_source_s_topics_are_recorded_before_its_first_post(server_url: str, namespace: str) -> None:
    """A dashboard attached to a filtered stream that says nothing yet shows the topics and
    the source, not `source unknown` and no rows (QA)."""
    store = Store(open_client(server_url, "test"), namespace)
    collector = Collector(SilentSource(), store, TOPICS)
    collector.start()
    try:
        deadline = time.monotonic() + 5
        while store.read_meta() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        meta = store.read_meta()
        assert meta is not None and [t.name for t in meta.topics] == ["trump"] and meta.source == "test"
        assert written_total(store) == 0
    finally:
        collector.stop()
        assert collector.wait(10)


def test_a_collector_whose_claim_was_taken_over_writes_nothing_more(server_url: str, namespace: str) -> None:
    """Stalled past its lease (SIGSTOP, a paused VM) while a batch was in flight, a collector
    must not write it: its successor counts the same lines again from the checkpoint (QA:
    100,105 posts for 100,000)."""
    from tweetwatch.store.lease import CollectorLease, NamespaceBusy

    store = Store(open_client(server_url, "test"), namespace)
    lease = CollectorLease(store, "test")
    lease.acquire()
    store.client.set(lease.key, '{"host": "elsewhere", "pid": 1, "since": 0, "id": "successor"}')
    collector = Collector(QuietSource(50, quiet_s=0.0), store, TOPICS, lease=lease)
    collector._last_status = time.monotonic()  # no renewal (which would notice) before the write
    collector.start()
    assert collector.wait(10)
    assert isinstance(collector.error, NamespaceBusy), collector.error
    assert "took namespace" in str(collector.error)
    assert written_total(store) == 0
    assert store.client.get(lease.key).endswith('"successor"}')  # the successor keeps its claim
