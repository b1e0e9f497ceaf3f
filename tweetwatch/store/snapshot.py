"""What the dashboard and `summary` see: one immutable reading of the namespace.

A `Snapshot` is produced by `Store.read_snapshot()` in one pipelined round trip and is
the only thing widgets render. It is plain data (no Redis handles), so tests can build
one by hand and inject it into the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ALL = "_all"
"""Series key for all tweets (topic names may not start with an underscore)."""


SENTIMENT_UNITS = 10_000
"""Compound scores are summed as integers of 1/10,000 (see pipeline/sentiment.py)."""


@dataclass(frozen=True)
class Sentiment:
    """VADER sentiment over a window: exact sums of per-minute tallies."""

    compound_units: int = 0
    """Sum of compound scores in 1/10,000 units."""
    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def scored(self) -> int:
        return self.positive + self.neutral + self.negative

    @property
    def mean(self) -> float | None:
        """Mean compound score in [-1, 1]; None when nothing was scored."""
        n = self.scored
        return self.compound_units / SENTIMENT_UNITS / n if n else None

    def shares(self) -> tuple[float, float, float] | None:
        """(positive, neutral, negative) shares in [0, 1]; None when nothing was scored."""
        n = self.scored
        if not n:
            return None
        return self.positive / n, self.neutral / n, self.negative / n


@dataclass(frozen=True)
class StreamMix:
    """What kind of posts the window holds (whole minutes overlapping the window)."""

    tweets: int = 0
    retweets: int = 0
    quotes: int = 0
    replies: int = 0
    links: int = 0
    languages: tuple[tuple[str, int], ...] = ()
    """Top languages, count descending then code ascending."""
    hashtags: tuple[tuple[str, int], ...] = ()
    """Top 10 hashtags (casefolded), count descending then tag ascending."""
    mentions: tuple[tuple[str, int], ...] = ()
    """Top 10 mentioned usernames (casefolded)."""

    def share(self, kind: str) -> float | None:
        """Share of `retweets`, `quotes`, `replies` or `links` among the window's posts."""
        if not self.tweets:
            return None
        return getattr(self, kind) / self.tweets


@dataclass(frozen=True)
class FeedEntry:
    """One post from the `latest` stream, as stored (text is untrusted: sanitize to show)."""

    id: str
    created_ms: int
    author: str
    topics: tuple[str, ...]
    text: str
    is_retweet: bool


@dataclass(frozen=True)
class MoodSeries:
    """Mean compound score per minute of the window, per key (ALL and each topic)."""

    start_minute: int = 0
    """Epoch minute of the first value."""
    means: dict[str, tuple[float | None, ...]] = field(default_factory=dict)
    """None where no post of that key was scored in the minute."""


@dataclass(frozen=True)
class KeywordDetail:
    """The drill-down view of one keyword: its per-minute trend and recent posts with it."""

    topic: str
    word: str
    start_minute: int
    """Epoch minute of the first count."""
    counts: tuple[int, ...]
    """Posts of `topic` using `word` per minute, oldest first."""
    recent: tuple[FeedEntry, ...]
    """Newest first, from the capped `latest` stream."""
    scanned: int = 0
    """How many recent posts were searched."""


@dataclass(frozen=True)
class TopicStats:
    name: str
    keywords: tuple[str, ...]
    count_total: int
    """Tweets matching this topic since the namespace was created."""
    count_window: int
    """Tweets matching this topic inside the selected window."""
    rate_per_s: float
    """Tweets per second over the last 10 s of stream time."""
    unique_authors: int
    """Distinct authors inside the window (HyperLogLog estimate, ~1% error)."""
    top_keywords: tuple[tuple[str, int], ...]
    """Top 10 co-occurring words over the window, count descending then word ascending."""
    cloud_words: tuple[tuple[str, int], ...] = ()
    """Top words for the word cloud (up to 30, same order); empty means use `top_keywords`."""
    sentiment: Sentiment | None = None
    """None when sentiment is off or nothing was scored in the window."""

    @property
    def words_for_cloud(self) -> tuple[tuple[str, int], ...]:
        return self.cloud_words or self.top_keywords


@dataclass(frozen=True)
class Series:
    """Tweets per bucket of stream time, oldest first, one tuple per key (ALL + topics)."""

    start_epoch: int
    """Epoch second at which the first bucket starts."""
    bucket_s: int
    counts: dict[str, tuple[int, ...]] = field(default_factory=dict)
    head: dict[str, int] = field(default_factory=dict)
    """Posts per key in the window before the first bucket: the window starts inside the
    bucket before it (exports add them as a shorter first row; the chart leaves them out)."""

    def rates(self, key: str) -> tuple[float, ...]:
        return tuple(c / self.bucket_s for c in self.counts.get(key, ()))

    @property
    def length(self) -> int:
        return len(self.counts.get(ALL, ()))


@dataclass(frozen=True)
class Snapshot:
    namespace: str
    source: str
    """Source label recorded by the collector (`demo`, `replay`, ...), or `unknown`."""
    is_demo: bool
    window_s: int
    stream_clock: datetime | None
    """Newest created_at seen (UTC), the dashboard's "now"; None before the first tweet."""
    read_at: datetime
    """Wall-clock time of the read (UTC); `read_at - stream_clock` is the lag."""
    total: int
    control: int
    rejected: int
    duplicates: int
    total_window: int
    rate_per_s: float
    topics: tuple[TopicStats, ...]
    series: Series
    round_trip_ms: float = 0.0
    collector_status: str = ""
    """Last status line the collector published (may be empty)."""
    collector_state: str = ""
    """The collector's state in that line: `reading`, `stopped`, `redis unreachable`, ..."""
    collector_detail: str = ""
    """The rest of that line after the source's label: rate, counts, the source's state."""
    retention_s: int | None = None
    """How long the collector keeps per-minute buckets (None: not recorded). A window longer
    than it shows only the retention's figures."""
    collector_seen_at: float | None = None
    """When it was published (epoch seconds, the collector's clock); None: never."""
    sentiment: Sentiment | None = None
    """All posts of the window; None when sentiment is off or nothing was scored."""
    mix: StreamMix = field(default_factory=StreamMix)
    feed: tuple[FeedEntry, ...] = ()
    """Newest posts first, from the capped `latest` stream."""
    mood: MoodSeries = field(default_factory=MoodSeries)

    def topic(self, name: str) -> TopicStats | None:
        return next((t for t in self.topics if t.name == name), None)

    @property
    def collector_age_s(self) -> float | None:
        """Seconds from the collector's last status to this read (None: never heard)."""
        if self.collector_seen_at is None:
            return None
        return max(self.read_at.timestamp() - self.collector_seen_at, 0.0)

    @property
    def lag_s(self) -> float | None:
        if self.stream_clock is None:
            return None
        return (self.read_at - self.stream_clock).total_seconds()

    def same_data(self, other: Snapshot | None) -> bool:
        """True when a repaint would show the same numbers (ignores read time and RTT)."""
        if other is None:
            return False
        return (
            self.total == other.total
            and self.control == other.control
            and self.rejected == other.rejected
            and self.duplicates == other.duplicates
            and self.window_s == other.window_s
            and self.stream_clock == other.stream_clock
            and self.topics == other.topics
            and self.series == other.series
            and self.source == other.source
            and self.collector_status == other.collector_status
            and self.collector_seen_at == other.collector_seen_at
            and self.sentiment == other.sentiment
            and self.mix == other.mix
            and self.feed == other.feed
            and self.mood == other.mood
        )
