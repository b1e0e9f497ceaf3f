"""`tweetwatch summary`: a Snapshot as JSON or as a short plain-text report."""

from __future__ import annotations

from typing import Any

from tweetwatch.config import format_duration
from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Sentiment, Snapshot


def sentiment_dict(sentiment: Sentiment | None) -> dict[str, Any] | None:
    """Mean compound score and positive/neutral/negative shares, or None when not scored."""
    if sentiment is None:
        return None
    pos, neu, neg = sentiment.shares() or (0.0, 0.0, 0.0)
    return {
        "mean": round(sentiment.mean or 0.0, 4),
        "positive": round(pos, 4),
        "neutral": round(neu, 4),
        "negative": round(neg, 4),
        "scored": sentiment.scored,
    }


def mix_dict(snapshot: Snapshot) -> dict[str, Any]:
    mix = snapshot.mix
    return {
        "tweets": mix.tweets,
        **{f"{kind}_share": round(mix.share(kind) or 0.0, 4) for kind in ("retweets", "quotes", "replies", "links")},
        "languages": [[code, n] for code, n in mix.languages],
        "hashtags": [[tag, n] for tag, n in mix.hashtags],
        "mentions": [[name, n] for name, n in mix.mentions],
    }


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
                "sentiment": sentiment_dict(t.sentiment),
            }
            for t in snapshot.topics
        },
        "total_window": snapshot.total_window,
        "rate_per_s": round(snapshot.rate_per_s, 3),
        "stream_clock": clock.isoformat().replace("+00:00", "Z") if clock else None,
        "window": format_duration(snapshot.window_s),
        "window_s": snapshot.window_s,
        "sentiment": sentiment_dict(snapshot.sentiment),
        "mix": mix_dict(snapshot),
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
        mood = sentiment_dict(topic.sentiment)
        if mood is not None:
            lines.append(
                f"    sentiment {mood['mean']:+.2f} (positive {mood['positive']:.0%},"
                f" neutral {mood['neutral']:.0%}, negative {mood['negative']:.0%})"
            )
    return "\n".join(lines)
