"""The collector: source -> normalize -> dedupe -> aggregate -> one atomic write per batch.

Two threads with a narrow hand-off:

* the **collector thread** reads the source, normalizes each line, drops duplicates and
  folds the records into a pending Delta; every `flush_interval` seconds (or MAX_BATCH
  records at full speed) it merges the pending Delta into the *outbox*;
* the **writer thread** takes the whole outbox and writes it in one MULTI/EXEC.

A third, small thread asks Redis which of a batch's ids it has counted already (the
cross-process dedupe check) while the collector thread goes on normalizing the next lines;
the batch is aggregated when the answer is in.

The split lets Redis work on one batch (on its own core) while the next one is parsed; all
CPU-bound work stays on one thread, so the threads hardly fight over the GIL. When Redis is away
the writer puts what it could not write back into the outbox, where new batches keep merging
into it (Deltas are associative): memory grows with the number of distinct buckets and
words, not with the number of tweets, and nothing collected is lost.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tweetwatch.errors import RAISED, StoreRefused, StoreUnavailable, TweetwatchError
from tweetwatch.pipeline.aggregate import Aggregator, Delta
from tweetwatch.pipeline.batch import BatchAggregator, PendingBatch
from tweetwatch.pipeline.checkpoint import checkpoint_of, resume_source
from tweetwatch.pipeline.model import Record
from tweetwatch.pipeline.normalize import normalize_lines
from tweetwatch.pipeline.text import Topic
from tweetwatch.sources.base import Source, label_of, line_batches, where
from tweetwatch.store.lease import CollectorLease, NamespaceBusy
from tweetwatch.store.redis_store import BatchLost, Store

log = logging.getLogger(__name__)

MAX_BATCH = 20_000
"""Records aggregated at once at most (a full-speed replay reaches it before the timer)."""
OVERLAP_MIN_RECORDS = 5_000
"""A batch this large (25,000 posts/s or more) keeps its Redis dedupe check in flight while
the next lines are read; a smaller one is finished at once (~1 ms), so a live stream's
latency never waits for the source's next line."""
DRAIN_GRACE_S = 10.0
"""After a stop request, how long to keep retrying an unreachable Redis before giving up."""
REJECTS_LOGGED = 5
STATUS_EVERY_S = 2.0


@dataclass(frozen=True)
class _Unsent:
    """A Delta whose write failed, with what goes with it (see `Collector._unsent`)."""

    delta: Delta
    expired: list[int]
    token: str

    @property
    def tweets(self) -> int:
        return self.delta.counters["total"]


@dataclass
class CollectorStats:
    """Counters for this run (the all-time ones live in Redis)."""

    lines: int = 0
    tweets: int = 0
    control: int = 0
    rejected: int = 0
    duplicates: int = 0
    written_batches: int = 0
    unwritten_tweets: int = 0
    """Counted but not yet in Redis (in flight, or held while Redis is away)."""
    state: str = "starting"
    last_error: str = ""
    rate_per_s: float = 0.0
    started: float = field(default_factory=time.monotonic)


class Collector:
    def __init__(
        self,
        source: Source,
        store: Store,
        topics: tuple[Topic, ...],
        *,
        flush_interval: float = 0.2,  # the 300 ms p99 latency target needs the margin (bench/latency.py)
        on_status: Callable[[str], None] | None = None,
        retry_interval: float = 1.0,
        is_demo: bool = False,
        resume: bool = True,
        lease: CollectorLease | None = None,
    ) -> None:
        """`resume`: a source that can (Jetstream) starts where the last run's counts end
        (see pipeline/checkpoint.py); False starts it from now. `lease`: the namespace's
        lease for this source (store/lease.py), acquired by the caller and renewed here."""
        self.source = source
        self.lease = lease
        self.is_demo = is_demo
        self.resume = resume
        self._meta_written = False
        self.store = store
        self.topics = topics
        self.flush_interval = flush_interval
        self.retry_interval = retry_interval
        self.on_status = on_status
        self.batches = BatchAggregator(store, topics, getattr(source, "topics_from_rules", False))
        self.stats = CollectorStats()
        self.error: TweetwatchError | None = None
        """Set when the source failed in a way the user must fix (bad file, bad token)."""
        self.stop_event = threading.Event()
        self.source_done = threading.Event()
        self.finished = threading.Event()
        """Set once the source ended (or stop was asked) and everything was written or given up."""
        self._pending = Delta()
        self._outbox = Delta()
        self._outbox_tweets = 0
        self._unsent: _Unsent | None = None
        """A write that failed: sent again as it is, with its token, before anything else (its
        reply may have been lost after the server ran it; see `Store.write`). Only the writer
        thread touches it."""
        self._expired: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._redis_down = False
        self._threads: list[threading.Thread] = []
        self._last_status = 0.0
        self._status_failed = False
        self._window_tweets = 0
        self._window_start = time.monotonic()

    @property
    def aggregator(self) -> Aggregator:
        return self.batches.aggregator

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        # Each post allocates a few dozen short-lived dicts; with the default thresholds the
        # cyclic GC runs thousands of times a second and costs ~20% of ingest throughput.
        # A batch keeps ~3 objects per post alive until it is aggregated (MAX_BATCH posts):
        # a threshold above that lets them die before a collection has to walk them.
        gc.set_threshold(200_000, 50, 100)
        self._threads = [
            threading.Thread(target=self._collect, name="tweetwatch-collector", daemon=True),
            threading.Thread(target=self._write_loop, name="tweetwatch-writer", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop reading; what was collected is still written (see `wait`)."""
        self.stop_event.set()
        self._wake.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    # -- collector thread ------------------------------------------------------------------
    def _collect(self) -> None:
        stats = self.stats
        stats.state = "reading"
        records: list[Record] = []
        pending: PendingBatch | None = None
        """A full-speed batch whose Redis dedupe check is in flight (one at a time): its
        round trip overlaps the normalizing of the next lines (it was ~11% of this thread's
        time). Smaller batches are finished at once (see OVERLAP_MIN_RECORDS)."""
        checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tweetwatch-dedupe")
        rejects_logged = 0
        next_flush = time.monotonic() + self.flush_interval
        try:
            if self.resume:
                resume_source(self.source, self.store)
            for batch in line_batches(self.source, self.stop_event):
                stats.lines += len(batch)
                rejected = normalize_lines(batch, records)
                for index, reject in rejected[: REJECTS_LOGGED - rejects_logged]:
                    rejects_logged += 1
                    place = where(self.source, back=len(batch) - 1 - index)
                    log.warning("rejected %s: %s", place, reject.reason)
                if pending is not None and (pending.answered or not batch):  # answered, or the source idles
                    answered, pending = pending, None
                    self._absorb(answered)
                    self._hand_over()
                now = time.monotonic()
                # a pause of the source (a replay between two files, a quiet stream) is a batch's end:
                # its checkpoint then covers exactly the lines read so far
                if now >= next_flush or len(records) >= MAX_BATCH or (records and not batch):
                    if records:
                        if pending is not None:
                            waited, pending = pending, None
                            self._absorb(waited)
                        checkpoint = checkpoint_of(self.source)  # covers every line in `records`
                        if len(records) >= OVERLAP_MIN_RECORDS:
                            pending = self.batches.start(records, checks, checkpoint)
                        else:
                            self._absorb(self.batches.start(records, checkpoint=checkpoint))
                        records = []
                    self._hand_over()
                    self._maybe_report_status(now)
                    next_flush = now + self.flush_interval
                if self.stop_event.is_set():
                    break
        except TweetwatchError as exc:
            self.error = exc
            log.error("source failed: %s", exc, extra=RAISED)
        except Exception as exc:  # a bug or an unexpected library error: keep what we have
            self.error = TweetwatchError(f"source failed: {type(exc).__name__}: {exc}")
            log.exception("source failed", extra=RAISED)
        finally:
            try:
                if pending is not None:
                    self._absorb(pending)
                if records:
                    self._absorb(self.batches.start(records, checkpoint=checkpoint_of(self.source)))
                self._hand_over()
            except TweetwatchError as exc:
                self.error = self.error or exc
            except Exception as exc:  # a bug: still let the writer finish what it holds
                self.error = self.error or TweetwatchError(f"collector failed: {type(exc).__name__}: {exc}")
                log.exception("collector failed")
            finally:
                checks.shutdown(wait=False)
                self.source_done.set()
                self._wake.set()

    def _absorb(self, pending: PendingBatch) -> None:
        """Finish a batch (drop duplicates, aggregate) into the pending Delta."""
        batch = self.batches.finish(pending)
        if batch.check_error is not None and not self._redis_down:
            self._note_unavailable(batch.check_error)
        if batch.expired_minutes:
            with self._lock:
                self._expired.update(batch.expired_minutes)
        self._pending = self._pending.absorb(batch.delta)
        counters = batch.delta.counters
        stats = self.stats
        stats.tweets += counters["total"]
        stats.control += counters["control"]
        stats.rejected += counters["rejected"]
        stats.duplicates += batch.duplicates
        self._window_tweets += counters["total"]

    def _hand_over(self) -> None:
        """Move the pending Delta into the outbox and wake the writer."""
        if self._pending.empty:
            return
        pending, self._pending = self._pending, Delta()
        with self._lock:
            self._outbox = self._outbox.absorb(pending)
            self._outbox_tweets += pending.counters["total"]
            self.stats.unwritten_tweets = self._held_tweets()
        self._wake.set()

    # -- writer thread ---------------------------------------------------------------------
    def _write_loop(self) -> None:
        give_up_at: float | None = None
        try:
            try:  # topics and source at once: a quiet stream's first post may be a long way off
                self._write_meta()
                self._meta_written = True
            except StoreUnavailable:
                pass  # written before the first batch, once Redis answers
            while True:
                self._wake.wait(self.retry_interval if self._redis_down else None)
                self._wake.clear()
                if self._write_outbox():
                    give_up_at = None
                done = self.source_done.is_set()
                with self._lock:
                    outbox_empty = self._outbox.empty and self._unsent is None
                if done and outbox_empty:
                    self._drop_minutes_past_retention()
                    break
                if done and self._redis_down and self.stop_event.is_set():
                    now = time.monotonic()
                    give_up_at = give_up_at or now + DRAIN_GRACE_S
                    if now >= give_up_at:
                        log.error(
                            "stopping with %d tweets not written: Redis stayed unreachable",
                            self.stats.unwritten_tweets,
                            extra=RAISED,  # the command stopping it says so (cli._drain)
                        )
                        break
                if done and self._redis_down:
                    self._maybe_report_status(time.monotonic())
        finally:
            self.stats.state = "stopped"
            try:
                self._maybe_report_status(time.monotonic(), force=True)
            finally:
                self.finished.set()  # whatever happened: `wait` must return

    def _write_outbox(self) -> bool:
        """Write what failed before (as it was), then the outbox; False while Redis is away."""
        while True:
            if self._unsent is None:
                with self._lock:
                    delta, self._outbox = self._outbox, Delta()
                    expired = sorted(self._expired)
                    self._expired.clear()
                    self._outbox_tweets = 0
                if delta.empty:
                    return True
                self._unsent = _Unsent(delta, expired, uuid.uuid4().hex)
            unsent = self._unsent
            try:
                if self.error is not None:
                    self._unsent = None
                    return True  # a refused write already stopped us; nothing can be written
                if not self._meta_written:  # record topics and source so readers need no --track
                    self._write_meta()
                    self._meta_written = True
                try:
                    self.store.write(unsent.delta, self.topics, unsent.expired, token=unsent.token,
                                     guard=self._write_guard)
                except BatchLost:  # the lease is not ours as it was: lapsed, vanished, or taken over
                    lost = self.lease.keep(restore=self._write_meta)  # type: ignore[union-attr]
                    if lost is None:
                        continue  # ours again: write
                    raise lost from None  # the successor counts from what was written: nothing twice
            except (StoreRefused, NamespaceBusy) as exc:
                log.error("%s; stopping (%d tweets not written)", exc, unsent.tweets + self._outbox_tweets)
                self.error = exc
                self._unsent = None
                self.stop()
                return True
            except StoreUnavailable as exc:
                with self._lock:  # newer batches merge into the outbox meanwhile, not into it
                    self.stats.unwritten_tweets = self._held_tweets()
                self._note_unavailable(exc)
                return False
            self._unsent = None
            self.stats.written_batches += 1
            with self._lock:
                self.stats.unwritten_tweets = self._outbox_tweets
            if self._redis_down:
                log.info("Redis reachable again; held aggregates written")
                self._redis_down = False
                self.batches.skip_redis.clear()
            self.stats.state = "reading" if not self.source_done.is_set() else "draining"
            self.stats.last_error = ""

    @property
    def _write_guard(self) -> tuple[str, str] | None:
        """Writes are refused once another process holds our lease (`CollectorLease.guard`)."""
        return self.lease.guard if self.lease is not None else None

    def _drop_minutes_past_retention(self) -> None:
        """A batch's expired minutes are looked up with its dedupe check, which can run while
        the batch before it is still being written: minutes that write adds behind the
        retention are dropped by the next batch's look-up, and after the last batch here
        (QA: a replay of two files kept 122 minutes at a 1 h retention)."""
        if self.error is not None or self._redis_down:
            return
        try:
            expired = self.store.prepare_joined({}, 0).expired_minutes  # the newest clock seen
            if expired:
                self.store.write(Delta(), self.topics, expired, token=uuid.uuid4().hex,
                                 guard=self._write_guard)
        except (StoreUnavailable, BatchLost) as exc:  # the next run's first batch drops them
            log.info("minutes past the retention left for the next run: %s", exc)

    def _held_tweets(self) -> int:
        """Tweets counted but not written yet (call with the lock held)."""
        unsent = self._unsent
        return self._outbox_tweets + (unsent.tweets if unsent is not None else 0)

    def _note_unavailable(self, exc: StoreUnavailable) -> None:
        self._meta_written = False  # the server may have restarted empty: write meta again
        if not self._redis_down:
            log.warning("%s; holding aggregates in memory and retrying", exc)
        self._redis_down = True
        self.batches.skip_redis.set()
        self.stats.state = exc.state
        self.stats.last_error = str(exc)

    # -- status ----------------------------------------------------------------------------
    def _maybe_report_status(self, now: float, force: bool = False) -> None:
        if not force and now - self._last_status < STATUS_EVERY_S:
            return
        elapsed = max(now - self._window_start, 1e-6)
        self.stats.rate_per_s = self._window_tweets / elapsed
        self._window_tweets = 0
        self._window_start = now
        self._last_status = now
        state, details = self._status()
        line = " · ".join([label_of(self.source), *details, state])
        if self.on_status is not None:
            try:
                # a failed source's state repeats the error, which the command prints itself
                self.on_status(line.replace(f" ({self.error})", "") if self.error is not None else line)
            except Exception:  # a status line must never stop the counting, the lease or the shutdown
                if not self._status_failed:
                    self._status_failed = True
                    log.exception("status callback failed")
        if not self._redis_down:
            try:
                self.store.publish_status(line, state=state, detail=" · ".join(details))
                self._renew_lease()
            except StoreUnavailable:
                pass

    def _renew_lease(self) -> None:
        if self.lease is None or self.stop_event.is_set():
            return
        lost = self.lease.keep(restore=self._write_meta)
        if lost is not None:
            self.error = self.error or lost
            self.stop()

    def _write_meta(self) -> None:
        """Record topics and source in the namespace, so readers need no --track."""
        self.store.write_meta(self.topics, label_of(self.source), self.is_demo)

    def status_line(self) -> str:
        """`source · [its state ·] rate · counts · the collector's state`, as printed."""
        state, details = self._status()
        return " · ".join([label_of(self.source), *details, state])

    def _status(self) -> tuple[str, list[str]]:
        """The collector's state (what a dashboard shows first) and the details after it."""
        s = self.stats
        state = s.state
        if s.unwritten_tweets and self._redis_down:
            state += f" · {s.unwritten_tweets:,} held in memory"
        details = [
            f"tweets {s.tweets:,}",
            f"control {s.control:,}",
            f"rejected {s.rejected:,}",
            f"duplicates {s.duplicates:,}",
        ]
        if s.state != "stopped":  # a stopped collector's last window is a fraction of one
            details.insert(0, f"{s.rate_per_s:,.0f} tweets/s")
        source_state = getattr(self.source, "state", "")
        if source_state:
            details.insert(0, str(source_state))
        return state, details
