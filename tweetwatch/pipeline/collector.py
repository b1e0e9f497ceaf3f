"""The collector: source -> normalize -> dedupe -> aggregate -> one atomic write per batch.

Two threads. The *reader* pulls raw lines from the source and normalizes them (so a rejected
line can be reported with its file:line); the *writer* takes what has arrived every
`flush_interval` seconds, drops duplicates, builds a Delta and writes it in one transaction.
When Redis is away the writer keeps merging Deltas in memory (they are associative) and
writes the merged one when Redis is back: nothing collected is lost, memory stays bounded by
the number of distinct buckets, not the number of tweets.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tweetwatch.errors import StoreUnavailable, TweetwatchError
from tweetwatch.pipeline.aggregate import Aggregator, Delta
from tweetwatch.pipeline.dedupe import RecentIds
from tweetwatch.pipeline.model import Record, Reject, Tweet
from tweetwatch.pipeline.normalize import normalize_line
from tweetwatch.pipeline.text import Topic, TopicMatcher
from tweetwatch.sources.base import Source, where
from tweetwatch.store.redis_store import Store

log = logging.getLogger(__name__)

MAX_BUFFERED_RECORDS = 200_000
"""The reader waits when the writer is this far behind (backpressure instead of growth)."""
REJECTS_LOGGED = 5
STATUS_EVERY_S = 2.0


@dataclass
class CollectorStats:
    """Counters for this run (the all-time ones live in Redis)."""

    lines: int = 0
    tweets: int = 0
    control: int = 0
    rejected: int = 0
    duplicates: int = 0
    written_batches: int = 0
    pending_tweets: int = 0
    """Counted but not yet written (Redis away)."""
    state: str = "starting"
    last_error: str = ""
    rate_per_s: float = 0.0
    started: float = field(default_factory=time.monotonic)


class _RecordBuffer:
    """Hand-over between reader and writer, bounded (the reader blocks when it is full)."""

    def __init__(self, limit: int) -> None:
        self._items: list[Record] = []
        self._cond = threading.Condition()
        self._limit = limit
        self.closed = False

    def put(self, records: list[Record], stop: threading.Event) -> None:
        with self._cond:
            while len(self._items) >= self._limit and not stop.is_set():
                self._cond.wait(0.1)
            self._items.extend(records)

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def take(self) -> list[Record]:
        with self._cond:
            items, self._items = self._items, []
            self._cond.notify_all()
            return items


class Collector:
    def __init__(
        self,
        source: Source,
        store: Store,
        topics: tuple[Topic, ...],
        *,
        flush_interval: float = 0.25,
        on_status: Callable[[str], None] | None = None,
        retry_interval: float = 1.0,
    ) -> None:
        self.source = source
        self.store = store
        self.topics = topics
        self.flush_interval = flush_interval
        self.retry_interval = retry_interval
        self.on_status = on_status
        self.aggregator = Aggregator(
            TopicMatcher(topics), use_rule_tags=getattr(source, "topics_from_rules", False)
        )
        self.recent = RecentIds()
        self.stats = CollectorStats()
        self.error: TweetwatchError | None = None
        """Set when the source failed in a way the user must fix (bad file, bad token)."""
        self.stop_event = threading.Event()
        self.source_done = threading.Event()
        self.finished = threading.Event()
        """Set once the source ended (or stop was asked) and everything was written or given up."""
        self._buffer = _RecordBuffer(MAX_BUFFERED_RECORDS)
        self._pending = Delta()
        self._pending_records = 0
        self._threads: list[threading.Thread] = []
        self._last_status = 0.0
        self._window_tweets = 0
        self._window_start = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        # Each post allocates a few dozen short-lived dicts; with the default thresholds the
        # cyclic GC runs thousands of times a second and costs ~20% of ingest throughput.
        gc.set_threshold(50_000, 50, 100)
        self._threads = [
            threading.Thread(target=self._read_loop, name="tweetwatch-reader", daemon=True),
            threading.Thread(target=self._write_loop, name="tweetwatch-writer", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop reading; the writer still writes what was collected (see `wait`)."""
        self.stop_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    # -- reader thread ---------------------------------------------------------------------
    def _read_loop(self) -> None:
        stats = self.stats
        rejects_logged = 0
        chunk: list[Record] = []
        last_push = time.monotonic()
        try:
            stats.state = "reading"
            for line in self.source.lines(self.stop_event):
                stats.lines += 1
                records = normalize_line(line)
                if records:
                    if rejects_logged < REJECTS_LOGGED:
                        for record in records:
                            if isinstance(record, Reject) and rejects_logged < REJECTS_LOGGED:
                                rejects_logged += 1
                                log.warning("rejected %s: %s", where(self.source), record.reason)
                    chunk.extend(records)
                now = time.monotonic()
                if len(chunk) >= 2048 or now - last_push >= 0.05:
                    self._buffer.put(chunk, self.stop_event)
                    chunk = []
                    last_push = now
                if self.stop_event.is_set():
                    break
        except TweetwatchError as exc:
            self.error = exc
            log.error("source failed: %s", exc)
        except Exception as exc:  # a bug or an unexpected library error: keep what we have
            self.error = TweetwatchError(f"source failed: {type(exc).__name__}: {exc}")
            log.exception("source failed")
        finally:
            if chunk:
                self._buffer.put(chunk, threading.Event())
            self.source_done.set()
            self._buffer.close()

    # -- writer thread ---------------------------------------------------------------------
    def _write_loop(self) -> None:
        next_retry = 0.0
        give_up_at: float | None = None
        while True:
            draining = self.source_done.is_set()
            records = self._buffer.take()
            if records:
                self._absorb(records)
            now = time.monotonic()
            if not self._pending.empty and now >= next_retry:
                if self._flush():
                    next_retry = 0.0
                else:
                    next_retry = now + self.retry_interval
            self._maybe_report_status(now)
            if draining and not self._buffer_has_items():
                if self._pending.empty:
                    break
                if self.stop_event.is_set():
                    # asked to stop with Redis away: give it a short grace period, then give up
                    give_up_at = give_up_at or now + 10.0
                    if now >= give_up_at:
                        log.error(
                            "stopping with %d tweets not written: Redis stayed unreachable",
                            self.stats.pending_tweets,
                        )
                        break
            time.sleep(self.flush_interval if not draining else min(self.flush_interval, 0.05))
        self.stats.state = "stopped"
        self._maybe_report_status(time.monotonic(), force=True)
        self.finished.set()

    def _buffer_has_items(self) -> bool:
        with self._buffer._cond:
            return bool(self._buffer._items)

    def _absorb(self, records: list[Record]) -> None:
        """Dedupe and aggregate freshly arrived records into the pending Delta."""
        stats = self.stats
        tweets = [r for r in records if isinstance(r, Tweet)]
        fresh_ids = self.recent.claim([(t.id, t.created_ms) for t in tweets])
        duplicates = len(tweets) - len(fresh_ids)
        if tweets:
            by_minute: dict[int, list[str]] = {}
            for tweet in tweets:
                if tweet.id in fresh_ids:
                    by_minute.setdefault(tweet.created_ms // 60000, []).append(tweet.id)
            clock_ms = max(t.created_ms for t in tweets)
            try:
                plan = self.store.prepare(by_minute, clock_ms)
            except StoreUnavailable as exc:
                self._note_unavailable(exc)
            else:
                if plan.seen:
                    fresh_ids -= plan.seen
                    duplicates = len(tweets) - len(fresh_ids)
                self._expired = plan.expired_minutes
        kept: list[Record] = [r for r in records if not isinstance(r, Tweet) or r.id in fresh_ids]
        if len(fresh_ids) < len(tweets):
            # a tweet id repeated inside this batch: keep only its first occurrence
            seen_here: set[str] = set()
            unique: list[Record] = []
            for record in kept:
                if isinstance(record, Tweet):
                    if record.id in seen_here:
                        continue
                    seen_here.add(record.id)
                unique.append(record)
            kept = unique
        delta = self.aggregator.build(kept, duplicates=duplicates)
        self._pending.merge(delta)
        counters = delta.counters
        stats.tweets += counters["total"]
        stats.control += counters["control"]
        stats.rejected += counters["rejected"]
        stats.duplicates += duplicates
        stats.pending_tweets += counters["total"]
        self._window_tweets += counters["total"]

    _expired: tuple[int, ...] = ()

    def _flush(self) -> bool:
        try:
            self.store.write(self._pending, self.topics, self._expired)
        except StoreUnavailable as exc:
            self._note_unavailable(exc)
            return False
        self._pending = Delta()
        self._expired = ()
        self.stats.pending_tweets = 0
        self.stats.written_batches += 1
        if self.stats.state != "reading" and not self.source_done.is_set():
            log.info("Redis reachable again; pending aggregates written")
        self.stats.state = "reading" if not self.source_done.is_set() else "draining"
        self.stats.last_error = ""
        return True

    def _note_unavailable(self, exc: StoreUnavailable) -> None:
        if self.stats.state != "redis unreachable":
            log.warning("%s; holding aggregates in memory and retrying", exc)
        self.stats.state = "redis unreachable"
        self.stats.last_error = str(exc)

    def _maybe_report_status(self, now: float, force: bool = False) -> None:
        if not force and now - self._last_status < STATUS_EVERY_S:
            return
        elapsed = max(now - self._window_start, 1e-6)
        self.stats.rate_per_s = self._window_tweets / elapsed
        self._window_tweets = 0
        self._window_start = now
        self._last_status = now
        line = self.status_line()
        if self.on_status is not None:
            self.on_status(line)
        if self.stats.state != "redis unreachable":
            try:
                self.store.publish_status(line)
            except StoreUnavailable:
                pass

    def status_line(self) -> str:
        s = self.stats
        parts = [
            f"{getattr(self.source, 'label', 'source')}",
            f"{s.rate_per_s:,.0f} tweets/s",
            f"tweets {s.tweets:,}",
            f"control {s.control:,}",
            f"rejected {s.rejected:,}",
            f"duplicates {s.duplicates:,}",
            s.state,
        ]
        if s.pending_tweets and s.state == "redis unreachable":
            parts.append(f"{s.pending_tweets:,} held in memory")
        return " · ".join(parts)
