"""Tests for the built-in synthetic demo stream (tweetwatch.sources.demo)."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tweetwatch.sources.demo import SAMPLE_RULE_TAG, SOURCE_MARK, DemoSource

TOPICS = [("trump", ["trump", "realdonaldtrump"]), ("biden", ["biden", "joebiden"])]
START = 1_730_000_000.0  # 2024-10-27T03:33:20Z


class VirtualClock:
    """A fake clock that only moves when the source sleeps."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert 0 < seconds <= 0.1 + 1e-9, "sleeps must be sliced to at most 100 ms"
        self.now += seconds
        self.slept += seconds


def collect(
    n: int, seed: int | None = 1, topics: Any = TOPICS, rate: float = 20.0
) -> list[dict[str, Any]]:
    vc = VirtualClock()
    src = DemoSource(topics, rate=rate, seed=seed, clock=vc.clock, sleep=vc.sleep, limit=n)
    return [orjson.loads(line) for line in src.lines(threading.Event())]


def parse_ts(s: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s), s
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def keyword_re(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.I)


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    return collect(5000, seed=11)


def test_label_and_api() -> None:
    assert DemoSource.label == "demo"
    src = DemoSource(TOPICS)
    assert src.rate == 20.0 and src.seed is None and src.limit is None


def test_lines_are_bytes_without_newline() -> None:
    vc = VirtualClock()
    src = DemoSource(TOPICS, seed=3, clock=vc.clock, sleep=vc.sleep, limit=200)
    for line in src.lines(threading.Event()):
        assert isinstance(line, bytes)
        assert b"\n" not in line
        orjson.loads(line)


def test_deterministic_with_seed() -> None:
    def run(seed: int) -> list[bytes]:
        vc = VirtualClock()
        src = DemoSource(TOPICS, seed=seed, clock=vc.clock, sleep=vc.sleep, limit=500)
        return list(src.lines(threading.Event()))

    assert run(42) == run(42)
    assert run(42) != run(43)


def test_content_deterministic_even_with_real_clock() -> None:
    def texts() -> list[str]:
        src = DemoSource(TOPICS, seed=5, sleep=lambda s: None, limit=300)
        return [orjson.loads(line)["data"]["text"] for line in src.lines(threading.Event())]

    assert texts() == texts()


def test_shape_of_every_line(sample: list[dict[str, Any]]) -> None:
    for obj in sample:
        data = obj["data"]
        assert set(obj) == {"data", "includes", "matching_rules"}
        assert isinstance(data["id"], str) and re.fullmatch(r"\d{19}", data["id"])
        assert isinstance(data["text"], str) and data["text"]
        assert data["source"] == SOURCE_MARK
        assert data["lang"] in {"en", "es", "fr", "de", "pt", "ja"}
        assert data["edit_history_tweet_ids"] == [data["id"]]
        ts = parse_ts(data["created_at"])
        assert ts.tzinfo is UTC
        users = obj["includes"]["users"]
        assert users[0]["id"] == data["author_id"]
        assert len({u["id"] for u in users}) == len(users)
        for u in users:
            assert set(u) == {"id", "name", "username"}
        assert obj["matching_rules"] and all(set(r) == {"id", "tag"} for r in obj["matching_rules"])
        for t in obj["includes"].get("tweets", []):
            assert t["source"] == SOURCE_MARK
            assert any(u["id"] == t["author_id"] for u in users)
        assert len(data["text"]) <= 280


def test_created_at_follows_injected_clock_and_is_monotonic(sample: list[dict[str, Any]]) -> None:
    stamps = [parse_ts(o["data"]["created_at"]) for o in sample]
    assert stamps == sorted(stamps)
    assert stamps[0] >= datetime.fromtimestamp(START, UTC)
    # 5000 lines at 20/s is roughly 250 s of virtual time.
    span = (stamps[-1] - stamps[0]).total_seconds()
    assert 100 < span < 600


def test_created_at_is_clock_time_of_emission() -> None:
    vc = VirtualClock()
    src = DemoSource(TOPICS, seed=2, clock=vc.clock, sleep=vc.sleep, limit=100)
    for line in src.lines(threading.Event()):
        created = parse_ts(orjson.loads(line)["data"]["created_at"]).timestamp()
        assert abs(created - vc.now) < 0.001


def test_ids_unique_and_increasing(sample: list[dict[str, Any]]) -> None:
    ids = [int(o["data"]["id"]) for o in sample]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_ids_increase_even_if_clock_steps_back() -> None:
    times = iter([START + 10 - i * 0.01 for i in range(10_000)])
    src = DemoSource(TOPICS, seed=1, clock=lambda: next(times), sleep=lambda s: None, limit=300)
    objs = [orjson.loads(line) for line in src.lines(threading.Event())]
    ids = [int(o["data"]["id"]) for o in objs]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    stamps = [o["data"]["created_at"] for o in objs]
    assert stamps == sorted(stamps)


def test_both_topics_keywords_appear(sample: list[dict[str, Any]]) -> None:
    text = "\n".join(o["data"]["text"] for o in sample)
    for word in ("trump", "biden"):
        assert re.search(rf"(?<!\w){word}(?!\w)", text, re.I)
    for kw in ("realdonaldtrump", "joebiden"):
        assert "@" + kw in text.lower()
        assert "#" + kw in text.lower()
    tags = Counter(r["tag"] for o in sample for r in o["matching_rules"])
    assert tags["trump"] > 500 and tags["biden"] > 500
    assert tags[SAMPLE_RULE_TAG] > 200  # tweets that match no topic
    assert sum(len(o["matching_rules"]) == 2 for o in sample) > 20  # both topics at once


def full_text(obj: dict[str, Any]) -> str:
    data = obj["data"]
    parts = [data["text"], data.get("note_tweet", {}).get("text", "")]
    refs = {r["id"]: r["type"] for r in data.get("referenced_tweets", [])}
    for t in obj["includes"].get("tweets", []):
        if refs.get(t["id"]) == "retweeted":
            parts.append(t.get("note_tweet", {}).get("text", t["text"]))
    return "\n".join(parts)


def test_matching_rules_agree_with_text(sample: list[dict[str, Any]]) -> None:
    patterns = {name: keyword_re(kws) for name, kws in TOPICS}
    for obj in sample:
        tags = {r["tag"] for r in obj["matching_rules"]}
        text = full_text(obj)
        for name, pattern in patterns.items():
            if name in tags:
                assert pattern.search(text), (name, text)
        if tags == {SAMPLE_RULE_TAG}:
            # Off-topic chatter never mentions a tracked keyword (usernames aside).
            own = re.sub(r"@\w+", "", obj["data"]["text"])
            assert not any(p.search(own) for p in patterns.values()), own


def test_custom_topics_are_used_and_filtered_from_vocabulary() -> None:
    topics = [("economy", ["inflation", "tariffs"]), ("ohio", ["ohio"])]
    objs = collect(3000, seed=4, topics=topics)
    tags = Counter(r["tag"] for o in objs for r in o["matching_rules"])
    assert tags["economy"] > 300 and tags["ohio"] > 300
    pattern = keyword_re(["inflation", "tariffs", "ohio"])
    for obj in objs:
        if {r["tag"] for r in obj["matching_rules"]} == {SAMPLE_RULE_TAG}:
            assert not pattern.search(re.sub(r"@\w+", "", obj["data"]["text"]))


def test_no_topics_still_streams() -> None:
    objs = collect(300, seed=4, topics=[])
    assert len(objs) == 300
    assert all(o["matching_rules"][0]["tag"] == SAMPLE_RULE_TAG for o in objs)


def test_retweets_quotes_replies(sample: list[dict[str, Any]]) -> None:
    kinds: Counter[str] = Counter()
    for obj in sample:
        data = obj["data"]
        refs = data.get("referenced_tweets", [])
        included = {t["id"]: t for t in obj["includes"].get("tweets", [])}
        users = {u["id"]: u for u in obj["includes"]["users"]}
        for ref in refs:
            kinds[ref["type"]] += 1
            assert ref["id"] in included, "referenced tweet must be in includes.tweets"
            orig = included[ref["id"]]
            assert int(orig["id"]) != int(data["id"])
            author = users[orig["author_id"]]
            if ref["type"] == "retweeted":
                prefix = f"RT @{author['username']}: "
                assert data["text"].startswith(prefix)
                body = data["text"][len(prefix) :]
                assert orig["text"].startswith(body.removesuffix("…").rstrip())
                assert len(orig["text"]) >= len(body.removesuffix("…"))
                assert data["lang"] == orig["lang"]
            elif ref["type"] == "replied_to":
                assert data["text"].startswith("@" + author["username"] + " ")
                assert data["in_reply_to_user_id"] == author["id"]
            elif ref["type"] == "quoted":
                link = data["entities"]["urls"][-1]["expanded_url"]
                assert link.endswith("/status/" + orig["id"])
        if not refs:
            kinds["original"] += 1
    n = len(sample)
    assert 0.2 * n < kinds["retweeted"] < 0.6 * n
    assert kinds["replied_to"] > 0.05 * n
    assert kinds["quoted"] > 0.03 * n
    assert kinds["original"] > 0.25 * n


def check_entities(text: str, ent: dict[str, list[dict[str, Any]]]) -> None:
    for h in ent.get("hashtags", []):
        assert text[h["start"] : h["end"]] == "#" + h["tag"], (text, h)
    for m in ent.get("mentions", []):
        assert text[m["start"] : m["end"]] == "@" + m["username"], (text, m)
    for u in ent.get("urls", []):
        assert text[u["start"] : u["end"]] == u["url"], (text, u)
        assert re.fullmatch(r"https://t\.co/[A-Za-z0-9]{10}", u["url"])


def test_entity_offsets_point_at_the_text(sample: list[dict[str, Any]]) -> None:
    seen: Counter[str] = Counter()
    for obj in sample:
        tweets = [obj["data"], *obj["includes"].get("tweets", [])]
        for t in tweets:
            ent = t.get("entities", {})
            check_entities(t["text"], ent)
            for key in ent:
                seen[key] += 1
            if "note_tweet" in t:
                check_entities(t["note_tweet"]["text"], t["note_tweet"].get("entities", {}))
    assert seen["hashtags"] and seen["mentions"] and seen["urls"]


def test_variety(sample: list[dict[str, Any]]) -> None:
    langs = Counter(o["data"]["lang"] for o in sample)
    assert langs.most_common(1)[0][0] == "en"
    assert len(langs) >= 5
    texts = [o["data"]["text"] for o in sample]
    assert any("\u200d" in t for t in texts), "ZWJ emoji sequences"
    assert any(re.search(r"[\U0001F300-\U0001FAFF]", t) for t in texts)
    notes = [o["data"] for o in sample if "note_tweet" in o["data"]]
    assert notes
    for d in notes:
        assert len(d["note_tweet"]["text"]) > 280
        assert d["note_tweet"]["text"].startswith(d["text"].removesuffix("…"))
    words = Counter(w for t in texts for w in re.findall(r"[a-z]+", t.lower()))
    assert len(words) > 300, "a vocabulary of a few hundred words"
    for w in ("debate", "rally", "polls", "economy", "ohio"):
        assert words[w] > 0, w


def test_authors_repeat_zipf_like(sample: list[dict[str, Any]]) -> None:
    authors = Counter(o["data"]["author_id"] for o in sample)
    assert 500 < len(authors) < 3001
    top = authors.most_common(1)[0][1]
    assert top >= 10  # some authors are much more active than others
    assert sum(1 for c in authors.values() if c == 1) > 100


def test_limit() -> None:
    assert len(collect(123)) == 123
    vc = VirtualClock()
    src = DemoSource(TOPICS, seed=1, clock=vc.clock, sleep=vc.sleep, limit=0)
    assert list(src.lines(threading.Event())) == []


def test_stop_set_before_start_yields_nothing() -> None:
    stop = threading.Event()
    stop.set()
    assert list(DemoSource(TOPICS, seed=1, sleep=lambda s: None).lines(stop)) == []


def test_stop_event_ends_iterator_promptly() -> None:
    stop = threading.Event()
    src = DemoSource(TOPICS, rate=10, seed=1)  # real clock and real sleep
    set_at: list[float] = []

    def stopper() -> None:
        time.sleep(0.3)
        set_at.append(time.monotonic())
        stop.set()

    thread = threading.Thread(target=stopper)
    thread.start()
    count = sum(1 for _ in src.lines(stop))
    ended = time.monotonic()
    thread.join()
    assert ended - set_at[0] < 0.5
    assert count < 50


@pytest.mark.parametrize(("seed", "rate"), [(1, 5.0), (2, 20.0), (3, 20.0), (4, 80.0)])
def test_mean_rate_roughly_right(seed: int, rate: float) -> None:
    vc = VirtualClock()
    n = int(rate * 900)  # about 15 minutes of virtual time
    src = DemoSource(TOPICS, rate=rate, seed=seed, clock=vc.clock, sleep=vc.sleep, limit=n)
    assert sum(1 for _ in src.lines(threading.Event())) == n
    measured = n / (vc.now - START)
    assert 0.75 * rate < measured < 1.25 * rate


def test_rate_is_modulated() -> None:
    """Bursts and lulls: per-10-second counts vary far more than Poisson noise would."""
    objs = collect(12_000, seed=7, rate=20.0)
    per_bucket: dict[str, Counter[str]] = {}
    for o in objs:
        bucket = o["data"]["created_at"][:18]  # "YYYY-MM-DDTHH:MM:S": 10-second buckets
        per_bucket.setdefault(bucket, Counter()).update(r["tag"] for r in o["matching_rules"])
    totals = [sum(c.values()) for c in list(per_bucket.values())[1:-1]]
    assert max(totals) > 2 * min(totals)
    # During a burst one topic spikes: some busy bucket is dominated by one topic.
    busy = [c for c in per_bucket.values() if sum(c.values()) > 100]
    assert any(c["trump"] > 3 * c["biden"] or c["biden"] > 3 * c["trump"] for c in busy)


def test_high_rate_sleeps_in_batches() -> None:
    vc = VirtualClock()
    src = DemoSource(TOPICS, rate=5000, seed=1, clock=vc.clock, sleep=vc.sleep, limit=20_000)
    sleeps = 0
    orig = vc.sleep

    def counting_sleep(s: float) -> None:
        nonlocal sleeps
        sleeps += 1
        orig(s)

    src.sleep = counting_sleep
    assert sum(1 for _ in src.lines(threading.Event())) == 20_000
    assert sleeps < 20_000 / 50
    assert 3000 < 20_000 / (vc.now - START) < 7000


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        DemoSource(TOPICS, rate=0)
    with pytest.raises(ValueError):
        DemoSource(TOPICS, limit=-1)


def test_goes_through_the_normalizer_and_matcher() -> None:
    """Every demo line normalizes to a Tweet whose keyword topics equal its matching rules."""
    from tweetwatch.pipeline.model import Tweet
    from tweetwatch.pipeline.normalize import normalize_line
    from tweetwatch.pipeline.text import Topic, TopicMatcher, tokenize

    matcher = TopicMatcher(tuple(Topic(name, tuple(kws)) for name, kws in TOPICS))
    vc = VirtualClock()
    src = DemoSource(TOPICS, seed=9, clock=vc.clock, sleep=vc.sleep, limit=3000)
    for line in src.lines(threading.Event()):
        records = normalize_line(line)
        assert len(records) == 1 and isinstance(records[0], Tweet), records
        tweet = records[0]
        tags = {r["tag"] for r in orjson.loads(line)["matching_rules"]} - {SAMPLE_RULE_TAG}
        assert set(matcher.match(tokenize(tweet.matching_text))) == tags, tweet.text


def test_batches_are_the_lines_a_tick_at_a_time_with_empty_ticks_in_a_lull() -> None:
    def source() -> DemoSource:
        vc = VirtualClock()
        return DemoSource(TOPICS, rate=0.5, seed=9, clock=vc.clock, sleep=vc.sleep, limit=20)

    ticks = list(source().batches(threading.Event()))
    assert [line for tick in ticks for line in tick] == list(source().lines(threading.Event()))
    assert sum(len(tick) for tick in ticks) == 20
    # at half a post a second most 0.1 s ticks are empty: the collector hears of each one,
    # so its flush timer runs between posts (sources.base.line_batches)
    assert sum(1 for tick in ticks if not tick) > len(ticks) / 2
