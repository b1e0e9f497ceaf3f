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


@dataclass(frozen=True)
class Series:
    """Tweets per bucket of stream time, oldest first, one tuple per key (ALL + topics)."""

    start_epoch: int
    """Epoch second at which the first bucket starts."""
    bucket_s: int
    counts: dict[str, tuple[int, ...]] = field(default_factory=dict)

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

    def topic(self, name: str) -> TopicStats | None:
        return next((t for t in self.topics if t.name == name), None)

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
        )
