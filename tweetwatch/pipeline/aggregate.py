"""A batch of records -> a `Delta` of counters that merge associatively.

Two Deltas add up to one (`a.merge(b)`), so the collector can keep folding batches into one
Delta while Redis is away and write it in one transaction when it is back.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tweetwatch.pipeline.model import Control, Record, Reject, Tweet
from tweetwatch.pipeline.text import TopicMatcher, tokenize
from tweetwatch.store.snapshot import ALL

LATEST_PER_DELTA = 200
"""Newest tweets a Delta keeps for the live feed (older ones in a batch are not shown anyway)."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    id: str
    created_ms: int
    author: str
    topics: tuple[str, ...]
    text: str
    is_retweet: bool


@dataclass
class Delta:
    """Counters produced by a batch; every field merges by addition (or union / max)."""

    counters: Counter[str] = field(default_factory=Counter)
    """All-time counters: total, control, rejected, duplicates, topic:<name>, retweets, ..."""
    per_second: Counter[tuple[int, str]] = field(default_factory=Counter)
    """(epoch second, ALL or topic) -> tweets."""
    keywords: dict[tuple[str, int], Counter[str]] = field(default_factory=dict)
    """(topic, epoch minute) -> word -> count."""
    authors: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    """(topic or ALL, epoch minute) -> distinct authors."""
    seen_ids: dict[int, set[str]] = field(default_factory=dict)
    """epoch minute of created_at -> tweet ids counted (for cross-process dedupe)."""
    latest: list[FeedItem] = field(default_factory=list)
    clock_ms: int = 0
    """Newest created_at in the Delta (the stream clock candidate)."""

    @property
    def empty(self) -> bool:
        return not self.counters

    def merge(self, other: Delta) -> Delta:
        """Fold `other` into self and return self."""
        self.counters.update(other.counters)
        self.per_second.update(other.per_second)
        for key, words in other.keywords.items():
            mine = self.keywords.get(key)
            if mine is None:
                self.keywords[key] = Counter(words)
            else:
                mine.update(words)
        for key, ids in other.authors.items():
            self.authors.setdefault(key, set()).update(ids)
        for minute, ids in other.seen_ids.items():
            self.seen_ids.setdefault(minute, set()).update(ids)
        self.latest = sorted(self.latest + other.latest, key=lambda f: f.created_ms)[
            -LATEST_PER_DELTA:
        ]
        self.clock_ms = max(self.clock_ms, other.clock_ms)
        return self

    def minutes(self) -> set[int]:
        """Epoch minutes this Delta writes buckets for."""
        return {second // 60 for second, _ in self.per_second}


class Aggregator:
    """Turns records into a Delta: matches topics, tokenizes and counts."""

    def __init__(self, matcher: TopicMatcher) -> None:
        self.matcher = matcher
        self._topic_names = {t.name for t in matcher.topics}

    def build(self, records: Iterable[Record], duplicates: int = 0) -> Delta:
        delta = Delta()
        counters = delta.counters
        if duplicates:
            counters["duplicates"] += duplicates
        for record in records:
            if isinstance(record, Tweet):
                self._add_tweet(delta, record)
            elif isinstance(record, Control):
                counters["control"] += 1
            elif isinstance(record, Reject):
                counters["rejected"] += 1
        return delta

    def _add_tweet(self, delta: Delta, tweet: Tweet) -> None:
        counters = delta.counters
        counters["total"] += 1
        if tweet.is_retweet:
            counters["retweets"] += 1
        if tweet.is_quote:
            counters["quotes"] += 1
        if tweet.is_reply:
            counters["replies"] += 1
        if tweet.has_link:
            counters["links"] += 1
        second = tweet.created_ms // 1000
        minute = second // 60
        delta.per_second[(second, ALL)] += 1
        delta.seen_ids.setdefault(minute, set()).add(tweet.id)
        if tweet.created_ms > delta.clock_ms:
            delta.clock_ms = tweet.created_ms
        author = tweet.author
        if author:
            _add_to_set(delta.authors, (ALL, minute), author)

        tokens = tokenize(tweet.matching_text)
        if tweet.rule_tags is not None:
            topics = [t for t in tweet.rule_tags if t in self._topic_names]
        else:
            topics = self.matcher.match(tokens)
        for topic in topics:
            counters[f"topic:{topic}"] += 1
            delta.per_second[(second, topic)] += 1
            words = self.matcher.keywords(topic, tokens)
            if words:
                bucket = delta.keywords.get((topic, minute))
                if bucket is None:
                    delta.keywords[(topic, minute)] = Counter(words)
                else:
                    bucket.update(words)
            if author:
                _add_to_set(delta.authors, (topic, minute), author)
        delta.latest.append(
            FeedItem(
                id=tweet.id,
                created_ms=tweet.created_ms,
                author=tweet.author_name or tweet.author or "",
                topics=tuple(topics),
                text=tweet.text,
                is_retweet=tweet.is_retweet,
            )
        )
        if len(delta.latest) > 2 * LATEST_PER_DELTA:
            del delta.latest[:-LATEST_PER_DELTA]


def _add_to_set(sets: dict[tuple[str, int], set[str]], key: tuple[str, int], value: str) -> None:
    bucket = sets.get(key)
    if bucket is None:
        sets[key] = {value}
    else:
        bucket.add(value)
