"""Records -> a Delta with duplicates removed: the step shared by the collector and workers.

Duplicates are dropped twice over: a bounded in-process memory (repeats inside this process)
and the per-minute `seen` sets in Redis (repeats across processes, reconnects and runs). When
Redis is unreachable only the local memory is used; counting goes on.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

from tweetwatch.errors import StoreRefused, StoreUnavailable
from tweetwatch.pipeline.aggregate import Aggregator, Delta
from tweetwatch.pipeline.dedupe import RecentIds
from tweetwatch.pipeline.model import Record, Tweet
from tweetwatch.pipeline.text import Topic, TopicMatcher
from tweetwatch.store.redis_store import Store
from tweetwatch.store.scripts import join_members


@dataclass
class Batch:
    delta: Delta
    duplicates: int
    expired_minutes: set[int] = field(default_factory=set)
    """Minute buckets that fell out of retention (delete them with the write)."""
    check_skipped: bool = False
    """Not checked because Redis was known to be down when the batch started (`skip_redis`):
    no news about Redis, unlike a check that failed."""
    check_error: StoreUnavailable | None = None
    """Why the Redis check failed, when it was tried and failed (news of an outage)."""

    @property
    def checked_in_redis(self) -> bool:
        return not self.check_skipped and self.check_error is None


@dataclass
class PendingBatch:
    """A batch between `BatchAggregator.start` and `finish`."""

    records: list[Record]
    tweet_count: int
    fresh_by_minute: dict[int, set[str]]
    """Ids the local memory had not seen, per minute (Redis's answer is taken out in `finish`)."""
    seen: Future[tuple[set[str], set[int]]] | None
    """Redis's answer: ids it has counted already, and minutes past retention. None when
    there was nothing to ask, or Redis was known to be down (`check_skipped`)."""
    checkpoint: tuple[str, str] | None = None
    """The source's resume point after the batch's last line (see `Delta.checkpoints`)."""

    @property
    def check_skipped(self) -> bool:
        return self.seen is None and self.tweet_count > 0

    @property
    def answered(self) -> bool:
        return self.seen is None or self.seen.done()


class BatchAggregator:
    def __init__(
        self, store: Store, topics: tuple[Topic, ...], use_rule_tags: bool, local_memory: bool = True
    ) -> None:
        """`local_memory=False` for stream workers: a batch that fails to write is retried, and
        a local memory would then wrongly call its posts duplicates."""
        self.store = store
        self.aggregator = Aggregator(TopicMatcher(topics), use_rule_tags=use_rule_tags)
        # no point remembering ids longer than Redis keeps its `seen` sets
        window_ms = min(15 * 60, store.retention_s) * 1000
        self.recent = RecentIds(window_ms=window_ms) if local_memory else None
        self.skip_redis = threading.Event()
        """Set while Redis is known to be down, so batches don't stall on the dedupe check."""

    def aggregate(self, records: list[Record]) -> Batch:
        """Raises nothing: a failed Redis check degrades to local dedupe (see `checked_in_redis`)."""
        return self.finish(self.start(records))

    def start(
        self, records: list[Record], check: Executor | None = None, checkpoint: tuple[str, str] | None = None
    ) -> PendingBatch:
        """First half of `aggregate`: the local memory claims the batch's ids, and the Redis
        check of the rest is run — in `check`'s thread when given, so the caller can go on
        (normalizing the next lines) while Redis answers. `checkpoint` rides along into the
        batch's Delta."""
        tweets: list[Tweet] = [r for r in records if r.__class__ is Tweet]  # type: ignore[misc]
        ids_by_minute: dict[int, list[str]] = {}
        last_minute = -1
        ids: list[str] = []
        for tweet in tweets:
            minute = tweet.created_ms // 60000
            if minute != last_minute:
                found = ids_by_minute.get(minute)
                if found is None:
                    found = ids_by_minute[minute] = []
                ids = found
                last_minute = minute
            ids.append(tweet.id)
        if self.recent is not None:
            fresh_by_minute = self.recent.claim(ids_by_minute)
        else:
            fresh_by_minute = {minute: set(ids) for minute, ids in ids_by_minute.items()}
        seen: Future[tuple[set[str], set[int]]] | None = None
        if tweets and not self.skip_redis.is_set():
            clock_ms = max([t.created_ms for t in tweets])
            # joined here, not in `check`'s thread (see Store.prepare_joined)
            joined = {m: join_members(ids) for m, ids in fresh_by_minute.items() if ids}
            if check is not None:
                seen = check.submit(self._seen_in_redis, joined, clock_ms)
            else:
                seen = Future()
                try:
                    seen.set_result(self._seen_in_redis(joined, clock_ms))
                except Exception as exc:  # handed to `finish`, as from a thread
                    seen.set_exception(exc)
        return PendingBatch(records, len(tweets), fresh_by_minute, seen, checkpoint)

    def finish(self, pending: PendingBatch) -> Batch:
        """Second half of `aggregate`: waits for the Redis check, drops what it had seen and
        aggregates the rest. Raises StoreRefused (retrying cannot help); a Redis that is
        away degrades to the local memory's answer."""
        records, fresh_by_minute = pending.records, pending.fresh_by_minute
        expired: set[int] = set()
        check_error: StoreUnavailable | None = None
        if pending.seen is not None:
            try:
                seen, expired = pending.seen.result()
                if seen:
                    for fresh in fresh_by_minute.values():
                        fresh -= seen
            except StoreRefused:
                raise  # retrying cannot help: let the caller stop
            except StoreUnavailable as exc:
                check_error = exc
        fresh_ids: set[str] = set().union(*fresh_by_minute.values())
        tweet_count = kept_count = pending.tweet_count
        if len(fresh_ids) < tweet_count:
            kept: list[Record] = []
            for record in records:
                if record.__class__ is Tweet:
                    if record.id not in fresh_ids:  # type: ignore[union-attr]
                        continue
                    fresh_ids.discard(record.id)  # type: ignore[union-attr]  # first copy only
                kept.append(record)
            records = kept
            kept_count = sum(1 for r in kept if r.__class__ is Tweet)
        duplicates = tweet_count - kept_count
        delta = self.aggregator.build(records, duplicates=duplicates)
        if pending.checkpoint is not None:
            delta.checkpoints[pending.checkpoint[0]] = pending.checkpoint[1]
        return Batch(delta, duplicates, expired, pending.check_skipped, check_error)

    def _seen_in_redis(self, joined_by_minute: dict[int, str], clock_ms: int) -> tuple[set[str], set[int]]:
        plan = self.store.prepare_joined(joined_by_minute, clock_ms)
        return set(plan.seen), set(plan.expired_minutes)
