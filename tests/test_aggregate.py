"""Aggregation and Delta merging: merge is associative and equals aggregating the union."""

from __future__ import annotations

from tweetwatch.pipeline.aggregate import Aggregator, Delta
from tweetwatch.pipeline.model import Control, Reject, Tweet
from tweetwatch.pipeline.text import Topic, TopicMatcher
from tweetwatch.store.snapshot import ALL

AGG = Aggregator(TopicMatcher((Topic("trump", ("trump",)), Topic("biden", ("biden",)))))


def tweet(n: int, text: str, second: int = 0, author: str = "a") -> Tweet:
    return Tweet(id=str(n), created_ms=(1_600_000_000 + second) * 1000, text=text, lang="en",
                 author=author, hashtags=(), mentions=(), is_retweet=False, is_quote=False)


RECORDS = [
    tweet(1, "trump rally economy", 0, "a"),
    tweet(2, "biden economy plan", 1, "b"),
    tweet(3, "trump biden debate economy", 61, "a"),
    Control("limit"),
    Reject("not JSON"),
    tweet(4, "nothing here", 62, "c"),
]


def snapshot_of(delta: Delta) -> tuple:
    return (dict(delta.counters), dict(delta.per_second),
            {k: dict(v) for k, v in delta.keywords.items()}, dict(delta.authors),
            dict(delta.seen_ids), delta.clock_ms)


def test_counts() -> None:
    delta = AGG.build(RECORDS)
    assert delta.counters["total"] == 4
    assert delta.counters["control"] == 1
    assert delta.counters["rejected"] == 1
    assert delta.counters["topic:trump"] == 2
    assert delta.counters["topic:biden"] == 2
    minute0 = 1_600_000_000 // 60
    assert delta.keywords[("trump", minute0)] == {"rally": 1, "economy": 1}
    assert delta.per_second[(1_600_000_000, ALL)] == 1
    assert delta.clock_ms == (1_600_000_000 + 62) * 1000


def test_merge_equals_union_and_is_associative() -> None:
    parts = [AGG.build(RECORDS[:2]), AGG.build(RECORDS[2:4]), AGG.build(RECORDS[4:])]
    whole = snapshot_of(AGG.build(RECORDS))
    left = Delta().merge(parts[0]).merge(parts[1]).merge(parts[2])
    right_inner = Delta().merge(parts[1]).merge(parts[2])
    right = Delta().merge(parts[0]).merge(right_inner)
    assert snapshot_of(left) == whole
    assert snapshot_of(right) == whole


def test_rule_tags_override_local_matching() -> None:
    t = Tweet(id="9", created_ms=1_600_000_000_000, text="nothing about anyone", lang=None, author=None,
              hashtags=(), mentions=(), is_retweet=False, is_quote=False, rule_tags=("biden", "unknown"))
    delta = AGG.build([t])
    assert delta.counters["topic:biden"] == 1
    assert "topic:unknown" not in delta.counters


def test_hashtags_and_mentions_count_the_posts_using_them() -> None:
    """QA: a post repeating a tag counted once per repeat, so a spam post with one tag three
    times outranked tags that more posts used, and `share` (count / posts) was not a share.
    Every shape: the v2 fast path, the general v2 path, v1.1."""
    import json

    from tweetwatch.pipeline.normalize import normalize_line

    def v2(n: int, tags: list[str], users: list[str], fast: bool = True) -> str:
        data = {"id": str(n), "text": "x", "created_at": "2023-11-14T22:13:20.000Z",
                "entities": {"hashtags": [{"tag": t} for t in tags], "mentions": [{"username": u} for u in users]}}
        return json.dumps({"data": data} if fast else {"matching_rules": [], "data": data})

    def v1(n: int, tags: list[str], users: list[str]) -> str:
        return json.dumps({"id_str": str(n), "text": "x", "user": {"id_str": "1"}, "timestamp_ms": "1700000000000",
                           "entities": {"hashtags": [{"text": t} for t in tags],
                                        "user_mentions": [{"screen_name": u} for u in users]}})

    for make in (v2, lambda *a: v2(*a, fast=False), v1):
        posts = [r for line in (make(1, ["Vote", "vote", "VOTE"], ["Ann", "ann"]), make(2, ["vote", "Other"], ["ann", "bob"]),
                                make(3, ["other"], ["Bob"])) for r in normalize_line(line.encode())]
        delta = AGG.build(posts)
        (minute,) = delta.hashtags
        assert dict(delta.hashtags[minute]) == {"vote": 2, "other": 2}
        assert dict(delta.mentions[minute]) == {"ann": 2, "bob": 2}
