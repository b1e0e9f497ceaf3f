"""A batch of records -> a `Delta` of counters that merge associatively.

Two Deltas add up to one (`a.merge(b)`), so the collector can keep folding batches into one
Delta while Redis is away and write it in one transaction when it is back.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tweetwatch.pipeline.model import Control, Record, Reject, Tweet
from tweetwatch.pipeline.sentiment import SentimentScorer
from tweetwatch.pipeline.text import TopicMatcher, tokenize
from tweetwatch.store.snapshot import ALL, FeedEntry

_LANG = re.compile(r"^[a-z0-9-]{1,16}$")
UNKNOWN_LANG = "und"
"""Language field for posts without (or with a malformed) language code, as X writes it."""

KINDS = ("retweets", "quotes", "replies", "links")
"""Post kinds counted all-time (totals) and per minute (tallies)."""
LATEST_PER_DELTA = 200
"""Newest tweets a Delta keeps for the live feed (older ones in a batch are not shown anyway)."""


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
    latest: list[FeedEntry] = field(default_factory=list)
    tallies: dict[int, Counter[str]] = field(default_factory=dict)
    """epoch minute -> field -> count, for the `tally` bucket: `tweets`, `retweets`, `quotes`,
    `replies`, `links`, `lang:<code>`, `snt:<topic or _all>:<sum|pos|neu|neg>` (sum in
    1/10,000 compound units, see pipeline/sentiment.py)."""
    hashtags: dict[int, Counter[str]] = field(default_factory=dict)
    """epoch minute -> casefolded hashtag -> count (all posts)."""
    mentions: dict[int, Counter[str]] = field(default_factory=dict)
    """epoch minute -> casefolded mentioned username -> count (all posts)."""
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
        for mine_by_minute, theirs in (
            (self.tallies, other.tallies),
            (self.hashtags, other.hashtags),
            (self.mentions, other.mentions),
        ):
            for minute, counts in theirs.items():
                bucket = mine_by_minute.get(minute)
                if bucket is None:
                    mine_by_minute[minute] = Counter(counts)
                else:
                    bucket.update(counts)
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

    def __init__(self, matcher: TopicMatcher, use_rule_tags: bool = True, sentiment: bool = True) -> None:
        self.matcher = matcher
        self.use_rule_tags = use_rule_tags
        """Trust upstream `matching_rules` tags (X stream and its archives) over local matching."""
        self._topic_names = {t.name for t in matcher.topics}
        self._sentiment = sentiment
        self._scorer: SentimentScorer | None = None
        self._lang_fields: dict[str | None, str] = {}

    def set_sentiment(self, enabled: bool) -> None:
        """Score posts with VADER (the default) or not (`--no-sentiment`: faster)."""
        self._sentiment = enabled

    @property
    def sentiment(self) -> bool:
        return self._sentiment

    def _lang_field(self, lang: str | None) -> str:
        """`lang:<code>` tally field; anything that is not a short code counts as `und`."""
        folded = lang.casefold() if lang else ""
        code = folded if _LANG.match(folded) else UNKNOWN_LANG
        field_name = f"lang:{code}"
        if len(self._lang_fields) < 10_000:
            self._lang_fields[lang] = field_name
        return field_name

    def build(self, records: Iterable[Record], duplicates: int = 0) -> Delta:
        delta = Delta()
        counters = delta.counters
        if duplicates:
            counters["duplicates"] += duplicates
        tweets: list[Tweet] = []
        control = rejected = 0
        for record in records:
            kind = record.__class__
            if kind is Tweet:
                tweets.append(record)  # type: ignore[arg-type]
            elif kind is Control:
                control += 1
            elif kind is Reject:
                rejected += 1
        if control:
            counters["control"] += control
        if rejected:
            counters["rejected"] += rejected
        if tweets:
            self._add_tweets(delta, tweets)
        return delta

    def _add_tweets(self, delta: Delta, tweets: list[Tweet]) -> None:
        """The hot loop: keep attribute lookups out of it."""
        topic_counts: Counter[str] = Counter()
        per_second = delta.per_second
        keywords = delta.keywords
        authors = delta.authors
        seen_ids = delta.seen_ids
        match = self.matcher.match
        raw_words: dict[tuple[str, int], list[str]] = {}
        """All tokens per (topic, minute); counted and filtered once per batch, not per tweet."""
        use_rules = self.use_rule_tags
        known = self._topic_names
        clock = delta.clock_ms
        topics_per_tweet: list[list[str]] = []
        tallies = delta.tallies
        lang_fields = self._lang_fields
        lang_field = self._lang_field
        tags_raw: dict[int, list[str]] = {}
        mentions_raw: dict[int, list[str]] = {}
        score = None
        if self._sentiment:
            if self._scorer is None:
                self._scorer = SentimentScorer()
            score = self._scorer.units
        moods: dict[tuple[str, int], list[int]] = {}
        """(topic or ALL, minute) -> [sum of compound units, pos, neu, neg]."""
        pos_at, neg_at = 500, -500  # ±0.05 in 1/10,000 units
        for tweet in tweets:
            created = tweet.created_ms
            second = created // 1000
            minute = second // 60
            per_second[(second, ALL)] += 1
            tally = tallies.get(minute)
            if tally is None:
                tally = tallies[minute] = Counter()
            tally["tweets"] += 1
            lang = tweet.lang
            field_name = lang_fields.get(lang)
            tally[field_name if field_name is not None else lang_field(lang)] += 1
            if tweet.hashtags:
                _extend(tags_raw, minute, tweet.hashtags)
            if tweet.mentions:
                _extend(mentions_raw, minute, tweet.mentions)
            ids = seen_ids.get(minute)
            if ids is None:
                seen_ids[minute] = {tweet.id}
            else:
                ids.add(tweet.id)
            if created > clock:
                clock = created
            author = tweet.author
            if author:
                _add_to_set(authors, (ALL, minute), author)
            if tweet.is_retweet:
                tally["retweets"] += 1
            if tweet.is_quote:
                tally["quotes"] += 1
            if tweet.is_reply:
                tally["replies"] += 1
            if tweet.has_link:
                tally["links"] += 1

            tokens = tokenize(tweet.matching_text)
            if use_rules and tweet.rule_tags is not None:
                topics = [t for t in tweet.rule_tags if t in known]
            else:
                topics = match(tokens)
            for topic in topics:
                topic_counts[topic] += 1
                per_second[(second, topic)] += 1
                bucket = raw_words.get((topic, minute))
                if bucket is None:
                    raw_words[(topic, minute)] = list(tokens)
                else:
                    bucket.extend(tokens)
                if author:
                    _add_to_set(authors, (topic, minute), author)
            topics_per_tweet.append(topics)
            if score is not None:
                text = tweet.retweeted_text if tweet.is_retweet and tweet.retweeted_text else tweet.text
                units = score(text)
                slot = 1 if units >= pos_at else 3 if units <= neg_at else 2
                for key in (ALL, *topics):
                    mood = moods.get((key, minute))
                    if mood is None:
                        mood = moods[(key, minute)] = [0, 0, 0, 0]
                    mood[0] += units
                    mood[slot] += 1
        delta.clock_ms = clock
        for (key, minute), (total_units, pos, neu, neg) in moods.items():
            tally = tallies[minute]
            tally[f"snt:{key}:sum"] += total_units
            tally[f"snt:{key}:pos"] += pos
            tally[f"snt:{key}:neu"] += neu
            tally[f"snt:{key}:neg"] += neg
        for raw, target in ((tags_raw, delta.hashtags), (mentions_raw, delta.mentions)):
            for minute, names in raw.items():
                target[minute] = _fold_names(Counter(names))
        keep = self.matcher.keyword_counts
        for key, tokens_of_bucket in raw_words.items():
            counted = keep(key[0], Counter(tokens_of_bucket))
            if counted:
                bucket_counter = keywords.get(key)
                if bucket_counter is None:
                    keywords[key] = counted
                else:
                    bucket_counter.update(counted)
        counters = delta.counters
        counters["total"] += len(tweets)
        for tally in tallies.values():  # all-time kind counters = sum of this batch's minute tallies
            for kind in KINDS:
                if tally[kind]:
                    counters[kind] += tally[kind]
        for topic, count in topic_counts.items():
            counters[f"topic:{topic}"] += count
        delta.latest = [
            FeedEntry(
                id=t.id,
                created_ms=t.created_ms,
                author=t.author_name or t.author or "",
                topics=tuple(topics),
                text=t.text,
                is_retweet=t.is_retweet,
            )
            for t, topics in zip(tweets[-LATEST_PER_DELTA:], topics_per_tweet[-LATEST_PER_DELTA:])
        ]


def _fold_names(counts: Counter[str]) -> Counter[str]:
    """Casefold hashtags/usernames; whitespace inside a name (malformed input) becomes `_`."""
    folded: Counter[str] = Counter()
    for name, n in counts.items():
        key = "_".join(name.casefold().split())
        if key:
            folded[key] += n
    return folded


def _add_to_set(sets: dict[tuple[str, int], set[str]], key: tuple[str, int], value: str) -> None:
    bucket = sets.get(key)
    if bucket is None:
        sets[key] = {value}
    else:
        bucket.add(value)


def _extend(lists: dict[int, list[str]], key: int, items: tuple[str, ...]) -> None:
    bucket = lists.get(key)
    if bucket is None:
        lists[key] = list(items)
    else:
        bucket.extend(items)
