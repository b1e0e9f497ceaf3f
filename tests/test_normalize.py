"""Normalizer on hand-written v1.1 and v2 fixtures: every shape, control lines and garbage."""

from __future__ import annotations

import json

import orjson

import pytest

from tweetwatch.pipeline.model import Control, Reject, Tweet
from tweetwatch.pipeline.normalize import normalize_line, normalize_lines
from tweetwatch.pipeline.timeparse import parse_iso_time, parse_v1_time, snowflake_ms

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


@pytest.mark.parametrize("stamp", ["99999999999999", "0", 12])
def test_v1_implausible_timestamp_ms_falls_back_to_created_at_then_the_id(stamp: str | int) -> None:
    """QA: a post whose `timestamp_ms` is from the far future or 1970 was rejected, though
    its `created_at` (or its snowflake id) gives the time, as the v2 path does."""
    line = {"id_str": "1463470036512919552", "text": "x", "user": {"id_str": "1"}, "timestamp_ms": stamp,
            "created_at": "Wed Nov 24 11:42:00 +0000 2021"}
    (tweet,) = normalize_line(json.dumps(line))
    assert tweet.created_ms == parse_v1_time("Wed Nov 24 11:42:00 +0000 2021")
    del line["created_at"]
    (tweet,) = normalize_line(json.dumps(line))
    assert tweet.created_ms == snowflake_ms("1463470036512919552")


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


def test_normalize_lines_gives_every_line_s_records_in_order_with_rejects_located() -> None:
    from tweetwatch.pipeline.normalize import normalize_line_generic

    lines = [*(FIXTURES / "v1_mixed.jsonl").read_bytes().splitlines(), b"", b"{",
             *(FIXTURES / "v2_mixed.jsonl").read_bytes().splitlines(), b"null"]
    records: list = [Control("already there")]
    rejected = normalize_lines(lines, records)
    per_line = [normalize_line_generic(line) for line in lines]
    assert records == [Control("already there"), *(r for out in per_line for r in out)]
    expected = [(i, out[0]) for i, out in enumerate(per_line) if out and isinstance(out[0], Reject)]
    assert rejected == expected and len(expected) >= 3
    assert sum(isinstance(r, Tweet) for r in records) >= 5


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


# --- the v2 fast path (msgspec) decides exactly as the general path ----------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tweetwatch.pipeline import v2_fast  # noqa: E402
from tweetwatch.pipeline.normalize import normalize_line_generic  # noqa: E402
from support import REAL_DATA  # noqa: E402


def _assert_same(line: bytes) -> bool:
    """True when the fast path took the line (and agreed with the general path)."""
    fast = v2_fast.tweet_from_v2_line(line)
    if fast is None:
        return False
    assert normalize_line_generic(line) == [fast], line[:300]
    return True


def test_fast_path_agrees_on_fixtures_and_real_data() -> None:
    paths = sorted(FIXTURES.glob("*.jsonl"))
    if REAL_DATA.exists():
        paths += sorted(p for p in REAL_DATA.iterdir() if p.suffix in (".json", ".jsonl", ".txt"))
    taken = sum(_assert_same(line) for path in paths for line in path.read_bytes().splitlines())
    assert taken >= 3  # the v2 fixture's stream lines at least


def test_fast_path_agrees_on_the_hostile_corpus(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hostile_corpus import build

    from tweetwatch.sources.replay import line_chunks

    lines = [line for _case, path in build(tmp_path) for chunk in line_chunks(path) for line in chunk]
    assert len(lines) > 20
    for line in lines:
        _assert_same(line)  # never raises, and agrees whenever it takes the line


_SCALARS = st.none() | st.booleans() | st.integers(-5, 2**70) | st.text(max_size=8) | st.sampled_from(
    ["2021-04-01T15:52:31.1²3Z", "retweeted", "", "http://x.co"])
_ANY = st.recursive(_SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(
    st.sampled_from(["id", "text", "tag", "username", "type", "note_tweet", "urls"]), c, max_size=3), max_leaves=8)


def _mostly(valid: st.SearchStrategy, odd: st.SearchStrategy = _ANY) -> st.SearchStrategy:
    """Usually a well-typed value (so the fast path takes the line), now and then anything."""
    return st.sampled_from([True] * 12 + [False]).flatmap(lambda usual: valid if usual else odd)


_WORD = st.sampled_from(["trump", "Biden", "", "x" * 200, "ẞtraße", "😀"])
_TEXT = st.lists(_WORD | st.sampled_from([" ", "http://t.co/a", "#tag"]), max_size=5).map("".join)
_ENTITIES = st.fixed_dictionaries({}, optional={
    "hashtags": _mostly(st.lists(st.fixed_dictionaries({"tag": _mostly(_WORD)}, optional={"start": st.integers(0, 9)}), max_size=3)),
    "mentions": _mostly(st.lists(st.fixed_dictionaries({"username": _mostly(_WORD)}), max_size=3)),
    "urls": _ANY,
})
_DATA = st.fixed_dictionaries(
    {"id": _mostly(st.sampled_from(["1377650090978992131"] * 5 + ["7", "", "9" * 70])), "text": _mostly(_TEXT)},
    optional={
        "created_at": _mostly(st.sampled_from(["2021-04-01T15:52:31.000Z", "2021-04-01T15:52:31Z", "2999-01-01T00:00:00.000Z", "x"])),
        "lang": _mostly(st.sampled_from(["en", "", "x" * 30])),
        "author_id": _mostly(st.sampled_from(["7", "1", "", "7" * 70])),
        "note_tweet": _mostly(st.fixed_dictionaries({"text": _mostly(_TEXT)})),
        "entities": _mostly(_ENTITIES),
        "referenced_tweets": _mostly(st.lists(st.fixed_dictionaries(
            {"type": _mostly(st.sampled_from(["retweeted", "quoted", "replied_to", "x"])),
             "id": _mostly(st.sampled_from(["9", "8"]))}), max_size=3)),
    },
)
_LINE = st.fixed_dictionaries({"data": _DATA}, optional={
    "includes": _mostly(st.fixed_dictionaries({}, optional={
        "tweets": _mostly(st.lists(st.fixed_dictionaries(
            {"id": _mostly(st.sampled_from(["9", "8"])), "text": _mostly(_TEXT)},
            optional={"note_tweet": _mostly(st.fixed_dictionaries({"text": _mostly(_TEXT)}))}), max_size=3)),
        "users": _mostly(st.lists(st.fixed_dictionaries(
            {"id": _mostly(st.sampled_from(["7", "1"]))}, optional={"username": _mostly(_WORD)}), max_size=3)),
        "media": _ANY})),
    "matching_rules": _mostly(st.lists(st.fixed_dictionaries(
        {}, optional={"tag": _mostly(st.sampled_from(["trump", "biden", ""])), "id": _ANY}), max_size=3)),
})
_TAKEN: list[bool] = []


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LINE)
def test_fast_path_agrees_on_fuzzed_v2_lines(obj: dict) -> None:
    line = json.dumps(obj).encode()
    _TAKEN.append(_assert_same(line))


def test_fast_path_leaves_odd_ids_to_the_general_path() -> None:
    for data in ({"id": "1377650090978992131", "id_str": "5", "text": "a"}, {"id": "9" * 70, "text": "a"},
                 {"id": "", "text": "a"}):
        line = json.dumps({"data": data}).encode()
        assert v2_fast.tweet_from_v2_line(line) is None
        assert normalize_line(line) == normalize_line_generic(line)


def test_the_fuzzing_reaches_the_fast_path() -> None:
    """Runs after the fuzz test (file order): a good share of the generated lines must be
    fast-path lines, or the comparison above proves little. (A third or so are, from run to
    run 23–39% as measured: with one odd value in 13 per field, most lines hold one somewhere.
    A bound of a quarter failed now and then; an eighth still catches a strategy that stopped
    reaching the fast path.)"""
    if _TAKEN:
        assert sum(_TAKEN) > len(_TAKEN) // 8, (sum(_TAKEN), len(_TAKEN))
