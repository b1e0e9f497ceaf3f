"""Sentiment (VADER) and the other per-minute tallies: scoring, aggregation, exact window reads."""

from __future__ import annotations

import redis

from tweetwatch.pipeline.aggregate import Aggregator, Delta
from tweetwatch.pipeline.model import Tweet
from tweetwatch.pipeline.sentiment import SentimentScorer, classify
from tweetwatch.pipeline.text import Topic, TopicMatcher
from tweetwatch.store.keys import Keys
from tweetwatch.store.redis_store import Store, open_client

TOPICS = (Topic("trump", ("trump",)), Topic("biden", ("biden",)))
T0 = 1_600_000_020


def tweet(n: int, text: str, second: int, **kw) -> Tweet:  # type: ignore[no-untyped-def]
    return Tweet(id=str(n), created_ms=(T0 + second) * 1000, text=text, lang=kw.get("lang", "en"),
                 author=kw.get("author", "a"), hashtags=kw.get("hashtags", ()), mentions=kw.get("mentions", ()),
                 is_retweet=kw.get("rt", False), is_quote=kw.get("quote", False), is_reply=kw.get("reply", False),
                 has_link=kw.get("link", False), retweeted_text=kw.get("rt_text"))


def test_scorer_units_and_thresholds() -> None:
    scorer = SentimentScorer()
    assert scorer.units("I love this, it is great") > 500
    assert scorer.units("awful, terrible, sad") < -500
    assert scorer.units("the table") == 0
    assert scorer.compound("I love it") == 0.6369  # VADER's own 4-decimal compound
    assert [classify(u) for u in (500, 499, 0, -499, -500)] == ["pos", "neu", "neu", "neu", "neg"]


def test_scorer_memoizes_bounded() -> None:
    scorer = SentimentScorer(cache_size=2)
    for text in ("good", "bad", "good", "ugly"):
        scorer.units(text)
    assert list(scorer._cache) == ["good", "ugly"]


def test_delta_tallies_sentiment_mix_and_entities() -> None:
    agg = Aggregator(TopicMatcher(TOPICS))
    delta = agg.build([
        tweet(1, "trump is great, love it", 0, hashtags=("MAGA", "Vote"), mentions=("Foo",), link=True),
        tweet(2, "RT @x: biden is awful", 5, rt=True, rt_text="biden is awful", lang="ES", hashtags=("maga",)),
        tweet(3, "trump biden the table", 70, reply=True, quote=True, lang=None),
        tweet(4, "trump", 71, lang="x\ny bad code"),
    ])
    m0, m1 = T0 // 60, T0 // 60 + 1
    assert delta.tallies[m0]["tweets"] == 2 and delta.tallies[m1]["tweets"] == 2
    assert delta.tallies[m0]["retweets"] == 1 and delta.tallies[m0]["links"] == 1
    assert delta.tallies[m1]["replies"] == 1 and delta.tallies[m1]["quotes"] == 1
    assert delta.tallies[m0]["lang:en"] == 1 and delta.tallies[m0]["lang:es"] == 1
    assert delta.tallies[m1]["lang:und"] == 2  # missing and malformed codes
    assert delta.tallies[m0]["snt:trump:pos"] == 1 and delta.tallies[m0]["snt:biden:neg"] == 1
    assert delta.tallies[m0]["snt:_all:pos"] == 1 and delta.tallies[m0]["snt:_all:neg"] == 1
    assert delta.tallies[m1]["snt:trump:neu"] == 2 and delta.tallies[m1]["snt:biden:neu"] == 1
    assert delta.hashtags[m0] == {"maga": 2, "vote": 1}
    assert delta.mentions[m0] == {"foo": 1}
    # the existing all-time counters are unchanged in meaning
    assert delta.counters["retweets"] == 1 and delta.counters["replies"] == 1


def test_no_sentiment_skips_scoring() -> None:
    agg = Aggregator(TopicMatcher(TOPICS))
    agg.set_sentiment(False)
    delta = agg.build([tweet(1, "trump is great", 0)])
    assert not any(name.startswith("snt:") for name in delta.tallies[T0 // 60])
    assert agg._scorer is None  # VADER never even loaded


def test_deltas_merge_tallies() -> None:
    agg = Aggregator(TopicMatcher(TOPICS))
    a = agg.build([tweet(1, "trump great", 0, hashtags=("x",))])
    b = agg.build([tweet(2, "trump awful", 1, hashtags=("x",))])
    merged = Delta().merge(a).merge(b)
    minute = T0 // 60
    assert merged.tallies[minute]["tweets"] == 2
    assert merged.hashtags[minute]["x"] == 2
    assert merged.tallies[minute]["snt:trump:sum"] == a.tallies[minute]["snt:trump:sum"] + b.tallies[minute]["snt:trump:sum"]


def test_window_sentiment_and_mix_are_exact(server_url: str, namespace: str, client: redis.Redis) -> None:
    store = Store(open_client(server_url, "test"), namespace)
    store.write_meta(TOPICS, "replay", False)
    agg = Aggregator(TopicMatcher(TOPICS))
    scorer = SentimentScorer()
    texts = ["trump is great, love it", "trump is awful", "trump the table", "biden wonderful day", "biden sad"]
    batch = [tweet(i, t, i * 40, rt=i % 2 == 0, link=i == 1, hashtags=("Tag",), mentions=("m",)) for i, t in enumerate(texts)]
    store.write(agg.build(batch[:2]), TOPICS)
    store.write(agg.build(batch[2:]), TOPICS)  # several writes add up exactly
    snap = store.read_snapshot(3600)
    trump = snap.topic("trump").sentiment
    units = [scorer.units(t) for t in texts[:3]]
    assert trump is not None and trump.compound_units == sum(units) and trump.scored == 3
    assert trump.mean == sum(units) / 10_000 / 3
    assert (trump.positive, trump.neutral, trump.negative) == (1, 1, 1)
    assert snap.sentiment is not None and snap.sentiment.scored == 5
    assert snap.mix.tweets == 5 and snap.mix.retweets == 3 and snap.mix.links == 1
    assert snap.mix.share("retweets") == 0.6
    assert snap.mix.hashtags == (("tag", 5),) and snap.mix.mentions == (("m", 5),)
    assert snap.mix.languages == (("en", 5),)
    assert [e.id for e in snap.feed] == ["4", "3", "2", "1", "0"]  # newest first
    means = [v for v in snap.mood.means["trump"] if v is not None]
    assert len(means) == 2  # one per minute that had trump posts (T0+0 s; T0+40 s and T0+80 s)
    keys = Keys(namespace)
    minute = T0 // 60
    assert client.ttl(keys.tally(minute)) > 0 and client.ttl(keys.hashtags(minute)) > 0
    assert client.ttl(keys.mentions(minute)) > 0


def test_new_buckets_follow_retention(server_url: str, namespace: str, client: redis.Redis) -> None:
    store = Store(open_client(server_url, "test"), namespace, retention_s=600)
    store.write_meta(TOPICS, "replay", False)
    agg = Aggregator(TopicMatcher(TOPICS))
    keys = Keys(namespace)
    store.write(agg.build([tweet(1, "trump great", 0, hashtags=("h",), mentions=("m",))]), TOPICS)
    old = T0 // 60
    assert client.exists(keys.tally(old), keys.hashtags(old), keys.mentions(old)) == 3
    delta = agg.build([tweet(2, "trump later", 3600)])
    plan = store.prepare(dict(delta.seen_ids), delta.clock_ms)
    store.write(delta, TOPICS, plan.expired_minutes)
    assert client.exists(keys.tally(old), keys.hashtags(old), keys.mentions(old)) == 0


def test_keyword_drill_down_reads_trend_and_recent(server_url: str, namespace: str) -> None:
    store = Store(open_client(server_url, "test"), namespace)
    store.write_meta(TOPICS, "replay", False)
    agg = Aggregator(TopicMatcher(TOPICS))
    store.write(agg.build([
        tweet(1, "trump economy now", 0),
        tweet(2, "trump economy jobs", 65),
        tweet(3, "trump jobs", 66),
        tweet(4, "biden economy", 67),
        tweet(5, "the economy, no topic", 68),
    ]), TOPICS)
    store.read_snapshot(300)
    detail = store.read_keyword("trump", "economy")
    assert len(detail.counts) == 60 and detail.counts[-2:] == (1, 1)
    assert detail.start_minute == T0 // 60 + 1 - 59
    assert [e.id for e in detail.recent] == ["2", "1"]  # biden's and the topicless post are not in it
    assert detail.scanned == 5
