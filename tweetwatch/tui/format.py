"""Small, pure formatting helpers shared by the panels (numbers, durations, ratios)."""

from __future__ import annotations

from datetime import UTC, datetime

DASH = "—"
"""Shown where a value is not defined yet (no data, division by zero)."""

_UNITS: tuple[tuple[str, float], ...] = (
    ("y", 365 * 86400.0),
    ("d", 86400.0),
    ("h", 3600.0),
    ("m", 60.0),
)


def human_duration(seconds: float | None) -> str:
    """Compact duration: `0.4s`, `12s`, `3m`, `5h`, `2d`, `2y`; `—` when unknown.

    Negative values (a stream clock slightly ahead of the reader's clock) read as 0.
    """
    if seconds is None:
        return DASH
    seconds = max(seconds, 0.0)
    if seconds < 10:
        return f"{seconds:.1f}s"
    for suffix, size in _UNITS:
        if seconds >= size:
            return f"{int(seconds // size)}{suffix}"
    return f"{int(seconds)}s"


def window_label(window_s: int) -> str:
    """`60` -> `1m`, `300` -> `5m`, `3600` -> `1h`, `45` -> `45s`."""
    if window_s % 3600 == 0:
        return f"{window_s // 3600}h"
    if window_s % 60 == 0:
        return f"{window_s // 60}m"
    return f"{window_s}s"


def interval_label(seconds: float) -> str:
    """`0.25` -> `0.25s`, `1.0` -> `1s`."""
    return f"{seconds:g}s"


def count(n: int) -> str:
    """Thousands separated integer."""
    return f"{n:,}"


def rate(per_s: float) -> str:
    """Rate with precision that suits its size."""
    if per_s >= 100:
        return f"{per_s:,.0f}"
    if per_s >= 10:
        return f"{per_s:.1f}"
    return f"{per_s:.2f}"


def ratio(a: int, b: int) -> str:
    """`a / b` to two decimals, or `—` until both are non-zero."""
    if a <= 0 or b <= 0:
        return DASH
    return f"{a / b:.2f}"


def clock_time(moment: datetime | None) -> str:
    """`HH:MM:SS` of an instant in UTC, `—` when unknown."""
    if moment is None:
        return DASH
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%H:%M:%S")


def epoch_time(epoch_s: int) -> str:
    """`HH:MM:SS` (UTC) of an epoch second, for chart axes in stream time."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%H:%M:%S")

