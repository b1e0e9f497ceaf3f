"""The bounded local memory of counted ids, and a batch's dedupe in two halves (the Redis
`seen` sets are tested end to end with the CLI)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tweetwatch.errors import StoreRefused
from tweetwatch.pipeline.batch import BatchAggregator
from tweetwatch.pipeline.dedupe import RecentIds
from tweetwatch.pipeline.model import Tweet
from tweetwatch.pipeline.text import Topic
from tweetwatch.store.redis_store import Store, open_client


def test_claim_returns_each_new_id_once_per_minute() -> None:
    recent = RecentIds()
    assert recent.claim({10: ["a", "b", "a"], 11: ["c"]}) == {10: {"a", "b"}, 11: {"c"}}
    assert recent.claim({10: ["a", "d"], 11: ["c", "e"]}) == {10: {"d"}, 11: {"e"}}


def test_memory_is_bounded_by_window_and_size() -> None:
    recent = RecentIds(window_ms=5 * 60_000, max_ids=1000)
    for minute in range(100):
        recent.claim({minute: [f"{minute}:{i}" for i in range(50)]})
    assert recent.claim({99: ["99:0"]}) == {99: set()}  # still remembered
    assert recent.claim({10: ["10:0"]}) == {10: {"10:0"}}  # long forgotten: outside the window
    kept = sum(len(ids) for ids in recent._by_minute.values())
    assert kept <= 1000 and kept == recent._count


# ---- the two halves of a batch (the collector overlaps the Redis check with parsing) ------

TOPICS = (Topic("trump", ("trump",)),)
T0 = 1_600_000_000_000


def post(n: int) -> Tweet:
    return Tweet(str(n), T0 + n * 1000, f"trump rally number {n}", "en", f"u{n}", (), (), False, False)


def test_redis_check_in_a_thread_finds_what_another_process_counted(server_url: str, namespace: str) -> None:
    first = Store(open_client(server_url, "test"), namespace)
    writer = BatchAggregator(first, TOPICS, use_rule_tags=False)
    first.write(writer.aggregate([post(n) for n in range(10)]).delta, TOPICS)
    # another process (no local memory of those posts) sees 5..14: 5..9 are Redis's duplicates
    other = BatchAggregator(Store(open_client(server_url, "test"), namespace), TOPICS, use_rule_tags=False)
    with ThreadPoolExecutor(max_workers=1) as checks:
        pending = other.start([post(n) for n in range(5, 15)], checks)
        batch = other.finish(pending)
    assert pending.answered and batch.checked_in_redis
    assert batch.duplicates == 5
    assert batch.delta.counters["total"] == 5 and batch.delta.counters["topic:trump"] == 5


def test_redis_away_during_the_check_falls_back_to_the_local_memory(namespace: str) -> None:
    store = Store(open_client("redis://127.0.0.1:1/0", "test"), namespace)  # nothing listens there
    batches = BatchAggregator(store, TOPICS, use_rule_tags=False)
    with ThreadPoolExecutor(max_workers=1) as checks:
        batch = batches.finish(batches.start([post(1), post(2), post(1)], checks))
    assert not batch.checked_in_redis
    assert batch.delta.counters["total"] == 2 and batch.duplicates == 1


def test_a_refused_check_is_raised_by_finish(server_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    batches = BatchAggregator(Store(open_client(server_url, "test"), namespace), TOPICS, use_rule_tags=False)

    def refuse(*args: object) -> None:
        raise StoreRefused("NOPERM this user has no permissions")

    monkeypatch.setattr(batches.store, "prepare_joined", refuse)
    with ThreadPoolExecutor(max_workers=1) as checks:
        pending = batches.start([post(1)], checks)
        with pytest.raises(StoreRefused):  # a StoreUnavailable too, but not one to wait out
            batches.finish(pending)


def test_a_check_skipped_while_redis_is_known_down_is_told_apart(server_url: str, namespace: str) -> None:
    batches = BatchAggregator(Store(open_client(server_url, "test"), namespace), TOPICS, use_rule_tags=False)
    batches.skip_redis.set()  # the collector's writer found Redis away
    with ThreadPoolExecutor(max_workers=1) as checks:
        pending = batches.start([post(1), post(1)], checks)
        batches.skip_redis.clear()  # ... and back before the batch is finished
        batch = batches.finish(pending)
    assert pending.seen is None  # nothing was asked
    assert not batch.checked_in_redis and batch.check_skipped  # not news of an outage
    assert batch.delta.counters["total"] == 1 and batch.duplicates == 1
