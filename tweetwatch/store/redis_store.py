"""The store: writes Deltas atomically and reads Snapshots, over any Redis >= 6.2 or Valkey.

Writes: one MULTI/EXEC per Delta (`write`), preceded by one read round trip (`prepare`) that
finds already-counted tweet ids and minute buckets that fell out of the retention period.
Reads: `read_snapshot` is one transaction in one round trip in the steady state (a second
one only when the stream clock jumped past the range read speculatively, or on first use).
Only commands available in Redis 6.2 are used.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis

from tweetwatch import __version__
from tweetwatch.errors import StoreFull, StoreLoading, StoreRefused, StoreUnavailable, UsageError
from tweetwatch.pipeline.aggregate import LATEST_PER_DELTA, Delta
from tweetwatch.pipeline.text import Topic, tokenize
from tweetwatch.sanitize import clean_text
from tweetwatch.secret import mask_url
from tweetwatch.store.cluster import follow_moved, route_client
from tweetwatch.store.keys import Keys
from tweetwatch.store.scripts import ADD_MEMBERS, FIND_SEEN, INCR_WORDS, ROLL, join_members
from tweetwatch.store.snapshot import (
    ALL,
    FeedEntry,
    KeywordDetail,
    MoodSeries,
    Sentiment,
    Series,
    Snapshot,
    StreamMix,
    TopicStats,
)

DEFAULT_RETENTION_S = 24 * 3600
LATEST_MAXLEN = 1000
APPLIED_TTL_S = 24 * 3600
"""How long a writer's last token is kept (see `Store.write`): far longer than any retry."""
MINUTE_TOTAL = "t"
"""Rate-hash field suffix holding the minute's total (`<key>:t`), beside the seconds 0-59."""
RATE_SPAN_S = 10
"""`rate_per_s` is the mean over this many seconds of stream time."""
MIN_SERVER_VERSION = (6, 2)
CLOUD_WORDS = 30
"""Words read per topic for the word cloud (the first 10 are the keyword table)."""
TOP_N = 10
FEED_SIZE = 50
"""Newest posts read with every snapshot for the live feed."""
DRILL_MINUTES = 60
"""The drill-down trend covers the last hour of stream time, whatever the window."""
DRILL_SCAN = 1000
"""Newest posts of the `latest` stream searched for a drill-down (the whole capped stream)."""
DRILL_RECENT = 20
FLAG_FIELDS = ("retweets", "quotes", "replies", "links")

INCR_FIELDS = """
for name, count in string.gmatch(ARGV[1], "([^\\n ]+) (-?%d+)") do
  redis.call("HINCRBY", KEYS[1], name, count)
end
return 1
"""
"""HINCRBY KEYS[1] for each `field count` line in ARGV[1] (the store/scripts.py pattern:
one joined argument instead of one encoded argument per field)."""
_T = TypeVar("_T")

log = logging.getLogger(__name__)

_FATAL_REPLIES = ("NOPERM", "WRONGPASS", "NOAUTH", "unknown command", "unknown subcommand")
"""Replies that mean "this will never work" (as opposed to LOADING, OOM, READONLY, MISCONF).
redis-py drops the leading `ERR ` of a reply, so `ERR unknown command` arrives without it."""
_PIPELINE_ERROR = re.compile(r"Command # \d+ \((\S+)[^\n]*?\) of pipeline caused error: ")
"""redis-py's wrapping of an error inside a pipeline or transaction; it quotes the command's
arguments (a whole Lua script, the members of a batch), which no message should carry."""
_DATABASE_PATH = re.compile(r"(/(\d+)?)?")
"""The path of a `redis://` URL: none, `/` or `/<database number>`."""
_ARGS_QUOTED = ", with args beginning with:"

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
_CLUSTER_TRANSIENT = (redis.exceptions.AskError, redis.exceptions.TryAgainError, redis.exceptions.ClusterDownError)
"""Cluster replies while a slot migrates or a failover runs (MOVED, an AskError too, is
followed before these are looked at): retry later."""


def open_client(url: str, role: str, namespace: str | None = None) -> redis.Redis:
    """A client for `url`, named so other tweetwatch processes can see who is attached.

    With `namespace`, a TCP client is routed (store/cluster.py): on a Redis Cluster its
    connections go to the master that owns the namespace's slot."""
    try:
        _check_database_path(url)
        client = redis.Redis.from_url(
            url,
            decode_responses=True,
            client_name=f"tweetwatch:{role}:{os.getpid()}",
            socket_connect_timeout=3,
            socket_timeout=10,
            health_check_interval=30,
        )
        client.connection_pool.make_connection().disconnect()  # built, not connected: a bad option fails here
    except ValueError as exc:
        raise UsageError(f"invalid Redis URL {mask_url(url)}: {exc}") from None
    except redis.exceptions.RedisError as exc:  # a value redis-py refuses when it builds the connection
        raise UsageError(f"invalid Redis URL {mask_url(url)}: {describe_error(exc)}") from None
    except TypeError as exc:  # an option redis-py passes on to the connection, which has no such argument
        option = re.search(r"argument '(\w+)'", str(exc))
        named = f" option {option.group(1)!r}" if option else " option"
        raise UsageError(f"invalid Redis URL {mask_url(url)}: unknown{named}") from None
    return route_client(client, namespace) if namespace is not None else client


def _check_database_path(url: str) -> None:
    """`redis://host/3` selects database 3. redis-py reads any other path (`/notadb`, `/3/x`)
    as database 0 without a word, so a typo would watch or reset the wrong data: refused."""
    parsed = urlsplit(url)
    if parsed.scheme in ("redis", "rediss") and not _DATABASE_PATH.fullmatch(parsed.path):
        raise UsageError(f"invalid Redis URL {mask_url(url)}: the path must be a database number (/0, /1, ...)")


def describe_error(exc: BaseException) -> str:
    """One line for a Redis error, never containing credentials, a command's arguments or
    escape sequences (a socket path's): `EVAL: unknown command 'EVAL'` for an error inside a
    pipeline."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    wrapped = _PIPELINE_ERROR.match(text)
    if wrapped is not None:
        text = f"{wrapped.group(1)}: {text[wrapped.end():]}"
    text = text.split(_ARGS_QUOTED)[0]
    return clean_text(text[:200])


def server_reply(exc: BaseException) -> str:
    """The server's own reply in a Redis error (without redis-py's pipeline wrapping)."""
    text = str(exc)
    wrapped = _PIPELINE_ERROR.match(text)
    return text[wrapped.end():] if wrapped is not None else text


UNKNOWN_SOURCE = "unknown"
"""The source a namespace reports when no collector recorded one (nothing collected yet)."""


class BatchLost(Exception):
    """A guarded write found its fence moved: the batch belongs to another worker now."""


class BatchStale(Exception):
    """An exclusive write found some of its posts counted meanwhile (by another worker):
    count the batch again without them (`seen`)."""

    def __init__(self, seen: frozenset[str]) -> None:
        super().__init__(f"{len(seen)} of the batch's posts were counted meanwhile")
        self.seen = seen


WRITE_CONFLICT_RETRIES = 50
"""Transactions a write tries when a key it watches changes under it (another worker's write
into the same minutes, between this write's check and its EXEC: a window of one round trip)."""


@dataclass(frozen=True)
class Meta:
    topics: tuple[Topic, ...]
    source: str
    is_demo: bool
    retention_s: int | None = None
    """The writer's retention; None when it recorded none (written before it was recorded)."""

    @property
    def roll_spans(self) -> tuple[int, ...]:
        """Rolling sets the writer keeps: readers may use these and no others (none when the
        retention is unknown: the per-minute union is exact whatever the writer kept)."""
        return kept_roll_spans(self.retention_s) if self.retention_s else ()


@dataclass(frozen=True)
class WritePlan:
    """What `prepare` learned: ids already counted, and minutes to drop for retention."""

    seen: frozenset[str]
    expired_minutes: tuple[int, ...]
    clock_ms: int


class Store:
    def __init__(
        self,
        client: redis.Redis,
        namespace: str,
        *,
        url_label: str = "",
        retention_s: int = DEFAULT_RETENTION_S,
    ) -> None:
        self.client = client
        self.keys = Keys(namespace)
        self.namespace = namespace
        self.url_label = url_label
        self.retention_s = retention_s
        self.writer_id = uuid.uuid4().hex[:16]
        """This store's own `applied` key (see `write`): one writer, one key."""
        self._topics: tuple[Topic, ...] | None = None
        self._clock_guess_s: int | None = None
        self._read_spans: tuple[int, ...] = ()
        """Rolling sets the namespace's writer keeps (from its meta), for `_queue_top`."""
        self._clock_seen_ms = 0
        self.recover: Callable[[], None] | None = None
        """Called when the server is unreachable (the embedded server restarts itself here; on a
        Redis Cluster the route asks the nodes which master owns the namespace now)."""
        self._last_recover = 0.0
        self._recover_failure = ""

    # -- plumbing --------------------------------------------------------------------------
    def _call(self, fn: Callable[[], _T]) -> _T:
        try:
            try:
                return fn()
            except redis.exceptions.MovedError as exc:
                # Redis Cluster: the namespace's slot is served by another master now (resharding,
                # failover). Follow it once; a MULTI/EXEC that got MOVED was aborted whole.
                if not follow_moved(self.client, exc):
                    raise
                return fn()
        except redis.exceptions.NoPermissionError as exc:
            raise StoreRefused(
                f"Redis refused: {describe_error(exc)} (check the ACL user's key pattern, e.g. ~{{{self.namespace}}}:*)"
            ) from None
        except _CLUSTER_TRANSIENT as exc:
            where = self.url_label or "Redis"
            raise StoreUnavailable(f"{where}: the cluster is moving the namespace ({describe_error(exc)})") from None
        except redis.exceptions.OutOfMemoryError as exc:
            raise StoreFull(f"Redis is out of memory (maxmemory reached): {describe_error(exc)}") from None
        except redis.exceptions.ResponseError as exc:
            message = describe_error(exc)
            if server_reply(exc).startswith(_FATAL_REPLIES):
                raise StoreRefused(f"Redis refused a command: {message}") from None
            raise StoreUnavailable(f"Redis refused a command: {message}") from None
        except redis.exceptions.AuthenticationError as exc:
            raise StoreRefused(f"Redis authentication failed: {describe_error(exc)}") from None
        except REDIS_ERRORS as exc:
            raise self._unavailable(exc) from None
        except redis.exceptions.WatchError as exc:
            cause = connection_error_of(exc)
            if cause is None:
                raise  # a watched key changed: `execute_once` callers handle that (WriteConflict)
            raise self._unavailable(cause) from None

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        """The error for a connection that failed (`REDIS_ERRORS`), or for a server that
        answered LOADING (redis-py's BusyLoadingError is a ConnectionError)."""
        where = self.url_label or "Redis"
        if isinstance(exc, redis.exceptions.BusyLoadingError):
            # restarted and reading its data: alive, so nothing to recover (the embedded
            # server's recovery would take an unanswered PING for a hung server and kill it)
            return StoreLoading(f"{where} is still loading its data: {describe_error(exc)}")
        self._try_recover()
        hint = ""
        if where.startswith("rediss://") and isinstance(exc, redis.exceptions.TimeoutError):
            hint = " (rediss:// speaks TLS first: is this the server's TLS port? a plain one never answers)"
        return StoreUnavailable(f"{where} unreachable: {describe_error(exc)}{hint}")

    def _try_recover(self) -> None:
        """Give `recover` (embedded restart, cluster re-route) a chance, at most once a second."""
        if self.recover is None or time.monotonic() - self._last_recover < 1.0:
            return
        self._last_recover = time.monotonic()
        try:
            self.recover()
        except Exception as exc:  # reported by the next failing call anyway
            if str(exc) != self._recover_failure:  # once per reason, not every second
                self._recover_failure = str(exc)
                log.warning("could not recover the connection: %s", exc)
        else:
            self._recover_failure = ""

    def check_server(self) -> str:
        """Ping, check the version and that scripts run (every write uses EVAL); returns
        e.g. `valkey 9.0.0`. Raises StoreRefused when EVAL is renamed away or not allowed."""
        info = self._call(lambda: self.client.info("server"))
        version = str(info.get("valkey_version") or info.get("redis_version") or "0")
        name = "valkey" if "valkey_version" in info or info.get("server_name") == "valkey" else "redis"
        numbers = tuple(int(p) for p in str(info.get("redis_version", "0")).split(".")[:2] if p.isdigit())
        if numbers < MIN_SERVER_VERSION:
            raise StoreRefused(f"tweetwatch needs Redis >= 6.2 or Valkey; the server reports {version}")
        self._call(lambda: self.client.eval("return 1", 0))
        return f"{name} {version}"

    def ping_ms(self) -> float:
        start = time.perf_counter()
        self._call(self.client.ping)
        return (time.perf_counter() - start) * 1000

    # -- meta ------------------------------------------------------------------------------
    def write_meta(self, topics: tuple[Topic, ...], source: str, is_demo: bool) -> None:
        mapping = {
            "topics": json.dumps([[t.name, list(t.keywords)] for t in topics]),
            "source": source,
            "demo": "1" if is_demo else "0",
            "version": __version__,
            "retention_s": str(self.retention_s),  # readers derive the rolling sets kept from it
        }

        # Rolling sets this run does not keep would go stale, and a later run that keeps them
        # again would take them up where they stopped (counts off by what was written in
        # between): drop them, so such a run rebuilds them from the per-minute sets.
        unkept = [span for span in ROLL_SPANS.values() if span not in self.roll_spans]
        families = [f"kw:{topic.name}" for topic in topics] + ["ht", "mn"]
        dropped = [
            self.keys.roll_prefix(family) + f"{span}{suffix}"
            for family in families for span in unkept for suffix in ("", ":mark")
        ]

        def run() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.hsetnx(self.keys.meta, "created_at", datetime.now(UTC).isoformat())
            pipe.hset(self.keys.meta, mapping=mapping)
            if dropped:
                pipe.delete(*dropped)
            pipe.execute()

        self._call(run)
        self._topics = topics

    def read_meta(self) -> Meta | None:
        raw = self._call(lambda: self.client.hgetall(self.keys.meta))
        return _parse_meta(raw)

    def read_checkpoints(self, fields: list[str]) -> dict[str, str]:
        """Where sources (or a replay's files) resume: the positions stored with the last
        counts written from them, by field; fields with none are left out."""
        if not fields:
            return {}
        positions = self._call(lambda: self.client.hmget(self.keys.checkpoints, fields))
        return {name: str(p) for name, p in zip(fields, positions) if p is not None}  # the client decodes

    def read_checkpoints_named(self, prefix: str) -> dict[str, str]:
        """The stored checkpoints whose field starts with `prefix` (a replay's files: a few
        fields per file ever read into the namespace)."""
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"
        return self._call(lambda: dict(self.client.hscan_iter(self.keys.checkpoints, match=pattern, count=1000)))

    def publish_status(self, line: str, *, state: str = "", detail: str = "") -> None:
        """The collector's status for dashboards: its printed `line`, its `state` and the
        `detail` after it, and when (`at`, wall clock: how long it has been silent)."""
        self._call(lambda: self.client.hset(
            self.keys.status, mapping={"line": line, "state": state, "detail": detail, "at": f"{time.time():.3f}"}
        ))

    # -- writes ----------------------------------------------------------------------------
    def prepare(self, ids_by_minute: dict[int, Iterable[str]], clock_ms: int) -> WritePlan:
        """One read round trip before a write: already-counted ids and expired minutes."""
        return self.prepare_joined({m: join_members(ids) for m, ids in ids_by_minute.items()}, clock_ms)

    def prepare_joined(self, joined_by_minute: dict[int, str], clock_ms: int) -> WritePlan:
        """`prepare` with each minute's ids already joined by `scripts.join_members`.

        For a caller that runs the round trip in another thread: joining there made the
        collector's RSS creep (+5% a third in bench/memory.py). The joined text of a full
        batch is ~400 KB; allocated in a thread of its own, glibc serves it from that
        thread's arena, whose freed space fragments. Joined by the caller, it is flat."""
        minutes = sorted(joined_by_minute)
        cutoff = self.cutoff_minute(max(clock_ms, self._clock_seen_ms))

        def run() -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            pipe.zscore(self.keys.clock, "clock")
            pipe.zrangebyscore(self.keys.minutes, "-inf", f"({cutoff}")
            if minutes:
                pipe.eval(
                    FIND_SEEN,
                    len(minutes),
                    *(self.keys.seen(m) for m in minutes),
                    *(joined_by_minute[m] for m in minutes),
                )
            return pipe.execute()

        replies = self._call(run)
        stored_clock = int(float(replies[0])) if replies[0] is not None else 0
        self._clock_seen_ms = max(self._clock_seen_ms, stored_clock, clock_ms)
        expired = replies[1]
        seen = frozenset(replies[2]) if minutes else frozenset()
        return WritePlan(seen, tuple(int(m) for m in expired), self._clock_seen_ms)

    def cutoff_minute(self, clock_ms: int) -> int:
        """Minute buckets older than this are outside the retention period."""
        return (clock_ms // 1000 - self.retention_s) // 60

    def write(
        self,
        delta: Delta,
        topics: tuple[Topic, ...],
        expired_minutes: Iterable[int] = (),
        also: Callable[[Any], None] | None = None,
        guard: tuple[str, str | None] | None = None,
        token: str | None = None,
        exclusive: bool = False,
    ) -> None:
        """Apply a Delta in one MULTI/EXEC, at most once per `token`.

        A reply can be lost after the server ran the transaction (a stall past the socket
        timeout, a dropped connection): sent again, the batch would be counted twice. So the
        transaction also stores `token` in this writer's `applied` key, and a write first
        reads it (under WATCH, which also stops redis-py from re-sending the transaction by
        itself): if it holds `token`, the batch is in already. A caller retrying after
        StoreUnavailable must pass the same Delta with the same token. Three round trips:
        WATCH, the read, the transaction.

        `also(pipe)` may queue more commands into the same transaction (a worker's XACK, so
        counting a batch and acknowledging it happen together or not at all).
        `guard=(key, expected)`: write only if `key` still holds `expected` (WATCH; a stream
        worker's fence, see store/raw_stream.py); otherwise raise `BatchLost`.
        `exclusive`: write only if none of the Delta's posts (`seen_ids`) is in its minute's
        `seen` set yet, checked under WATCH of those sets; otherwise raise `BatchStale`.
        Stream workers checked before they counted, but two of them counting batches that
        share a post (one sent twice) both passed that check, and both counted it.
        """
        keys = self.keys
        ttl = self.retention_s + 3600  # wall-clock backstop; stream-clock retention does the real work
        topic_names = tuple(t.name for t in topics)
        expired = sorted(set(expired_minutes))
        unseen = {keys.seen(m): join_members(ids) for m, ids in delta.seen_ids.items() if ids} if exclusive else None

        def queue(pipe: Any) -> None:
            if delta.counters:
                for name, value in delta.counters.items():
                    pipe.hincrby(keys.totals, name, value)
            if delta.checkpoints:  # with the counts they cover, never ahead of them
                pipe.hset(keys.checkpoints, mapping=delta.checkpoints)
            clock_ms = delta.clock_ms
            if clock_ms:
                pipe.zadd(keys.clock, {"clock": clock_ms}, gt=True)
            # the stream clock is the newest of this batch and what Redis had (seen by `prepare`):
            # a later run of old posts must not re-create buckets the retention already dropped
            cutoff = self.cutoff_minute(max(clock_ms, self._clock_seen_ms)) if clock_ms else None
            live = [m for m in delta.minutes() if cutoff is None or m >= cutoff]
            live_set = set(live)
            if live:
                pipe.zadd(keys.minutes, {str(m): m for m in live})
            touched: set[str] = set()
            if clock_ms and self.roll_spans:
                self._queue_rolls(pipe, delta, topic_names, live_set, ttl)
            minute_totals: Counter[tuple[int, str]] = Counter()
            for (second, key), count in delta.per_second.items():
                minute = second // 60
                if minute in live_set:
                    rate_key = keys.rate(minute)
                    pipe.hincrby(rate_key, f"{key}:{second % 60}", count)
                    minute_totals[(minute, key)] += count
                    touched.add(rate_key)
            for (minute, key), count in minute_totals.items():  # `<key>:t`: the minute's total
                pipe.hincrby(keys.rate(minute), f"{key}:{MINUTE_TOTAL}", count)
            for (topic, minute), words in delta.keywords.items():
                if minute in live_set:
                    kw_key = keys.keywords(topic, minute)
                    pipe.eval(INCR_WORDS, 1, kw_key, "\n".join([f"{w} {c}" for w, c in words.items()]))
                    touched.add(kw_key)
            for (topic, minute), authors in delta.authors.items():
                if minute in live_set:
                    au_key = keys.authors(topic, minute)
                    pipe.eval(ADD_MEMBERS, 1, au_key, "PFADD", join_members(authors))
                    touched.add(au_key)
            for minute, tally in delta.tallies.items():
                if minute in live_set:
                    tally_key = keys.tally(minute)
                    pipe.eval(INCR_FIELDS, 1, tally_key, "\n".join([f"{f} {c}" for f, c in tally.items() if c]))
                    touched.add(tally_key)
            for per_minute, key_of in ((delta.hashtags, keys.hashtags), (delta.mentions, keys.mentions)):
                for minute, names in per_minute.items():
                    if minute in live_set and names:
                        zkey = key_of(minute)
                        pipe.eval(INCR_WORDS, 1, zkey, "\n".join([f"{w} {c}" for w, c in names.items()]))
                        touched.add(zkey)
            for minute, ids in delta.seen_ids.items():
                if minute in live_set:
                    seen_key = keys.seen(minute)
                    pipe.eval(ADD_MEMBERS, 1, seen_key, "SADD", join_members(ids))
                    touched.add(seen_key)
            for key in touched:
                pipe.expire(key, ttl)
            for item in delta.latest[-LATEST_PER_DELTA:]:
                pipe.xadd(
                    keys.latest,
                    {
                        "id": item.id,
                        "ms": str(item.created_ms),
                        "author": item.author,
                        "topics": ",".join(item.topics),
                        "rt": "1" if item.is_retweet else "0",
                        "text": item.text[:1000],
                    },
                    maxlen=LATEST_MAXLEN,
                    approximate=True,
                )
            if expired:
                doomed = [k for m in expired for k in keys.bucket_keys(m, topic_names)]
                for start in range(0, len(doomed), 512):
                    pipe.unlink(*doomed[start : start + 512])
                pipe.zrem(keys.minutes, *(str(m) for m in expired))
            if also is not None:
                also(pipe)

        self.apply_once(queue, token, guard, unseen)

    def apply_once(
        self,
        queue: Callable[[Any], None],
        token: str | None,
        guard: tuple[str, str | None] | None = None,
        unseen: dict[str, str] | None = None,
    ) -> None:
        """The commands `queue` adds to a pipeline, in one MULTI/EXEC applied at most once per
        `token` (None: a fresh one, for a write no one sends again), under `begin_once`'s
        checks; begun again when a key it watched changed before its EXEC."""
        token = token or uuid.uuid4().hex

        def run() -> None:
            pipe = self.begin_once(token, guard, unseen)
            if pipe is not None:  # None: applied by an earlier attempt whose reply was lost
                queue(pipe)
                execute_once(pipe)

        for _ in range(WRITE_CONFLICT_RETRIES):
            try:
                self._call(run)
                return
            except WriteConflict:
                continue  # checked again under WATCH: the guard (BatchLost), the posts (BatchStale)
        raise StoreUnavailable(f"{WRITE_CONFLICT_RETRIES} transactions in a row conflicted with other writers")

    def begin_once(
        self, token: str, guard: tuple[str, str | None] | None = None, unseen: dict[str, str] | None = None
    ) -> Any | None:
        """A MULTI pipeline for a write applied at most once per `token` (see `write`; run it
        with `execute_once`), or None when `token` is in already. The pipeline starts by
        storing `token`. Raises BatchLost when `guard`'s key no longer holds its value,
        BatchStale when a member of `unseen` (set key -> newline-joined members) is in its
        set. Every key it reads is watched."""
        applied = self.keys.applied(self.writer_id)
        pipe = self.client.pipeline(transaction=True)
        watched = [applied] if guard is None else [applied, guard[0]]
        pipe.watch(*watched, *(unseen or ()))
        current = pipe.mget(watched)
        if current[0] == token:
            pipe.reset()
            return None
        if guard is not None and current[1] != guard[1]:
            pipe.reset()
            raise BatchLost(f"{guard[0]} changed: another worker claimed this batch")
        if unseen:
            seen = pipe.eval(FIND_SEEN, len(unseen), *unseen, *unseen.values())
            if seen:
                pipe.reset()
                raise BatchStale(frozenset(seen))
        pipe.multi()
        pipe.set(applied, token, ex=APPLIED_TTL_S)
        return pipe

    @property
    def roll_spans(self) -> tuple[int, ...]:
        """Spans (minutes) of the rolling word sets this store keeps when it writes."""
        return kept_roll_spans(self.retention_s)

    def _queue_rolls(self, pipe: Any, delta: Delta, topic_names: tuple[str, ...], live: set[int], ttl: int) -> None:
        """Advance and feed every family's rolling window sets (before the per-minute sets)."""
        keys = self.keys
        families: list[tuple[str, dict[int, Counter[str]]]] = [
            (f"kw:{name}", {m: c for (t, m), c in delta.keywords.items() if t == name}) for name in topic_names
        ]
        families.append(("ht", delta.hashtags))
        families.append(("mn", delta.mentions))
        spans = self.roll_spans
        for family, per_minute in families:
            lines = "\n".join(
                f"{minute}\t{count}\t{_one_line(word)}"
                for minute, words in per_minute.items() if minute in live
                for word, count in words.items()
            )
            pipe.eval(ROLL, 1, keys.clock, keys.minute_prefix(family), keys.roll_prefix(family), ttl, lines, *spans)

    # -- reads -----------------------------------------------------------------------------
    def read_snapshot(self, window_s: int) -> Snapshot:
        """Everything the dashboard shows, read in one transaction (one round trip).

        Which bucket keys to read depends on the stream clock, so the read is planned from the
        clock seen last time; when the clock has moved to another minute (or the topics
        changed) since, the read is repeated with the new plan.
        """
        started = time.perf_counter()
        if self._topics is None or self._clock_guess_s is None:
            self._refresh_guess()
        server_full = False
        for _attempt in range(5):
            try:
                snapshot = self._try_read(window_s, started, server_full)
            except StoreFull:
                if server_full:
                    raise
                server_full = True
                continue
            if snapshot is not None:
                return snapshot
        raise StoreUnavailable("the stream clock moved on every read; try again")

    def _try_read(self, window_s: int, started: float, server_full: bool = False) -> Snapshot | None:
        """One snapshot read, or None when the plan was stale.

        A server over maxmemory (noeviction) refuses every command queued in MULTI and the
        scratch key's union; `server_full` reads without both: a plain pipeline, the word sets
        unioned in the reply (see `_queue_top`). Nothing is written meanwhile, so the view
        holds together without the transaction."""
        keys = self.keys
        topics = self._topics or ()
        spans = self._read_spans
        guess_s = self._clock_guess_s
        plan = _ReadPlan.for_clock(guess_s, window_s)
        scratch = None if server_full else keys.scratch(uuid.uuid4().hex[:12])

        def run() -> list[Any]:
            pipe = self.client.pipeline(transaction=not server_full)
            pipe.hgetall(keys.meta)
            pipe.hgetall(keys.totals)
            pipe.zscore(keys.clock, "clock")
            pipe.hgetall(keys.status)
            for minute in plan.rate_detail:
                pipe.hgetall(keys.rate(minute))
            series_keys = [ALL, *(t.name for t in topics)]
            for minute in plan.rate_summed:
                pipe.hmget(keys.rate(minute), [f"{k}:{MINUTE_TOTAL}" for k in series_keys])
            for topic in topics:
                if plan.window_minutes:
                    self._queue_top(pipe, f"kw:{topic.name}", plan, window_s, spans, scratch, CLOUD_WORDS)
                    pipe.pfcount(*(keys.authors(topic.name, m) for m in plan.window_minutes))
            for minute in plan.window_minutes:
                pipe.hgetall(keys.tally(minute))
            if plan.window_minutes:
                for family in ("ht", "mn"):
                    self._queue_top(pipe, family, plan, window_s, spans, scratch, TOP_N)
            pipe.xrevrange(keys.latest, count=FEED_SIZE)
            if scratch is not None:
                pipe.unlink(scratch)
            return pipe.execute()

        replies = self._call(run)
        meta = _parse_meta(replies[0])
        clock_ms = int(float(replies[2])) if replies[2] is not None else None
        clock_s = clock_ms // 1000 if clock_ms is not None else None
        new_topics = meta.topics if meta else ()
        new_spans = meta.roll_spans if meta else ()
        self._clock_guess_s = clock_s
        if new_topics != topics or new_spans != spans or _ReadPlan.for_clock(clock_s, window_s) != plan:
            self._topics, self._read_spans = new_topics, new_spans
            return None
        n_rates = len(plan.rate_detail)
        rate_by_minute = dict(zip(plan.rate_detail, replies[4 : 4 + n_rates]))
        series_keys = [ALL, *(t.name for t in topics)]
        for minute, totals in zip(plan.rate_summed, replies[4 + n_rates :]):
            # a whole minute's total, booked at its first second (exact at minute resolution)
            rate_by_minute[minute] = {f"{k}:0": v for k, v in zip(series_keys, totals) if v is not None}
        n_rates += len(plan.rate_summed)
        top: dict[str, list[tuple[str, int]]] = {}
        authors: dict[str, int] = {}
        cursor = 4 + n_rates
        if plan.window_minutes:
            for topic in topics:
                ranked = replies[cursor + 1][:CLOUD_WORDS]
                top[topic.name] = [(word, int(-score)) for word, score in ranked]
                authors[topic.name] = int(replies[cursor + 2])
                cursor += 3
        n_window = len(plan.window_minutes)
        tallies = dict(zip(plan.window_minutes, replies[cursor : cursor + n_window]))
        cursor += n_window
        hashtags: list[tuple[str, int]] = []
        mentions: list[tuple[str, int]] = []
        if plan.window_minutes:
            hashtags = [(w, int(-score)) for w, score in replies[cursor + 1][:TOP_N]]
            mentions = [(w, int(-score)) for w, score in replies[cursor + 3][:TOP_N]]
            cursor += 4
        feed = _parse_feed(replies[cursor])
        return _build_snapshot(
            namespace=self.namespace,
            meta=meta,
            totals=replies[1],
            status=replies[3],
            clock_ms=clock_ms,
            window_s=window_s,
            rate_by_minute=rate_by_minute,
            top_keywords=top,
            unique_authors=authors,
            round_trip_ms=(time.perf_counter() - started) * 1000,
            tallies=tallies,
            hashtags=hashtags,
            mentions=mentions,
            feed=feed,
        )

    def read_keyword(self, topic: str, word: str, *, minutes: int = DRILL_MINUTES,
                     scan: int = DRILL_SCAN, limit: int = DRILL_RECENT) -> KeywordDetail:
        """Drill-down for one keyword: per-minute counts (ZSCORE of each minute's keyword
        bucket) over the last `minutes` of stream time, and the newest posts of the `latest`
        stream whose text contains it. One transaction; read on demand, not every refresh."""
        if self._clock_guess_s is None:
            self._refresh_guess()
        keys = self.keys
        clock_s = self._clock_guess_s
        last = (clock_s if clock_s is not None else int(time.time())) // 60
        span = tuple(range(last - minutes + 1, last + 1))

        def run() -> list[Any]:
            pipe = self.client.pipeline(transaction=True)
            for minute in span:
                pipe.zscore(keys.keywords(topic, minute), word)
            pipe.xrevrange(keys.latest, count=scan)
            return pipe.execute()

        replies = self._call(run)
        counts = tuple(int(float(c)) if c is not None else 0 for c in replies[:-1])
        entries = _parse_feed(replies[-1])
        folded = word.casefold()
        recent = [
            e for e in entries
            if topic in e.topics and folded in tokenize(e.text)
        ][:limit]
        return KeywordDetail(topic, word, span[0], counts, tuple(recent), scanned=len(entries))

    def read_top_words(self, topic: str, window_s: int, n: int = 200) -> list[tuple[str, int]]:
        """The `n` most frequent words of `topic` over the window (for exports)."""
        self._refresh_guess()
        plan = _ReadPlan.for_clock(self._clock_guess_s, window_s)
        if not plan.window_minutes:
            return []
        weighted = {self.keys.keywords(topic, m): -1 for m in plan.window_minutes}
        scratch = self.keys.scratch(uuid.uuid4().hex[:12])

        def run() -> list[Any]:
            pipe = self.client.pipeline(transaction=True)
            pipe.zunionstore(scratch, weighted)
            pipe.zrange(scratch, 0, n - 1, withscores=True)
            pipe.unlink(scratch)
            return pipe.execute()

        try:
            ranked = self._call(run)[1]
        except StoreFull:  # the scratch key is a write: union in the reply instead
            ranked = self._call(lambda: self.client.zunion(weighted, withscores=True))[:n]
        return [(w, int(-score)) for w, score in ranked]

    def _queue_top(
        self, pipe: Any, family: str, plan: _ReadPlan, window_s: int, spans: tuple[int, ...],
        scratch: str | None, n: int,
    ) -> None:
        """Queue two commands whose second reply is the window's top `n` (negated scores).

        A standard window whose rolling set the writer keeps (`spans`, from its meta) reads
        that set (one ZRANGE); any other window unions the per-minute sets with weight -1
        (ascending rank = count descending, ties by word). Both give exactly the same list."""
        span = ROLL_SPANS.get(window_s)
        if span is not None and span in spans:
            roll = self.keys.roll_prefix(family) + str(span)
            pipe.exists(roll)  # keeps the reply layout of the union path
            pipe.zrange(roll, 0, n - 1, withscores=True)
            return
        prefix = self.keys.minute_prefix(family)
        weighted = {f"{prefix}{m}": -1 for m in plan.window_minutes}
        if scratch is None:  # a full server refuses the scratch key: the whole union in the reply
            pipe.exists(prefix)  # keeps the reply layout
            pipe.zunion(weighted, withscores=True)  # read-only (Redis 6.2); the caller keeps the first n
            return
        pipe.zunionstore(scratch, weighted)
        pipe.zrange(scratch, 0, n - 1, withscores=True)

    def _refresh_guess(self) -> None:
        def run() -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            pipe.hgetall(self.keys.meta)
            pipe.zscore(self.keys.clock, "clock")
            return pipe.execute()

        raw_meta, clock = self._call(run)
        meta = _parse_meta(raw_meta)
        self._topics = meta.topics if meta else ()
        self._read_spans = meta.roll_spans if meta else ()
        self._clock_guess_s = int(float(clock)) // 1000 if clock is not None else None

    # -- admin -----------------------------------------------------------------------------
    def reset(self) -> int:
        """Delete every key of the namespace (SCAN, never KEYS); returns how many."""

        def run() -> int:
            deleted = 0
            batch: list[str] = []
            for key in self.client.scan_iter(match=self.keys.match_all(), count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    deleted += self.client.unlink(*batch)
                    batch.clear()
            if batch:
                deleted += self.client.unlink(*batch)
            return deleted

        count = self._call(run)
        self._topics = None
        self._clock_guess_s = None
        return count


class WriteConflict(Exception):
    """A key a `begin_once` pipeline watched changed before its EXEC: nothing was written;
    begin again (which checks the guard and the posts again)."""


def execute_once(pipe: Any) -> None:
    """Run a `Store.begin_once` pipeline. A connection failing under WATCH is the
    connection's error (`connection_error_of`): whether it ran is unknown, and sending it
    again with the same token settles it. Only a watched key that changed is a conflict."""
    try:
        pipe.execute()
    except redis.exceptions.WatchError as exc:
        cause = connection_error_of(exc)
        if cause is not None:
            raise cause from None
        raise WriteConflict() from None


def connection_error_of(exc: redis.exceptions.WatchError) -> BaseException | None:
    """The connection's error behind a WatchError, None when a watched key changed.

    While keys are watched, redis-py does not send a command again after a connection error
    (a dropped connection, a timeout, a restarted server answering LOADING): it raises
    WatchError instead, with that error as the context. It is the connection's error, not
    a conflict with another writer."""
    cause = exc.__context__
    return cause if isinstance(cause, REDIS_ERRORS) else None


def window_span(window_s: int) -> int:
    """Minute buckets a window's keyword, author and mix figures cover: the window rounded
    up to whole minutes, plus the current (partial) minute."""
    return -(-window_s // 60) + 1


ROLL_SPANS = {w: window_span(w) for w in (60, 300, 900, 3600)}
"""The dashboard's windows, which get rolling keyword/hashtag/mention sets (see scripts.ROLL)."""


def kept_roll_spans(retention_s: int) -> tuple[int, ...]:
    """Spans (minutes) of the rolling word sets a writer with this retention keeps: a span must
    be shorter than the retention, or its oldest minute sets would be gone before they are
    subtracted."""
    retention_min = retention_s // 60
    return tuple(span for span in ROLL_SPANS.values() if span < retention_min - 1)


def window_minutes(clock_s: int, window_s: int) -> tuple[int, ...]:
    """The `window_span` minute buckets ending with the clock's minute."""
    clock_min = clock_s // 60
    return tuple(range(clock_min - window_span(window_s) + 1, clock_min + 1))


def _one_line(word: str) -> str:
    """A member safe for the tab/newline-separated script arguments."""
    return word.replace("\n", " ").replace("\t", " ") if ("\n" in word or "\t" in word) else word


@dataclass(frozen=True)
class _ReadPlan:
    """Bucket minutes a snapshot read needs for a given stream clock."""

    rate_minutes: tuple[int, ...]
    window_minutes: tuple[int, ...]
    minute_resolution: bool = False
    """The series is per minute: minutes wholly inside the window can be read as totals."""

    @property
    def rate_detail(self) -> tuple[int, ...]:
        """Minutes read second by second: all of them, or with minute resolution only the
        oldest (partly outside the window) and the last two (the 10 s rate)."""
        if not self.minute_resolution or len(self.rate_minutes) <= 3:
            return self.rate_minutes
        return (self.rate_minutes[0], *self.rate_minutes[-2:])

    @property
    def rate_summed(self) -> tuple[int, ...]:
        detail = set(self.rate_detail)
        return tuple(m for m in self.rate_minutes if m not in detail)

    @classmethod
    def for_clock(cls, clock_s: int | None, window_s: int) -> _ReadPlan:
        if clock_s is None:
            return cls((), ())
        span = max(window_s, RATE_SPAN_S)
        return cls(
            tuple(range((clock_s - span) // 60, clock_s // 60 + 1)),
            window_minutes(clock_s, window_s),
            series_bucket_s(window_s) == 60,
        )


def _parse_feed(raw: list[Any]) -> tuple[FeedEntry, ...]:
    """XREVRANGE entries -> FeedEntry (newest first); malformed entries are skipped."""
    entries: list[FeedEntry] = []
    for _stream_id, fields in raw or ():
        try:
            created_ms = int(fields.get("ms", "0"))
        except ValueError:
            continue
        entries.append(
            FeedEntry(
                id=fields.get("id", ""),
                created_ms=created_ms,
                author=fields.get("author", ""),
                topics=tuple(t for t in fields.get("topics", "").split(",") if t),
                text=fields.get("text", ""),
                is_retweet=fields.get("rt") == "1",
            )
        )
    return tuple(entries)


def _int(value: str | None) -> int:
    try:
        return int(value) if value else 0
    except ValueError:
        return 0


def _sum_tallies(tallies: dict[int, dict[str, str]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for fields in tallies.values():
        for name, value in (fields or {}).items():
            total[name] = total.get(name, 0) + _int(value)
    return total


def _sentiment_of(fields: dict[str, int], key: str) -> Sentiment | None:
    pos = fields.get(f"snt:{key}:pos", 0)
    neu = fields.get(f"snt:{key}:neu", 0)
    neg = fields.get(f"snt:{key}:neg", 0)
    if not pos + neu + neg:
        return None
    return Sentiment(fields.get(f"snt:{key}:sum", 0), pos, neu, neg)


def _mood_series(tallies: dict[int, dict[str, str]], keys: list[str]) -> MoodSeries:
    if not tallies:
        return MoodSeries()
    minutes = sorted(tallies)
    columns: dict[str, list[float | None]] = {key: [] for key in keys}
    for minute in minutes:
        fields = {k: _int(v) for k, v in (tallies[minute] or {}).items() if k.startswith("snt:")}
        for key in keys:
            mood = _sentiment_of(fields, key)
            columns[key].append(mood.mean if mood is not None else None)
    return MoodSeries(minutes[0], {key: tuple(values) for key, values in columns.items()})


def series_bucket_s(window_s: int) -> int:
    if window_s <= 300:
        return 1
    if window_s <= 900:
        return 10
    return 60


def _parse_meta(raw: dict[str, str]) -> Meta | None:
    if not raw or "topics" not in raw:
        return None
    try:
        topics = tuple(Topic(str(n), tuple(str(k) for k in kws)) for n, kws in json.loads(raw["topics"]))
    except (ValueError, TypeError):
        topics = ()
    retention = raw.get("retention_s", "")
    return Meta(topics=topics, source=raw.get("source", UNKNOWN_SOURCE), is_demo=raw.get("demo") == "1",
                retention_s=int(retention) if retention.isdigit() and int(retention) > 0 else None)


def _build_snapshot(
    *,
    namespace: str,
    meta: Meta | None,
    totals: dict[str, str],
    status: dict[str, str],
    clock_ms: int | None,
    window_s: int,
    rate_by_minute: dict[int, dict[str, str]],
    top_keywords: dict[str, list[tuple[str, int]]],
    unique_authors: dict[str, int],
    round_trip_ms: float,
    tallies: dict[int, dict[str, str]] | None = None,
    hashtags: list[tuple[str, int]] | None = None,
    mentions: list[tuple[str, int]] | None = None,
    feed: tuple[FeedEntry, ...] = (),
) -> Snapshot:
    topics = meta.topics if meta else ()
    tallies = tallies or {}
    window_tally = _sum_tallies(tallies)
    languages = sorted(
        ((name[5:], n) for name, n in window_tally.items() if name.startswith("lang:") and n > 0),
        key=lambda pair: (-pair[1], pair[0]),
    )
    mix = StreamMix(
        tweets=window_tally.get("tweets", 0),
        retweets=window_tally.get("retweets", 0),
        quotes=window_tally.get("quotes", 0),
        replies=window_tally.get("replies", 0),
        links=window_tally.get("links", 0),
        languages=tuple(languages[:TOP_N]),
        hashtags=tuple(hashtags or ()),
        mentions=tuple(mentions or ()),
    )
    bucket_s = series_bucket_s(window_s)
    if clock_ms is not None:
        clock_s = clock_ms // 1000
        last = clock_s // bucket_s
    else:
        clock_s = 0
        last = int(time.time()) // bucket_s
    n_buckets = max(1, window_s // bucket_s)
    first = last - n_buckets + 1
    window_lo, rate_lo = clock_s - window_s, clock_s - RATE_SPAN_S
    span_lo = clock_s // 60 - window_span(window_s) + 1
    # one pass over every per-second field: series buckets, window totals, 10 s rate totals
    # and the posts of the window's whole minutes (the span its author estimates cover)
    keys = [ALL, *(t.name for t in topics)]
    buckets_of = {key: [0] * n_buckets for key in keys}
    in_window = dict.fromkeys(keys, 0)
    in_rate = dict.fromkeys(keys, 0)
    in_span = dict.fromkeys(keys, 0)
    head = dict.fromkeys(keys, 0)
    for minute, fields in rate_by_minute.items():
        in_span_minute = minute >= span_lo
        base = minute * 60
        for field_name, value in fields.items():
            key, _, sec = field_name.rpartition(":")
            buckets = buckets_of.get(key)
            if buckets is None or not sec.isdigit():
                continue
            second, n = base + int(sec), int(value)
            if second <= clock_s:
                if in_span_minute:
                    in_span[key] += n
                if second > window_lo:
                    in_window[key] += n
                if second > rate_lo:
                    in_rate[key] += n
            index = second // bucket_s - first
            if 0 <= index < n_buckets:
                buckets[index] += n
            elif index < 0 and window_lo < second <= clock_s:
                head[key] += n
    counts = {key: tuple(buckets) for key, buckets in buckets_of.items()}

    def rate(key: str) -> float:
        return in_rate[key] / RATE_SPAN_S if clock_ms else 0.0

    stats = tuple(
        TopicStats(
            name=t.name,
            keywords=t.keywords,
            count_total=int(totals.get(f"topic:{t.name}", 0)),
            count_window=in_window[t.name] if clock_ms else 0,
            rate_per_s=rate(t.name),
            # a HyperLogLog estimate (~1% off) can exceed the posts it counted: never show more.
            # Those are the posts of the window's whole minutes, not of the window: capping at
            # the window's posts made the estimate just that count (QA)
            unique_authors=min(unique_authors.get(t.name, 0), in_span[t.name] if clock_ms else 0),
            top_keywords=tuple(top_keywords.get(t.name, ())[:TOP_N]),
            cloud_words=tuple(top_keywords.get(t.name, ())),
            sentiment=_sentiment_of(window_tally, t.name),
        )
        for t in topics
    )
    return Snapshot(
        namespace=namespace,
        source=meta.source if meta else UNKNOWN_SOURCE,
        is_demo=meta.is_demo if meta else False,
        retention_s=meta.retention_s if meta else None,
        window_s=window_s,
        stream_clock=datetime.fromtimestamp(clock_ms / 1000, UTC) if clock_ms is not None else None,
        read_at=datetime.now(UTC),
        total=int(totals.get("total", 0)),
        control=int(totals.get("control", 0)),
        rejected=int(totals.get("rejected", 0)),
        duplicates=int(totals.get("duplicates", 0)),
        total_window=in_window[ALL] if clock_ms else 0,
        rate_per_s=rate(ALL),
        topics=stats,
        series=Series(start_epoch=first * bucket_s, bucket_s=bucket_s, counts=counts,
                      head=head if clock_ms is not None else {}),
        round_trip_ms=round_trip_ms,
        collector_status=status.get("line", "") if status else "",
        collector_state=status.get("state", "") if status else "",
        collector_detail=status.get("detail", "") if status else "",
        collector_seen_at=_float_or_none(status.get("at")) if status else None,
        sentiment=_sentiment_of(window_tally, ALL),
        mix=mix,
        feed=feed,
        mood=_mood_series(tallies, [ALL, *(t.name for t in topics)]),
    )


def _float_or_none(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None
