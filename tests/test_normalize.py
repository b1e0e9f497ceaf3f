"""Normalizer on hand-written v1.1 and v2 fixtures: every shape, control lines and garbage."""

from __future__ import annotations

import json

import orjson

import pytest

from tweetwatch.pipeline.model import Control, Reject, Tweet
from tweetwatch.pipeline.normalize import normalize_line, parse_iso_time, parse_v1_time, snowflake_ms

from support import FIXTURES


def records(path: str) -> list:
    out = []
    for line in (FIXTURES / path).read_bytes().splitlines():
        out.extend(normalize_line(line))
    return out


def test_v1_fixture_kinds() -> None:
    recs = records("v1_mixed.jsonl")
    assert sum(isinstance(r, Tweet) for r in recs) == 6  # includes the duplicate (dedupe is later)
    assert sum(isinstance(r, Control) for r in recs) == 2
    assert sum(isinstance(r, Reject) for r in recs) == 3


def test_v1_retweet_uses_original_full_text() -> None:
    tweet = next(r for r in records("v1_mixed.jsonl") if isinstance(r, Tweet) and r.id.endswith("2"))
    assert tweet.is_retweet and not tweet.is_quote
    assert tweet.retweeted_text == "Biden talks about the economy and jobs in Ohio today"
    assert tweet.matching_text == tweet.retweeted_text


def test_v1_extended_text_wins() -> None:
    tweet = next(r for r in records("v1_mixed.jsonl") if isinstance(r, Tweet) and r.id.endswith("3"))
    assert tweet.text.startswith("Debate night")
    assert tweet.mentions == ("realDonaldTrump", "JoeBiden")


def test_v1_quote_matching_text_includes_quoted() -> None:
    tweet = next(r for r in records("v1_mixed.jsonl") if isinstance(r, Tweet) and r.id.endswith("5"))
    assert tweet.is_quote
    assert "Trump crowd is huge" in tweet.matching_text
    assert "ohio crowd" in tweet.matching_text


def test_v1_time_and_id_str() -> None:
    tweet = next(r for r in records("v1_mixed.jsonl") if isinstance(r, Tweet))
    assert tweet.id == "720000000000000001"
    assert tweet.created_ms == parse_v1_time("Wed Apr 19 14:31:05 +0000 2016")
    assert tweet.created_ms == 1461076265000


def test_v1_timestamp_ms_preferred() -> None:
    line = {"id_str": "5", "text": "x", "user": {"id_str": "1"}, "timestamp_ms": "1461076265123",
            "created_at": "Wed Apr 19 14:31:05 +0000 2016"}
    (tweet,) = normalize_line(json.dumps(line))
    assert tweet.created_ms == 1461076265123


@pytest.mark.parametrize("key", ["limit", "delete", "warning", "disconnect", "scrub_geo",
                                 "status_withheld", "user_withheld"])
def test_v1_control_messages(key: str) -> None:
    assert normalize_line(json.dumps({key: {"x": 1}})) == [Control(key)]


def test_v2_fixture() -> None:
    recs = records("v2_mixed.jsonl")
    tweets = [r for r in recs if isinstance(r, Tweet)]
    assert [t.id[-1] for t in tweets] == ["1", "2", "3", "4", "5"]
    assert sum(isinstance(r, Control) for r in recs) == 1  # operational-disconnect
    assert sum(isinstance(r, Reject) for r in recs) == 1  # a user object is not a tweet
    first, retweet, note = tweets[0], tweets[1], tweets[2]
    assert first.rule_tags == ("biden",)
    assert first.created_ms == parse_iso_time("2021-04-01T15:52:31.000Z") == 1617292351000
    assert retweet.is_retweet and retweet.retweeted_text == "Trump said something about the election results"
    assert note.text == "A very long note about Joe Biden and the economy plan"
    assert tweets[3].rule_tags is None


def test_gzip_fixture_same_as_plain() -> None:
    import gzip

    plain = (FIXTURES / "v2_mixed.jsonl").read_bytes()
    assert gzip.decompress((FIXTURES / "v2_mixed.jsonl.gz").read_bytes()) == plain


@pytest.mark.parametrize(
    "line",
    [b"{", b"null", b"42", b'"text"', b"[]", b'{"id": 1}', b'{"data": 5}', b"\xff\xfe\x00",
     b'{"data": {"id": null, "text": "x"}}', b'{"user": {}, "id_str": "1", "text": null}'],
)
def test_garbage_is_rejected_not_raised(line: bytes) -> None:
    out = normalize_line(line)
    assert out and all(isinstance(r, Reject) for r in out)


def test_blank_and_crlf_lines() -> None:
    assert normalize_line(b"\r\n") == []
    assert normalize_line(b"   ") == []
    (tweet,) = normalize_line(b'{"data": {"id": "1377650090978992131", "text": "hi"}}\r\n')
    assert isinstance(tweet, Tweet)


def test_missing_created_at_falls_back_to_snowflake() -> None:
    (tweet,) = normalize_line(b'{"data": {"id": "1377650090978992131", "text": "hi"}}')
    assert tweet.created_ms == snowflake_ms("1377650090978992131")
    assert abs(tweet.created_ms - 1617292350000) < 5000


def test_v2_errors_with_empty_data_is_control() -> None:
    assert normalize_line(b'{"data": [], "errors": [{"title": "x"}]}') == [Control("v2-error")]


@pytest.mark.parametrize("created", ["2021-04-01T15:52:31.1²3Z", "2021-04-01T15:52:31.١٢٣Z", "2021-04-01T15:52:31.12Z"])
def test_odd_created_at_digits_fall_back_not_crash(created: str) -> None:
    """`str.isdigit` accepts superscripts that `int` refuses: a line must never raise."""
    line = orjson.dumps({"data": {"id": "1377650090978992131", "text": "hi", "created_at": created}})
    (tweet,) = normalize_line(line)
    assert isinstance(tweet, Tweet)
    assert abs(tweet.created_ms - 1617292350000) < 5000  # the snowflake time, not garbage


def test_v2_reply_and_missing_includes() -> None:
    line = orjson.dumps({
        "data": {"id": "1377650090978992131", "text": "RT @a: x", "created_at": "2021-04-01T15:52:31.000Z",
                 "referenced_tweets": [{"type": "replied_to", "id": "9"}, {"type": "retweeted", "id": "7"}]},
    })
    (tweet,) = normalize_line(line)
    assert tweet.is_reply and tweet.is_retweet and tweet.retweeted_text is None
    assert tweet.matching_text == "RT @a: x"
