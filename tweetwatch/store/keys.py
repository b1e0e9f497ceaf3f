"""Every Redis key tweetwatch uses, in one place (documented in docs/redis-keys.md).

All keys of a namespace start with `{<ns>}:`. The braces are a Redis Cluster hash tag: every
key of a namespace lands in one slot, so one MULTI/EXEC can touch them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tweetwatch.errors import UsageError

NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TOPIC_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
RESERVED_TOPIC_NAMES = ("all", "start", "bucket_s")
"""Names shown beside the topics' own: the `all` row, column and line (every post) of exports
and the dashboard, and series.csv's `start` and `bucket_s` columns. A topic of that name
would overwrite or duplicate them."""


def validate_namespace(ns: str) -> str:
    if not NAMESPACE_RE.match(ns):
        raise UsageError(
            f"invalid namespace {ns!r}: use 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit"
        )
    return ns


def validate_topic_name(name: str) -> str:
    if not TOPIC_RE.match(name):
        raise UsageError(
            f"invalid topic name {name!r}: use 1-32 lowercase letters, digits, '_' or '-', starting with a letter or digit"
        )
    if name in RESERVED_TOPIC_NAMES:
        raise UsageError(
            f"invalid topic name {name!r}: {', '.join(RESERVED_TOPIC_NAMES)} are reserved"
            " (exports and the dashboard name their own rows and columns so)"
        )
    return name


@dataclass(frozen=True)
class Keys:
    namespace: str

    @property
    def prefix(self) -> str:
        return "{" + self.namespace + "}:"

    # -- whole-namespace keys --------------------------------------------------------------
    @property
    def meta(self) -> str:
        """HASH: topics (JSON), source, demo, created_at, version — written by the collector."""
        return self.prefix + "meta"

    @property
    def totals(self) -> str:
        """HASH: all-time counters (total, control, rejected, duplicates, topic:<name>, ...)."""
        return self.prefix + "totals"

    @property
    def clock(self) -> str:
        """ZSET with one member `clock`: score = newest created_at in ms (ZADD GT keeps the max)."""
        return self.prefix + "clock"

    @property
    def minutes(self) -> str:
        """ZSET of epoch minutes that have buckets (score = minute): drives stream-clock retention."""
        return self.prefix + "minutes"

    @property
    def latest(self) -> str:
        """STREAM of the newest tweets (capped with MAXLEN ~) for the live feed."""
        return self.prefix + "latest"

    @property
    def status(self) -> str:
        """HASH: the collector's last status line and when it was published."""
        return self.prefix + "status"

    @property
    def checkpoints(self) -> str:
        """HASH: source label -> where that source resumes (Jetstream: the newest `time_us`
        counted). Written in the same transaction as the counts it covers."""
        return self.prefix + "checkpoints"

    def collector(self, source_label: str) -> str:
        """STRING with a TTL: the lease of the one process that reads `source_label` into this
        namespace (its host, pid and start time; see store/lease.py)."""
        return self.prefix + "collector:" + source_label

    @property
    def raw(self) -> str:
        """STREAM of raw input lines (`collect --raw-only`), read by `process` workers through a
        consumer group; capped with MAXLEN ~."""
        return self.prefix + "raw"

    def applied(self, writer: str) -> str:
        """STRING: the token of a writer's last applied batch (see `Store.write`), so a batch
        whose reply was lost is not applied twice when it is sent again."""
        return f"{self.prefix}applied:{writer}"

    def roll_prefix(self, family: str) -> str:
        """Prefix of the rolling window sets of a word family (`kw:<topic>`, `ht`, `mn`): the
        span in minutes is appended (a ZSET of negated counts), and `:mark` to that (a STRING,
        the newest minute already subtracted). Maintained by scripts.ROLL."""
        return f"{self.prefix}roll:{family}:"

    def minute_prefix(self, family: str) -> str:
        """Prefix of a word family's per-minute sets (the minute is appended)."""
        return f"{self.prefix}{family}:"

    def fence(self, consumer: str) -> str:
        """STRING counter a stream worker checks before writing; bumped when another worker
        claims its stale entries (so a slow-but-alive worker can't count them twice)."""
        return f"{self.prefix}fence:{consumer}"

    def scratch(self, token: str) -> str:
        """Temporary ZSET a reader unions keyword buckets into (deleted in the same transaction)."""
        return f"{self.prefix}tmp:{token}"

    # -- per-minute buckets (expire with the retention) ------------------------------------
    def rate(self, minute: int) -> str:
        """HASH: field `<topic or _all>:<second 0-59>` -> tweets in that second of stream time."""
        return f"{self.prefix}rate:{minute}"

    def keywords(self, topic: str, minute: int) -> str:
        """ZSET: word -> count for tweets of `topic` in that minute."""
        return f"{self.prefix}kw:{topic}:{minute}"

    def authors(self, topic: str, minute: int) -> str:
        """HyperLogLog of author ids for `topic` (or `_all`) in that minute."""
        return f"{self.prefix}au:{topic}:{minute}"

    def seen(self, minute: int) -> str:
        """SET of tweet ids created in that minute (dedupe across reconnects and processes)."""
        return f"{self.prefix}seen:{minute}"

    def tally(self, minute: int) -> str:
        """HASH of per-minute tallies: `tweets`, `retweets`, `quotes`, `replies`, `links`,
        `lang:<code>`, and `snt:<topic or _all>:<sum|pos|neu|neg>` (sentiment; sum in 1/10,000
        compound units)."""
        return f"{self.prefix}tally:{minute}"

    def hashtags(self, minute: int) -> str:
        """ZSET: casefolded hashtag -> posts using it in that minute (all posts)."""
        return f"{self.prefix}ht:{minute}"

    def mentions(self, minute: int) -> str:
        """ZSET: casefolded mentioned username -> mentions in that minute (all posts)."""
        return f"{self.prefix}mn:{minute}"

    def bucket_keys(self, minute: int, topics: tuple[str, ...]) -> list[str]:
        """Every key that belongs to one minute bucket, for retention deletes."""
        from tweetwatch.store.snapshot import ALL

        keys = [
            self.rate(minute),
            self.seen(minute),
            self.authors(ALL, minute),
            self.tally(minute),
            self.hashtags(minute),
            self.mentions(minute),
        ]
        for topic in topics:
            keys.append(self.keywords(topic, minute))
            keys.append(self.authors(topic, minute))
        return keys

    def match_all(self) -> str:
        """SCAN pattern for every key of the namespace (used by `reset` only)."""
        escaped = self.namespace.replace("[", "\\[").replace("]", "\\]").replace("*", "\\*")
        return "\\{" + escaped + "\\}:*"
