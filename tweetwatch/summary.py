"""`tweetwatch summary`: a Snapshot as JSON or as a short plain-text report."""

from __future__ import annotations

from typing import Any

from tweetwatch.config import format_duration
from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Snapshot


def summary_dict(snapshot: Snapshot) -> dict[str, Any]:
    clock = snapshot.stream_clock
    return {
        "namespace": snapshot.namespace,
        "source": snapshot.source,
        "demo": snapshot.is_demo,
        "total": snapshot.total,
        "control": snapshot.control,
        "rejected": snapshot.rejected,
        "duplicates": snapshot.duplicates,
        "topics": {
            t.name: {
                "count": t.count_total,
                "count_window": t.count_window,
                "rate_per_s": round(t.rate_per_s, 3),
                "unique_authors": t.unique_authors,
                "keywords": [[word, count] for word, count in t.top_keywords],
            }
            for t in snapshot.topics
        },
        "total_window": snapshot.total_window,
        "rate_per_s": round(snapshot.rate_per_s, 3),
        "stream_clock": clock.isoformat().replace("+00:00", "Z") if clock else None,
        "window": format_duration(snapshot.window_s),
        "window_s": snapshot.window_s,
    }


def summary_text(snapshot: Snapshot) -> str:
    data = summary_dict(snapshot)
    lines = [
        f"namespace {clean_text(snapshot.namespace)} · source {clean_text(snapshot.source)}"
        + (" (DEMO DATA)" if snapshot.is_demo else ""),
        f"stream clock {data['stream_clock'] or '—'} · window {data['window']}",
        f"total {snapshot.total:,} · control {snapshot.control:,} · rejected {snapshot.rejected:,}"
        f" · duplicates {snapshot.duplicates:,} · rate {snapshot.rate_per_s:,.1f}/s",
    ]
    for topic in snapshot.topics:
        words = ", ".join(f"{clean_text(w, 40)} {c}" for w, c in topic.top_keywords) or "—"
        lines.append(
            f"  {clean_text(topic.name)}: {topic.count_total:,} (window {topic.count_window:,},"
            f" {topic.rate_per_s:,.1f}/s, ~{topic.unique_authors:,} authors)"
        )
        lines.append(f"    {words}")
    return "\n".join(lines)
