"""Scale-out on Redis Streams: `collect --raw-only` forwards raw lines, `process` aggregates.

`RawForwarder` reads a source and appends its lines to the raw stream in batches. `Processor`
is one worker of a consumer group: it reads a batch (XREADGROUP), aggregates it like the
collector does, and writes the Delta and the XACK in one transaction. Run any number of them,
on any machine.

Exactness when a worker dies (even SIGKILL mid-batch): its batch was neither written nor
acknowledged (one transaction), so the entries stay pending and another worker claims them
with XAUTOCLAIM after `claim_idle_ms`. A worker that was only *slow* past that timeout is
stopped by its fence: the claimer moves the previous owner's fence key before it claims, and
every write is guarded by the fence value read before its entries were taken (WATCH), so the
slow worker's write is refused and it drops the batch. Posts that reach the stream twice (a
resumed source's overlap) are counted once by the per-minute `seen` id sets: checked before a
batch is counted, and again under WATCH when it is written (two workers may count batches
that share a post at the same time: the second to write counts its batch again). We chose atomic
write+ack, the fence and id dedupe over a batch-marker key per batch because the dedupe
already exists for reconnects, while a marker would add a read and a key per batch.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from tweetwatch.errors import StoreRefused, StoreUnavailable
from tweetwatch.pipeline.batch import BatchAggregator
from tweetwatch.pipeline.checkpoint import checkpoint_of, resume_source
from tweetwatch.pipeline.model import Record
from tweetwatch.pipeline.normalize import normalize_lines
from tweetwatch.pipeline.text import Topic
from tweetwatch.sources.base import Source, label_of
from tweetwatch.store.lease import CollectorLease, NamespaceBusy, collector_running
from tweetwatch.store.raw_stream import DEFAULT_GROUP, RawEntry, RawStream
from tweetwatch.store.redis_store import BatchLost, BatchStale, Meta, Store

log = logging.getLogger(__name__)

FORWARD_BATCH = 5_000
FORWARD_EVERY_S = 0.1
PROCESS_BATCH = 5_000
DEFAULT_CLAIM_IDLE_MS = 30_000
SOURCES_WITH_RULE_TAGS = ("x", "replay")


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class ForwardStats:
    lines: int = 0
    state: str = "starting"
    trimmed_unread: int = 0
    """Lines the stream's cap dropped before a consumer group read them (the worst group)."""


class RawForwarder:
    """Source -> raw stream, nothing else (the aggregation happens in `Processor`s)."""

    def __init__(
        self, source: Source, raw: RawStream, on_status: Callable[[str], None] | None = None, resume: bool = True,
        lease: CollectorLease | None = None, topics: tuple[Topic, ...] = (), is_demo: bool = False,
        group: str = DEFAULT_GROUP,
    ) -> None:
        """`lease`: the namespace's lease for this source (store/lease.py), acquired by the
        caller and renewed here; `topics` and `is_demo` are written again if the namespace's
        keys vanish under it. `group`: the workers' consumer group, created with the lines
        (`RawStream.append`) so that lines the cap drops before any worker came are counted
        as trimmed unread, not lost without a word."""
        self.source = source
        self.raw = raw
        self.group = group
        self.resume = resume
        self.on_status = on_status
        self.lease = lease
        self.topics = topics
        self.is_demo = is_demo
        self.stats = ForwardStats()

    def run(self, stop: threading.Event) -> None:
        """Raises NamespaceBusy when another forwarder took the namespace over meanwhile."""
        pending: list[bytes] = []
        next_send = time.monotonic() + FORWARD_EVERY_S
        last_status = 0.0
        lost: NamespaceBusy | None = None
        self.stats.state = "forwarding"
        if self.resume:
            resume_source(self.source, self.raw.store)
        for line in self.source.lines(stop):
            if line is not None and line.strip():
                pending.append(line.rstrip(b"\r\n"))
            now = time.monotonic()
            if pending and (line is None or len(pending) >= FORWARD_BATCH or now >= next_send):  # None: a pause
                self._send(pending, stop)
                self.stats.lines += len(pending)
                pending = []
                next_send = now + FORWARD_EVERY_S
            if now - last_status >= 2:
                last_status = now
                lost = self._renew_lease()
                if lost is not None:  # send what was read, then stop
                    stop.set()
                self._check_trimmed()
                if self.on_status:
                    self.on_status(self._status_line())
            if stop.is_set():
                break
        if pending:
            self._send(pending, threading.Event())
            self.stats.lines += len(pending)
        self._check_trimmed()
        self.stats.state = "stopped"
        if self.on_status:
            self.on_status(self._status_line() + " · stopped")
        if lost is not None:
            raise lost

    def _status_line(self) -> str:
        line = f"{label_of(self.source)} · raw-only · {self.stats.lines:,} lines forwarded"
        if self.stats.trimmed_unread:
            line += f" · {self.stats.trimmed_unread:,} trimmed unread"
        return line

    def _check_trimmed(self) -> None:
        """Say so when the stream's cap drops lines no worker has read: workers too few or
        too slow for the source, or none running (the lines are gone, not just late)."""
        try:
            per_group = self.raw.trimmed_unread()
        except StoreUnavailable:
            return
        group = max(per_group, key=per_group.__getitem__, default="")
        trimmed = per_group.get(group, 0)
        if trimmed > self.stats.trimmed_unread:
            log.warning("the raw stream's cap (%s lines) dropped %s lines before the workers read them "
                        "(group %s); add `process` workers or raise --raw-maxlen", f"{self.raw.maxlen:,}",
                        f"{trimmed - self.stats.trimmed_unread:,}", group)
            self.stats.trimmed_unread = trimmed

    def _renew_lease(self) -> NamespaceBusy | None:
        """The error to stop with when another forwarder took the namespace over."""
        if self.lease is None:
            return None
        try:
            return self.lease.keep(restore=lambda: self.raw.store.write_meta(
                self.topics, label_of(self.source), self.is_demo))
        except StoreUnavailable:
            return None  # `_send` waits for Redis and says so

    def _send(self, lines: list[bytes], stop: threading.Event) -> None:
        """Append, retrying while Redis is away (the source waits: backpressure, no loss).
        The source's checkpoint goes into the same transaction (every line it covers is in
        `lines` or was sent before)."""
        delay = 0.5
        checkpoint = checkpoint_of(self.source)
        token = uuid.uuid4().hex  # the same for every retry of these lines
        while True:
            try:
                self.raw.append(lines, checkpoint, token, self.group)
                self.stats.state = "forwarding"
                return
            except StoreRefused:
                raise
            except StoreUnavailable as exc:
                self.stats.state = f"{exc.state}: {exc}"
                log.warning("%s; retrying in %.1f s", exc, delay)
                if stop.wait(delay) and delay >= 8:
                    raise
                delay = min(delay * 2, 8)


@dataclass
class ProcessStats:
    entries: int = 0
    tweets: int = 0
    claimed: int = 0
    batches: int = 0
    lost_batches: int = 0
    """Batches another worker claimed while this one was (too slowly) counting them."""
    recounted_batches: int = 0
    """Batches counted again: a post of theirs (sent twice) was counted by another worker
    between this one's check and its write."""
    state: str = "starting"


class Processor:
    """One consumer-group worker."""

    def __init__(
        self,
        store: Store,
        raw: RawStream,
        *,
        group: str,
        consumer: str,
        claim_idle_ms: int = DEFAULT_CLAIM_IDLE_MS,
        batch_size: int = PROCESS_BATCH,
        exit_when_idle: bool = False,
        sentiment: bool = True,
    ) -> None:
        self.store = store
        self.sentiment = sentiment
        self.raw = raw
        self.group = group
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self.batch_size = batch_size
        self.exit_when_idle = exit_when_idle
        self.stats = ProcessStats()
        self._batches: BatchAggregator | None = None
        self._meta: Meta | None = None
        """The namespace's meta `_batches` counts with (topics, source, retention)."""
        self._last_claim = 0.0
        self._fence: str | None = None

    def run(self, stop: threading.Event, on_status: Callable[[str], None] | None = None) -> None:
        last_status = 0.0
        idle_rounds = 0
        retry: list[RawEntry] = []
        while not stop.is_set():
            entries: list[RawEntry] = retry
            try:
                entries = retry or self._next_entries()
                retry = []
                if entries:
                    idle_rounds = 0
                    self._process(entries)
                    self.stats.state = "processing"
                elif self._batches is None:  # no collector has recorded topics yet: not idle, waiting
                    idle_rounds = 0
                else:
                    self.stats.state = "idle"
                    if self.exit_when_idle:  # done when the forwarder is, and then drained
                        idle_rounds = 0 if self._forwarder_running() else idle_rounds + 1
                        if idle_rounds >= 3 and self.raw.pending_count(self.group) == 0:
                            break
            except StoreRefused:
                raise  # no permission / wrong password: retrying cannot help
            except StoreUnavailable as exc:
                retry = entries  # write failed: process the batch again (seen sets keep it exact)
                self._wait_for_redis(exc, stop)
            now = time.monotonic()
            if on_status and now - last_status >= 2:
                last_status = now
                on_status(self.status_line())
        self.stats.state = "stopped"
        if on_status:
            on_status(self.status_line())

    def _next_entries(self) -> list[RawEntry]:
        """Stale entries of dead workers first (checked every few seconds), then new ones.

        Our fence is read *before* the entries are taken. A worker that claims them later
        moves it first, so our write of them is refused (`BatchLost`) however long we stall
        anywhere in between. Read after the entries, it could already hold the claimer's
        value, and a stalled batch would then be counted by both of us. A claim of entries
        pending under our own name (a previous run's, or a live twin's) moves our own fence:
        we go on with the value it moved it to, the twin's write is refused."""
        entries: list[RawEntry] = []
        self.raw.ensure_group(self.group)  # cheap; recreates it after a server restart
        fence = self.raw.fence(self.consumer)
        now = time.monotonic()
        if now - self._last_claim >= min(5.0, self.claim_idle_ms / 1000):
            self._last_claim = now
            claim = self.raw.claim_stale(self.group, self.consumer, self.claim_idle_ms, self.batch_size)
            if claim.own_fence is not None:  # it bumped ours too: entries were pending under our name
                fence = claim.own_fence
            entries = claim.entries
            self.stats.claimed += len(entries)
        if not entries:
            entries = self.raw.read(self.group, self.consumer, self.batch_size, block_ms=500)
        if entries:
            self._fence = fence
        if entries or self._batches is None:
            self._load_meta()  # after the entries: as new as the meta written before them, or newer
        return entries

    def _forwarder_running(self) -> bool:
        """Whether the namespace's forwarder is still reading its source (it holds its lease):
        a lull then is not the end. Meta is read first, for a forwarder of another source.
        The stream is read again (idle rounds) after it was seen gone: it sent every line
        before it let its lease go."""
        self._load_meta()
        return self._meta is not None and collector_running(self.store, self._meta.source)

    def _wait_for_redis(self, exc: StoreUnavailable, stop: threading.Event) -> None:
        if not self.stats.state.startswith(exc.state):
            log.warning("%s; retrying", exc)
        self.stats.state = f"{exc.state}: {exc}"
        stop.wait(1.0)

    def status_line(self) -> str:
        s = self.stats
        return (f"process {self.group}/{self.consumer} · entries {s.entries:,} · tweets {s.tweets:,}"
                f" · claimed {s.claimed:,} · batches {s.batches:,} · {s.state}")

    def _load_meta(self) -> None:
        """Count with the namespace's meta as it is now (topics, source, retention: a forwarder
        run again with other ones writes them before its first line). Read for every batch,
        after its entries were taken, so a batch is counted with the meta its forwarder wrote
        (or a newer one, for lines an earlier forwarder left unread). A change applies from
        the next batch on: a batch in flight is written with the meta it was counted with
        (its lines were all sent before the change). Meta gone (a `reset`; the forwarder
        writes it again within seconds): the last one is kept."""
        meta = self.store.read_meta()
        if meta is None:
            if self._batches is None:
                self.stats.state = "waiting for a collector to record topics"
            return
        if meta == self._meta:
            return
        if self._meta is not None:
            log.info("the namespace's meta changed (topics %s, source %s, retention %s s); counting with it",
                     ",".join(t.name for t in meta.topics), meta.source, meta.retention_s)
        self._meta = meta
        if meta.retention_s is not None:  # the forwarder's, as its topics: readers trust meta's
            self.store.retention_s = meta.retention_s
        self._batches = BatchAggregator(
            self.store, meta.topics, meta.source in SOURCES_WITH_RULE_TAGS, local_memory=False
        )
        self._batches.aggregator.set_sentiment(self.sentiment)

    def _process(self, entries: list[RawEntry]) -> None:
        if self._batches is None or self._meta is None:
            return  # no topics yet; the entries stay pending and are claimed again later
        records: list[Record] = []
        normalize_lines([entry.line for entry in entries if entry.line is not None], records)
        ids = [e.entry_id for e in entries]
        while True:
            batch = self._batches.aggregate(records)  # drops the posts Redis has counted
            if not batch.checked_in_redis:
                raise StoreUnavailable("Redis became unreachable during a batch")
            try:
                self.store.write(batch.delta, self._meta.topics, batch.expired_minutes,
                                 also=lambda pipe: self.raw.ack_in(pipe, self.group, ids),
                                 guard=(self.store.keys.fence(self.consumer), self._fence),
                                 token=f"{ids[0]}/{ids[-1]}/{len(ids)}",  # the same on a retry of these entries
                                 exclusive=True)
                break
            except BatchStale:
                self.stats.recounted_batches += 1  # another worker counted a post of ours meanwhile
            except BatchLost as exc:
                self.stats.lost_batches += 1
                log.warning("%s; dropped %d entries it now owns", exc, len(entries))
                return
        self.stats.entries += len(entries)
        self.stats.tweets += batch.delta.counters["total"]
        self.stats.batches += 1
