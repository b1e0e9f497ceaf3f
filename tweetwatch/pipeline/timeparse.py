"""Timestamps of posts -> epoch milliseconds, and what counts as a plausible time.

Shared by every normalizer. A time before 2005 or more than FUTURE_SLACK_MS ahead of the wall
clock is not plausible (no real post is from the future, and one bad timestamp must not drag
the stream clock, the dashboard's "now", years ahead); callers then fall back to another
source of time (the snowflake id, Jetstream's receive time) or reject the post.
"""

from __future__ import annotations

import time
from datetime import datetime

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_TWITTER_EPOCH_MS = 1288834974657
_MIN_MS = 1_104_537_600_000  # 2005-01-01, before any post on any network
FUTURE_SLACK_MS = 10 * 60 * 1000


def parse_v1_time(value: str) -> int | None:
    """`Wed Apr 19 14:31:05 +0000 2016` -> epoch ms; None when malformed."""
    parts = value.split()
    if len(parts) != 6 or parts[1] not in _MONTHS:
        return None
    try:
        hh, mm, ss = (int(x) for x in parts[3].split(":"))
        offset = parts[4]
        sign = -1 if offset[0] == "-" else 1
        offset_s = sign * (int(offset[1:3]) * 3600 + int(offset[3:5]) * 60)
        stamp = datetime(int(parts[5]), _MONTHS[parts[1]], int(parts[2]), hh, mm, ss)
    except (ValueError, IndexError):
        return None
    epoch = (stamp - _EPOCH).total_seconds() - offset_s
    return plausible_ms(int(epoch * 1000))


_EPOCH = datetime(1970, 1, 1)


def parse_iso_time(value: str) -> int | None:
    """`2021-04-01T15:52:31.000Z` (any ISO 8601 with offset) -> epoch ms; naive means UTC."""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        return plausible_ms(int((stamp - _EPOCH).total_seconds() * 1000))
    return plausible_ms(int(stamp.timestamp() * 1000))


def snowflake_ms(tweet_id: str) -> int | None:
    """Creation time encoded in a snowflake id (X, since late 2010); None for older ids."""
    if not tweet_id.isdigit() or len(tweet_id) < 15:
        return None
    return plausible_ms((int(tweet_id) >> 22) + _TWITTER_EPOCH_MS)


def plausible_ms(ms: int) -> int | None:
    """`ms` when it is a plausible post time, else None."""
    if ms < _MIN_MS:
        return None
    if ms > _latest_plausible_ms():
        return None
    return ms


_latest = [0.0, 0]


def _latest_plausible_ms() -> int:
    """Wall clock + slack, recomputed at most once a second (this is on the hot path)."""
    now = time.monotonic()
    if now - _latest[0] > 1.0:
        _latest[0] = now
        _latest[1] = int(time.time() * 1000) + FUTURE_SLACK_MS
    return int(_latest[1])


def v2_created_ms(created: object, tweet_id: str) -> int | None:
    """A v2 post's time: its `created_at` when plausible, else its snowflake id's; None when
    neither gives one."""
    if created.__class__ is str:
        created_ms = _MS_OF_STAMP.get(created)  # type: ignore[arg-type]
        if created_ms is not None:
            return created_ms
        created_ms = _v2_time_fast(created)  # type: ignore[arg-type]
        if created_ms is None:
            created_ms = parse_iso_time(created)  # type: ignore[arg-type]
        if created_ms is not None:
            if len(_MS_OF_STAMP) > 4096:
                _MS_OF_STAMP.clear()
            _MS_OF_STAMP[created] = created_ms  # type: ignore[index]
            return created_ms
    return snowflake_ms(tweet_id)


_MS_OF_STAMP: dict[str, int] = {}
"""`created_at` text -> epoch ms, for texts that gave a plausible time: posts share seconds,
and X writes the milliseconds as `.000`, so a stream brings about one new text a second. A
time that was plausible stays so (the limit only moves forward with the clock)."""
memoized_ms = _MS_OF_STAMP.get
"""`created_at` text -> epoch ms when the memo knows it, else None: `v2_created_ms`'s first
step, for a hot-path caller that saves the function call (the v2 fast path). Bound to
the dict object: `_MS_OF_STAMP` is only ever cleared, never replaced."""


_SECOND_CACHE: dict[str, int] = {}


def _v2_time_fast(value: str) -> int | None:
    """The X v2 form `2021-04-01T15:52:31.000Z`, memoized per second (posts share seconds)."""
    base = _SECOND_CACHE.get(value[:19])
    if base is None:
        if len(value) != 24 or value[19] != "." or value[23] != "Z":
            return None
        base = parse_iso_time(value[:19] + "Z")
        if base is None:
            return None
        if len(_SECOND_CACHE) > 4096:
            _SECOND_CACHE.clear()
        _SECOND_CACHE[value[:19]] = base
    elif len(value) != 24 or value[19] != "." or value[23] != "Z":
        return None
    millis = value[20:23]
    return base + int(millis) if millis.isascii() and millis.isdigit() else None
