"""Jetstream events -> Tweet / Control / Reject, on hand-written fixtures and a real recording."""

from __future__ import annotations

import gzip
import json
import threading
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from support import FIXTURES, REAL_DATA

from tweetwatch.pipeline.jetstream_shape import MAX_TEXT_CHARS, normalize_jetstream
from tweetwatch.pipeline.model import Control, Record, Reject, Tweet
from tweetwatch.pipeline.normalize import normalize_line
from tweetwatch.sources.replay import ReplaySource

REAL_FILE = REAL_DATA / "bluesky-social__jetstream__expected_v1.jsonl"
T_MS = 1_783_175_888_000  # time_us of the fixtures' first event, in ms
A = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
B = "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"
C = "did:plc:cccccccccccccccccccccccc"
POST = "app.bsky.feed.post"


def fixture_records() -> list[Record]:
    records: list[Record] = []
    for line in (FIXTURES / "jetstream_events.jsonl").read_bytes().splitlines():
        out = normalize_line(line)
        assert len(out) == 1, line
        records.append(out[0])
    return records


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def test_post_with_tag_mention_and_link_facets() -> None:
    tweet = fixture_records()[0]
    assert isinstance(tweet, Tweet)
    assert tweet.id == f"at://{A}/{POST}/3mptfacets0001"
    assert tweet.created_ms == ms("2026-07-04T14:38:07.500+00:00")
    assert tweet.text.startswith("Vote today #Election2026")
    assert tweet.lang == "en"  # first of langs
    assert tweet.author == A
    assert tweet.hashtags == ("Election2026",)
    assert tweet.mentions == (B,)
    assert tweet.has_link
    assert not (tweet.is_reply or tweet.is_quote or tweet.is_retweet)


def test_reply_quote_and_record_with_media() -> None:
    records = fixture_records()
    reply, quote, quote_media = records[1], records[2], records[3]
    assert isinstance(reply, Tweet) and reply.is_reply and not reply.is_quote and not reply.has_link
    assert isinstance(quote, Tweet) and quote.is_quote and not quote.is_reply and quote.lang == "fr"
    assert isinstance(quote_media, Tweet) and quote_media.is_quote and quote_media.has_link
    assert quote_media.lang is None


def test_created_at_falls_back_to_time_us() -> None:
    records = fixture_records()
    no_created_at, future = records[4], records[11]
    assert isinstance(no_created_at, Tweet) and no_created_at.created_ms == T_MS + 5
    assert isinstance(future, Tweet) and future.created_ms == T_MS + 12  # 2099 is not believed


def test_embedded_feed_is_not_a_quote() -> None:
    feed = fixture_records()[10]
    assert isinstance(feed, Tweet) and not feed.is_quote


def test_hostile_text_and_odd_facets_do_not_break_anything() -> None:
    tweet = fixture_records()[12]
    assert isinstance(tweet, Tweet)
    assert "\x1b" in tweet.text  # kept as data; the TUI's sanitizer strips it on display
    assert tweet.hashtags == ("x",) and tweet.lang is None


def test_controls() -> None:
    records = fixture_records()
    assert records[5] == Control("jetstream-delete")
    assert records[6] == Control("jetstream-update")
    assert records[7] == Control("jetstream-identity")
    assert records[8] == Control("jetstream-account")
    assert records[9] == Control("jetstream-other-collection")  # a like


def test_malformed_events_are_rejects_with_reasons() -> None:
    records = fixture_records()[13:]
    assert len(records) == 8
    assert all(isinstance(r, Reject) and r.reason for r in records), records
    reasons = [r.reason for r in records]  # type: ignore[union-attr]
    assert "not JSON" in reasons
    assert any("text" in r for r in reasons) and any("did" in r for r in reasons)


def test_fixture_totals() -> None:
    kinds = Counter(type(r).__name__ for r in fixture_records())
    assert kinds == {"Tweet": 8, "Control": 5, "Reject": 8}


def event(record: dict, **commit: object) -> dict:
    body = {"operation": "create", "collection": POST, "rkey": "3abc", "record": record, **commit}
    return {"did": A, "time_us": T_MS * 1000, "kind": "commit", "commit": body}


def test_huge_text_is_cut_and_huge_lists_are_fine() -> None:
    facets = [{"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": f"{i:04}" + "t" * 10_000}]} for i in range(1000)]
    out = normalize_jetstream(event({"text": "x" * 5_000_000, "facets": facets, "langs": ["e" * 1000]}))
    tweet = out[0]
    assert isinstance(tweet, Tweet)
    assert len(tweet.text) == MAX_TEXT_CHARS
    assert len(tweet.hashtags) == 1000 and all(len(t) == 140 for t in tweet.hashtags)
    assert tweet.lang == "e" * 16


@pytest.mark.parametrize(
    "obj",
    [
        {"did": A, "kind": None},
        {"did": 7, "kind": "commit"},
        {"did": "did:" + "x" * 5000, "kind": "identity"},
        {"did": A, "kind": "commit", "commit": {"operation": "create", "collection": POST}},
        {"did": A, "kind": "commit", "commit": {"operation": ["create"], "collection": POST}},
        event({"text": ["not", "text"]}),
        event({"text": "ok"}, rkey=""),
        event({"text": "ok"}, rkey="r" * 600),
        event({"text": "ok", "createdAt": "2026-07-04T14:38:08"}) | {"time_us": None},  # naive time
        event({"text": "ok", "createdAt": "9999-12-31T23:59:59Z"}) | {"time_us": 10**30},
        event({"text": "ok", "createdAt": "1970-01-01T00:00:00Z"}) | {"time_us": True},
        event("not a record"),  # type: ignore[arg-type]
    ],
)
def test_bad_shapes_are_rejects(obj: dict) -> None:
    out = normalize_jetstream(obj)
    assert len(out) == 1 and isinstance(out[0], Reject) and out[0].reason


@pytest.mark.parametrize(
    "embed",
    [None, [], {"$type": 5}, {"$type": "app.bsky.embed.recordWithMedia", "record": "x", "media": 3},
     {"$type": "app.bsky.embed.record", "record": {"uri": 12}}, {"$type": "app.bsky.embed.images"}],
)
def test_odd_embeds_never_raise(embed: object) -> None:
    tweet = normalize_jetstream(event({"text": "ok", "embed": embed}))[0]
    assert isinstance(tweet, Tweet)


def real_events() -> list[dict]:
    if not REAL_FILE.is_file():
        pytest.skip(f"real data not present: {REAL_FILE}")
    return [json.loads(line) for line in REAL_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_real_jetstream_recording() -> None:
    events = real_events()
    expected_posts = sum(
        1
        for e in events
        if e.get("kind") == "commit"
        and e["commit"].get("operation") == "create"
        and e["commit"].get("collection") == POST
    )
    records = [r for line in REAL_FILE.read_bytes().splitlines() for r in normalize_line(line)]
    tweets = [r for r in records if isinstance(r, Tweet)]
    assert len(records) == len(events)
    assert len(tweets) == expected_posts
    assert sum(isinstance(r, Control) for r in records) == len(events) - expected_posts
    assert not [r for r in records if isinstance(r, Reject)]
    assert len({t.id for t in tweets}) == len(tweets)
    by_event = {f"at://{e['did']}/{POST}/{e['commit']['rkey']}": e for e in events if e.get("commit")}
    for tweet in tweets:
        record = by_event[tweet.id]["commit"]["record"]
        assert tweet.text == record["text"]
        assert tweet.author == by_event[tweet.id]["did"]
        assert tweet.is_reply == ("reply" in record)
        langs = record.get("langs") or [None]
        assert tweet.lang == langs[0]
        # createdAt and time_us of a live post lie within minutes of each other
        assert abs(tweet.created_ms - by_event[tweet.id]["time_us"] // 1000) < 10 * 60 * 1000


def test_real_recording_replays_through_the_cli_path(tmp_path: Path) -> None:
    """The same lines gzip'd (as the archive writes them) normalize identically."""
    events = real_events()
    archive = tmp_path / "jetstream-20260704-143808.jsonl.gz"
    archive.write_bytes(gzip.compress(REAL_FILE.read_bytes()))
    lines = [line for line in ReplaySource([archive]).lines(threading.Event()) if line is not None]
    assert len(lines) == len(events)
    assert [normalize_line(x) for x in lines] == [normalize_line(x) for x in REAL_FILE.read_bytes().splitlines()]
