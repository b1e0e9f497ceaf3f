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


TRUMP_CLOUD: tuple[tuple[str, int], ...] = TRUMP_KEYWORDS + (
    ("economy", 55), ("trade", 50), ("china", 44), ("border", 40), ("news", 33),
    ("fake", 30), ("great", 28), ("america", 25), ("tonight", 20), ("crowd", 18),
)
BIDEN_CLOUD: tuple[tuple[str, int], ...] = BIDEN_KEYWORDS + (
    ("senate", 50), ("america", 45), ("family", 40), ("scranton", 33), ("union", 30),
    ("kamala", 28), ("soul", 22), ("plan", 20), ("masks", 15), ("science", 12),
)
CLOCK_MS = int(STREAM_CLOCK.timestamp() * 1000)

FEED: tuple[FeedEntry, ...] = tuple(
    FeedEntry(str(1000 - i), CLOCK_MS - i * 7_000, author, topics, text, rt)
    for i, (author, topics, text, rt) in enumerate(
        (
            ("nightowl", ("trump",), "Polls in Florida close in an hour, the rally crowd is still here", False),
            ("joe_fan_88", ("biden",), "Delaware is ready. Vote vote vote! https://t.co/x", False),
            ("newsdesk", ("trump", "biden"), "Debate recap: jobs, health care and the economy", True),
            ("ohio_voter", ("trump",), "Long lines in Columbus this morning, great turnout", False),
            ("climatenow", ("biden",), "Climate was barely mentioned tonight. Sad.", True),
            ("pollster", ("trump", "biden"), "New polls: the race is tightening in Pennsylvania", False),
            ("maga_mike", ("trump",), "MAGA! Build the wall and make jobs great again", False),
            ("unity2020", ("biden",), "Unity over division, that is the message", False),
        )
    )
)


def make_sentiment(mean: float, pos: int, neu: int, neg: int) -> Sentiment:
    n = pos + neu + neg
    return Sentiment(round(mean * 10_000 * n), pos, neu, neg)


def make_mood(window_s: int) -> MoodSeries:
    last = int(STREAM_CLOCK.timestamp()) // 60
    first = (int(STREAM_CLOCK.timestamp()) - window_s + 1) // 60
    n = last - first + 1
    return MoodSeries(
        first,
        {
            ALL: tuple(round(0.05 + 0.1 * ((i % 5) - 2) / 2, 4) for i in range(n)),
            "trump": tuple(round(0.2 - 0.08 * (i % 4), 4) for i in range(n)),
            "biden": tuple(None if i == 1 else round(-0.1 + 0.07 * (i % 3), 4) for i in range(n)),
        },
    )


MIX = StreamMix(
    tweets=2_322, retweets=951, quotes=186, replies=511, links=697,
    languages=(("en", 1650), ("es", 302), ("pt", 140), ("und", 120), ("fr", 60), ("ja", 50)),
    hashtags=(("maga", 320), ("vote", 260), ("election2016", 190), ("debates", 90), ("imwithher", 80)),
    mentions=(("realdonaldtrump", 410), ("joebiden", 380), ("cnn", 75), ("foxnews", 60)),
)


def make_detail(topic: str, word: str) -> KeywordDetail:
    last = int(STREAM_CLOCK.timestamp()) // 60
    counts = tuple(5 + _wave(i, 20, 6) for i in range(60))
    recent = tuple(e for e in FEED if topic in e.topics)[:4]
    return KeywordDetail(topic, word, last - 59, counts, recent, scanned=len(FEED))


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
    collector_status: str = "replay · election-night.jsonl · 40 tweets/s · reading",
    collector_state: str = "reading",
    collector_detail: str = "election-night.jsonl · 40 tweets/s",
    collector_seen_at: float | None = READ_AT.timestamp() - 1,
    round_trip_ms: float = 1.2,
    stream_clock: datetime | None = STREAM_CLOCK,
    read_at: datetime = READ_AT,
    feed: tuple[FeedEntry, ...] = FEED,
    sentiment: bool = True,
) -> Snapshot:
    topics = (
        TopicStats("trump", ("trump", "donald"), trump_total, trump_total // 10, 4.5, 812,
                   trump_keywords, cloud_words=TRUMP_CLOUD if trump_keywords is TRUMP_KEYWORDS else (),
                   sentiment=make_sentiment(0.1234, 410, 520, 304) if sentiment else None),
        TopicStats("biden", ("biden", "joe"), biden_total, biden_total // 10, 3.25, 640,
                   biden_keywords, cloud_words=BIDEN_CLOUD if biden_keywords is BIDEN_KEYWORDS else (),
                   sentiment=make_sentiment(-0.0712, 280, 390, 317) if sentiment else None),
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
        collector_state=collector_state,
        collector_detail=collector_detail,
        collector_seen_at=collector_seen_at,
        sentiment=make_sentiment(0.0311, 720, 1010, 592) if sentiment else None,
        mix=MIX,
        feed=feed,
        mood=make_mood(window_s) if sentiment else MoodSeries(),
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
        self.keyword_calls: list[tuple[str, str]] = []
        self.build_detail = make_detail
        self._lock = threading.Lock()

    def read_keyword(self, topic: str, word: str) -> KeywordDetail:
        with self._lock:
            self.keyword_calls.append((topic, word))
        if self.failure is not None:
            raise StoreUnavailable(self.failure)
        return self.build_detail(topic, word)

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


HOSTILE_FEED: tuple[FeedEntry, ...] = (
    FeedEntry("h1", CLOCK_MS, "evil\x1b[31m", ("trump",), "clip\x1b]52;c;aGVsbG8=\x07board", False),
    FeedEntry("h2", CLOCK_MS - 1000, "wiper", ("biden",), "\x1b[2Jwipe the screen", True),
    FeedEntry("h3", CLOCK_MS - 2000, "[bold]mark[/]", ("trump",), "[bold red]x[/] is literal", False),
    FeedEntry("h4", CLOCK_MS - 3000, "bidi", ("trump", "biden"), "rtl\u202egnp.exe\nsecond line", False),
)


def region_text(app: App, widget: Widget) -> str:  # type: ignore[type-arg]
    """What the screen shows inside `widget`'s region (children of containers included)."""
    region = widget.region
    rows = screen_text(app).splitlines()[region.y : region.y + region.height]
    return "\n".join(row[region.x : region.x + region.width] for row in rows)
