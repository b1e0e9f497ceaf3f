"""A batch of records -> a `Delta` of counters that merge associatively.

Two Deltas add up to one (`a.merge(b)`), so the collector can keep folding batches into one
Delta while Redis is away and write it in one transaction when it is back.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter, floordiv
from typing import TypeVar

from tweetwatch import native
from tweetwatch.pipeline.model import Control, Record, Reject, Tweet
from tweetwatch.pipeline.names import fold_name
from tweetwatch.pipeline.sentiment import SentimentScorer
from tweetwatch.pipeline.text import TopicMatcher
from tweetwatch.store.snapshot import ALL, FeedEntry

_LANG = re.compile(r"^[a-z0-9-]{1,16}$")
UNKNOWN_LANG = "und"
"""Language field for posts without (or with a malformed) language code, as X writes it."""

# Field getters for the column-wise passes: `map` with these runs the loop in C.
_ID_OF = attrgetter("id")
_CREATED_OF = attrgetter("created_ms")
_LANG_OF = attrgetter("lang")
_AUTHOR_OF = attrgetter("author")
_IS_RETWEET = attrgetter("is_retweet")
_IS_QUOTE = attrgetter("is_quote")
_IS_REPLY = attrgetter("is_reply")
_HAS_LINK = attrgetter("has_link")
_MATCHING_TEXT_OF = attrgetter("matching_text")

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
    checkpoints: dict[str, str] = field(default_factory=dict)
    """Source checkpoint field -> resume position covering every line counted here, written
    with the counts (see `Store.write`): one field per source, a replay's one per file.
    Merging keeps the newer position of each field: the Delta merged in is newer."""

    @property
    def empty(self) -> bool:
        return not self.counters

    def absorb(self, other: Delta) -> Delta:
        """`merge`, taking `other` over whole when self is empty (no copying: `other` must
        not be used afterwards). The collector's hand-offs are almost always into an empty
        Delta, and copying a full batch's sets and counters cost ~6% of ingest."""
        return other if self.empty else self.merge(other)

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
        self.checkpoints.update(other.checkpoints)
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
        self._topics_by_tags: dict[tuple[str, ...], tuple[str, ...]] = {}

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
        """Column-wise: tweets are grouped by minute (and by topic within a minute) and each
        counter is built from a whole group at once (`Counter` over a list counts in C; the
        texts of a group are tokenized in one go). Per-tweet Python work is kept to the
        grouping loop."""
        topics_of = self._topics_of(tweets)
        groups: dict[int, tuple[list[Tweet], list[tuple[str, ...]]]] = {}
        last_minute = -1
        members: list[Tweet] = []
        member_topics: list[tuple[str, ...]] = []
        for tweet, topics in zip(tweets, topics_of):
            minute = tweet.created_ms // 60000
            if minute != last_minute:
                group = groups.get(minute)
                if group is None:
                    group = groups[minute] = ([], [])
                members, member_topics = group
                last_minute = minute
            members.append(tweet)
            member_topics.append(topics)
        for minute, (members, member_topics) in groups.items():
            self._add_minute(delta, minute, members, member_topics)
        if self._sentiment:
            self._add_moods(delta, tweets, topics_of)
        counters = delta.counters
        counters["total"] += len(tweets)
        for tally in delta.tallies.values():  # all-time kind counters = sum of this batch's minute tallies
            for kind in KINDS:
                if tally[kind]:
                    counters[kind] += tally[kind]
        delta.clock_ms = max(delta.clock_ms, max([t.created_ms for t in tweets]))
        delta.latest = [
            FeedEntry(
                id=t.id,
                created_ms=t.created_ms,
                author=t.author_name or t.author or "",
                topics=topics,
                text=t.text,
                is_retweet=t.is_retweet,
            )
            for t, topics in zip(tweets[-LATEST_PER_DELTA:], topics_of[-LATEST_PER_DELTA:])
        ]

    def _topics_of(self, tweets: list[Tweet]) -> list[tuple[str, ...]]:
        """Each tweet's topics, in configured order: its upstream rule tags when trusted,
        else local keyword matching."""
        match_text = self.matcher.match_text
        if not self.use_rule_tags:
            return [tuple(match_text(t.matching_text)) for t in tweets]
        by_tags = self._topics_by_tags
        out: list[tuple[str, ...]] = []
        for tweet in tweets:
            tags = tweet.rule_tags
            if tags is None:
                out.append(tuple(match_text(tweet.matching_text)))
                continue
            topics = by_tags.get(tags)
            if topics is None:
                topics = tuple(t for t in tags if t in self._topic_names)
                if len(by_tags) < 10_000:
                    by_tags[tags] = topics
            out.append(topics)
        return out

    def _add_minute(
        self, delta: Delta, minute: int, members: list[Tweet], member_topics: list[tuple[str, ...]]
    ) -> None:
        """Count one minute's tweets into `delta`."""
        langs, kinds, hashtags, mentions, ids, groups = minute_columns(members, member_topics)
        tally = delta.tallies.get(minute)
        if tally is None:
            tally = delta.tallies[minute] = Counter()
        tally["tweets"] += len(members)
        lang_fields = self._lang_fields
        for lang, n in langs.items():
            field_name = lang_fields.get(lang)
            tally[field_name if field_name is not None else self._lang_field(lang)] += n
        for kind, n in zip(KINDS, kinds):
            if n:
                tally[kind] += n
        for names, target in ((hashtags, delta.hashtags), (mentions, delta.mentions)):
            if names:
                _add_counts(target, minute, _fold_names(names))
        _add_members(delta.seen_ids, minute, ids)
        per_second = delta.per_second
        count_keywords = self.matcher.count_keywords
        for key, size, seconds, authors, texts in groups:
            for second, n in seconds.items():
                per_second[(second, key)] += n
            if authors:
                _add_members(delta.authors, (key, minute), authors)
            if texts is not None:  # a topic's group
                delta.counters[f"topic:{key}"] += size
                words = count_keywords(key, texts)
                if words:
                    _add_counts(delta.keywords, (key, minute), words)

    def _add_moods(self, delta: Delta, tweets: list[Tweet], topics_of: list[tuple[str, ...]]) -> None:
        """Sentiment tallies: per (ALL or topic, minute) the sum of compound scores and the
        positive / neutral / negative counts (VADER: per tweet, the slow part)."""
        if self._scorer is None:
            self._scorer = SentimentScorer()
        score = self._scorer.units
        moods: dict[tuple[str, int], list[int]] = {}
        """(topic or ALL, minute) -> [sum of compound units, pos, neu, neg]."""
        pos_at, neg_at = 500, -500  # ±0.05 in 1/10,000 units
        for tweet, topics in zip(tweets, topics_of):
            minute = tweet.created_ms // 60000
            text = tweet.retweeted_text if tweet.is_retweet and tweet.retweeted_text else tweet.text
            units = score(text)
            slot = 1 if units >= pos_at else 3 if units <= neg_at else 2
            for key in (ALL, *topics):
                mood = moods.get((key, minute))
                if mood is None:
                    mood = moods[(key, minute)] = [0, 0, 0, 0]
                mood[0] += units
                mood[slot] += 1
        for (key, minute), (total_units, pos, neu, neg) in moods.items():
            tally = delta.tallies[minute]
            tally[f"snt:{key}:sum"] += total_units
            tally[f"snt:{key}:pos"] += pos
            tally[f"snt:{key}:neu"] += neu
            tally[f"snt:{key}:neg"] += neg


GroupColumns = tuple[str, int, dict[int, int], set[str], list[str] | None]
"""What a minute counts of a group of its tweets (ALL or a topic's): the key, the number of
tweets, tweets per epoch second, distinct authors (None and "" left out), and for a topic the
tweets' matching texts (for its keywords; None for ALL)."""
MinuteColumns = tuple[
    dict[str | None, int], tuple[int, int, int, int], dict[str, int], dict[str, int], set[str], list[GroupColumns]
]
"""What a minute counts of its tweets, column by column: tweets per `lang`, the numbers of
retweets, quotes, replies and posts with links (`KINDS`), posts per hashtag and per mention
(as written), the ids, and the groups: ALL, then each topic in order of first mention."""


def minute_columns_python(members: list[Tweet], member_topics: list[tuple[str, ...]]) -> MinuteColumns:
    """`MinuteColumns` of one minute's tweets (`member_topics`: each one's topics): the
    reference of the C `minute_columns` (tweetwatch/native/_minutecount.c). Column-wise:
    `Counter` over a list and `sum` over `map` run their loops in C."""
    by_topic: dict[str, list[Tweet]] = {}
    for tweet, topics in zip(members, member_topics):
        for topic in topics:
            bucket = by_topic.get(topic)
            if bucket is None:
                by_topic[topic] = [tweet]
            else:
                bucket.append(tweet)
    groups = [_group_columns(ALL, members, None)]
    for topic, tweets in by_topic.items():
        groups.append(_group_columns(topic, tweets, list(map(_MATCHING_TEXT_OF, tweets))))
    kinds = (sum(map(_IS_RETWEET, members)), sum(map(_IS_QUOTE, members)),
             sum(map(_IS_REPLY, members)), sum(map(_HAS_LINK, members)))
    return (
        Counter(map(_LANG_OF, members)),
        kinds,
        Counter([h for t in members if t.hashtags for h in t.hashtags]),
        Counter([m for t in members if t.mentions for m in t.mentions]),
        set(map(_ID_OF, members)),
        groups,
    )


def _group_columns(key: str, tweets: list[Tweet], texts: list[str] | None) -> GroupColumns:
    authors = set(map(_AUTHOR_OF, tweets))
    authors.discard(None)
    authors.discard("")
    return key, len(tweets), Counter(map(floordiv, map(_CREATED_OF, tweets), repeat(1000))), authors, texts


_MINUTE_COLUMNS: Callable[[list[Tweet], list[tuple[str, ...]], str], MinuteColumns | None] | None = native.load(
    "_minutecount", "minute_columns")
"""The C `minute_columns`, or None: not built, or TWEETWATCH_PURE_PYTHON=1."""


def minute_columns(members: list[Tweet], member_topics: list[tuple[str, ...]]) -> MinuteColumns:
    """`minute_columns_python`, in C when it is built. The C function returns None for input it
    does not take (a field of an unexpected type: not a bool, an int beyond 64 bits...), which
    the Python reference counts then."""
    if _MINUTE_COLUMNS is not None:
        columns = _MINUTE_COLUMNS(members, member_topics, ALL)
        if columns is not None:
            return columns
    return minute_columns_python(members, member_topics)


def _fold_names(counts: Mapping[str, int]) -> Counter[str]:
    """Casefold hashtags/usernames (`fold_name`), adding up the counts of names that fold alike."""
    folded: Counter[str] = Counter()
    for name, n in counts.items():
        key = fold_name(name)
        if key:
            folded[key] += n
    return folded


_K = TypeVar("_K")


def _add_members(sets: dict[_K, set[str]], key: _K, members: set[str]) -> None:
    """Add `members` to the set at `key`; when there is none, `members` becomes it (not copied)."""
    bucket = sets.get(key)
    if bucket is None:
        sets[key] = members
    else:
        bucket.update(members)


def _add_counts(counters: dict[_K, Counter[str]], key: _K, counts: Counter[str]) -> None:
    bucket = counters.get(key)
    if bucket is None:
        counters[key] = counts
    else:
        bucket.update(counts)
