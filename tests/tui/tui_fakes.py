"""Deterministic Snapshots and readers for the dashboard tests.

The dashboard's only door is the `SnapshotReader` protocol, so an injected reader that
returns hand-built Snapshots is the real interface, not a mock of the store.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget

from tweetwatch.errors import StoreUnavailable
from tweetwatch.store.snapshot import ALL, Series, Snapshot, TopicStats

STREAM_CLOCK = datetime(2016, 11, 8, 20, 15, 30, tzinfo=UTC)
READ_AT = STREAM_CLOCK + timedelta(seconds=0.4)
FIXED_NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)

TRUMP_KEYWORDS: tuple[tuple[str, int], ...] = (
    ("maga", 412), ("vote", 380), ("election", 301), ("wall", 222), ("rally", 190),
    ("florida", 150), ("debate", 121), ("polls", 99), ("media", 80), ("jobs", 61),
)
BIDEN_KEYWORDS: tuple[tuple[str, int], ...] = (
    ("vote", 350), ("joe", 310), ("delaware", 205), ("debate", 170), ("obama", 160),
    ("health", 130), ("polls", 101), ("climate", 90), ("unity", 70), ("jobs", 52),
)


def fixed_clock() -> datetime:
    return FIXED_NOW


def bucket_for(window_s: int) -> int:
    """The store's bucket rule: 1 s up to 5 min, 10 s for 15 min, 60 s beyond."""
    if window_s <= 300:
        return 1
    if window_s <= 900:
        return 10
    return 60


def _wave(i: int, period: int, amplitude: int) -> int:
    """A triangle wave in 0..2*amplitude, the same everywhere."""
    phase = i % period
    half = period // 2
    rise = phase if phase < half else period - phase
    return (2 * amplitude * rise) // half


def make_series(window_s: int, *, trump_scale: int = 1, biden_scale: int = 1) -> Series:
    bucket_s = bucket_for(window_s)
    n = window_s // bucket_s
    # Smooth, slow waves (integer arithmetic only, so every platform draws the same chart).
    trump = tuple(trump_scale * bucket_s * (4 + _wave(i, 40, 3)) for i in range(n))
    biden = tuple(biden_scale * bucket_s * (3 + _wave(i + 17, 60, 2)) for i in range(n))
    overall = tuple(t + b + bucket_s for t, b in zip(trump, biden))
    start = int(STREAM_CLOCK.timestamp()) - window_s + 1
    return Series(start, bucket_s, {ALL: overall, "trump": trump, "biden": biden})


def make_snapshot(
    window_s: int = 300,
    *,
    trump_total: int = 12_345,
    biden_total: int = 9_876,
    trump_keywords: tuple[tuple[str, int], ...] = TRUMP_KEYWORDS,
    biden_keywords: tuple[tuple[str, int], ...] = BIDEN_KEYWORDS,
    is_demo: bool = False,
    source: str = "replay",
    collector_status: str = "replaying election-night.jsonl",
    round_trip_ms: float = 1.2,
    stream_clock: datetime | None = STREAM_CLOCK,
    read_at: datetime = READ_AT,
) -> Snapshot:
    topics = (
        TopicStats("trump", ("trump", "donald"), trump_total, trump_total // 10, 4.5, 812,
                   trump_keywords),
        TopicStats("biden", ("biden", "joe"), biden_total, biden_total // 10, 3.25, 640,
                   biden_keywords),
    )
    return Snapshot(
        namespace="election",
        source=source,
        is_demo=is_demo,
        window_s=window_s,
        stream_clock=stream_clock,
        read_at=read_at,
        total=trump_total + biden_total + 1_000,
        control=12,
        rejected=3,
        duplicates=7,
        total_window=(trump_total + biden_total) // 10 + 100,
        rate_per_s=8.25,
        topics=topics,
        series=make_series(window_s),
        round_trip_ms=round_trip_ms,
        collector_status=collector_status,
    )


class FakeReader:
    """A SnapshotReader over hand-built data.

    `build(window_s)` makes each snapshot; tests swap it, or set `failure` to make every
    read raise StoreUnavailable with that message, as the real store does without Redis.
    Records the window of every call.
    """

    def __init__(self, build=make_snapshot, failure: str | None = None) -> None:  # type: ignore[no-untyped-def]
        self.build = build
        self.failure = failure
        self.calls: list[int] = []
        self._lock = threading.Lock()

    def read_snapshot(self, window_s: int) -> Snapshot:
        with self._lock:
            self.calls.append(window_s)
        if self.failure is not None:
            raise StoreUnavailable(self.failure)
        return self.build(window_s)


def screen_strips(app: App) -> list[Strip]:  # type: ignore[type-arg]
    """The composited screen, as the driver would receive it (text plus styles)."""
    return app.screen._compositor.render_strips()


def screen_text(app: App) -> str:  # type: ignore[type-arg]
    """Every visible character of the current screen, one line per row."""
    return "\n".join(strip.text for strip in screen_strips(app))


def text_of(widget: Widget) -> str:
    """One widget's on-screen text (border included), one line per row."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    return "\n".join(strip.text for strip in widget.render_lines(region))


async def settle(pilot: Pilot) -> None:  # type: ignore[type-arg]
    """Let in-flight reads finish and their messages reach the widgets."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
