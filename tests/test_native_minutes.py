"""The C minute columns (tweetwatch/native/_minutecount.c) against the Python reference.

`minute_columns` must give exactly what `minute_columns_python` gives, key order included, or
None (then Python counts the minute); the Deltas the aggregator builds with and without the C
speedups must be equal. Skipped when the module is not built; CI asserts separately that it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hostile_corpus import HOSTILE_TEXTS
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REAL_DATA, traced_growth

from tweetwatch.native import PURE_PYTHON, built
from tweetwatch.pipeline import aggregate, text
from tweetwatch.pipeline.aggregate import (
    Aggregator,
    Delta,
    MinuteColumns,
    minute_columns_python,
)
from tweetwatch.pipeline.model import Record, Tweet
from tweetwatch.pipeline.normalize import normalize_lines
from tweetwatch.pipeline.text import Topic, TopicMatcher
from tweetwatch.store.snapshot import ALL

MINUTE_COLUMNS = built("_minutecount", "minute_columns")
pytestmark = pytest.mark.skipif(
    MINUTE_COLUMNS is None, reason="tweetwatch/native/_minutecount is not built (python setup.py build_ext --inplace)")

MINUTE_MS = 1_700_000_040_000


def ordered(columns: MinuteColumns) -> tuple[Any, ...]:
    """The columns with every dict as its list of items: equal means equal in order too."""
    langs, kinds, hashtags, mentions, ids, groups = columns
    return (list(langs.items()), kinds, list(hashtags.items()), list(mentions.items()), ids,
            [(key, size, list(seconds.items()), authors, texts) for key, size, seconds, authors, texts in groups])


def check(members: list[Any], member_topics: list[Any], fast: bool = True) -> None:
    """C equals Python; `fast`: C does not leave this input to Python."""
    assert MINUTE_COLUMNS is not None
    columns = MINUTE_COLUMNS(members, member_topics, ALL)
    if fast:
        assert columns is not None
    if columns is not None:
        assert ordered(columns) == ordered(minute_columns_python(members, member_topics))
    assert ordered(aggregate.minute_columns(members, member_topics)) == ordered(
        minute_columns_python(members, member_topics))


def make(n: int, second: int = 0, **fields: Any) -> Tweet:
    values: dict[str, Any] = dict(id=str(n), created_ms=MINUTE_MS + second * 1000 + n % 1000, text=f"post {n}",
                                  lang="en", author=f"a{n % 3}", hashtags=(), mentions=(), is_retweet=False,
                                  is_quote=False)
    values.update(fields)
    return Tweet(**values)


def test_the_switch() -> None:
    assert aggregate._MINUTE_COLUMNS is (None if PURE_PYTHON else MINUTE_COLUMNS)


_NAMES = st.sampled_from(["Trump", "trump", "ＴＲＵＭＰ", "biden", "x", "", "İzmir"])
_TWEETS = st.builds(
    Tweet,
    id=st.sampled_from(["1", "2", "3", "10", ""]),
    created_ms=st.integers(-5_000, 5_000).map(lambda d: MINUTE_MS + d * 13)
    | st.sampled_from([0, -1, -999, -1000, -1001, 2**63 - 1, -(2**63)]),
    text=st.sampled_from(["trump rally", "é biden", "", "日本"]),
    lang=st.sampled_from([None, "en", "ja", "", "EN", "x" * 20]),
    author=st.sampled_from([None, "", "a", "b", "c"]),
    hashtags=st.lists(_NAMES, max_size=3).map(tuple),
    mentions=st.lists(_NAMES, max_size=3).map(tuple),
    is_retweet=st.booleans(), is_quote=st.booleans(), is_reply=st.booleans(), has_link=st.booleans(),
    retweeted_text=st.sampled_from([None, "", "rt text trump"]),
    quoted_text=st.sampled_from([None, "", "quoted biden"]),
)
_TOPICS = st.lists(st.sampled_from(["trump", "biden", "jp", ALL]), max_size=3).map(tuple)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TWEETS, max_size=30), st.data())
def test_random_minutes(members: list[Tweet], data: st.DataObject) -> None:
    size = data.draw(st.sampled_from([len(members), max(len(members) - 2, 0), len(members) + 2]))
    check(members, data.draw(st.lists(_TOPICS, min_size=size, max_size=size)))  # zip: the shorter list counts


def test_targeted() -> None:
    check([], [])
    check([make(1)], [()])
    check([make(1)], [])  # no topics listed for it
    check([make(i, i % 7, hashtags=("a", "A", "a"), mentions=("m",)) for i in range(200)],
          [("trump", "trump") if i % 3 else ("biden", "trump") for i in range(200)])  # a topic twice
    check([make(i, 59 - i % 60) for i in range(500)], [("t",)] * 500)  # seconds out of order
    check([make(i, lang=None, author=None) for i in range(5)], [("t",)] * 5)
    check([make(i, hashtags=None) for i in range(3)], [()] * 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("members, member_topics", [
    ([make(1, is_retweet=2)], [()]),  # `sum` adds 2
    ([make(1, has_link=1)], [()]),  # an int that equals True: left to Python all the same
    ([make(1, created_ms=2**63)], [()]),
    ([make(1, created_ms=-(2**63) - 1)], [()]),
    ([make(1, created_ms=1.5e12)], [()]),
    ([make(1, created_ms=True)], [()]),
    ([make(1, hashtags=["a", "b"])], [()]),  # a list: Python iterates it the same
    ([make(1)], [["trump"]]),
])
def test_input_left_to_python(members: list[Tweet], member_topics: list[Any]) -> None:
    assert MINUTE_COLUMNS is not None
    assert MINUTE_COLUMNS(members, member_topics, ALL) is None
    check(members, member_topics, fast=False)
    assert MINUTE_COLUMNS(tuple(members), member_topics, ALL) is None  # not a list


def test_errors_propagate() -> None:
    assert MINUTE_COLUMNS is not None
    with pytest.raises(AttributeError):
        MINUTE_COLUMNS([object()], [()], ALL)
    with pytest.raises(TypeError):
        MINUTE_COLUMNS([make(1, author=["unhashable"])], [()], ALL)
    with pytest.raises(TypeError):
        MINUTE_COLUMNS([make(1)], [()])  # type: ignore[call-arg]


class _Mutating(Tweet):
    """A tweet whose matching text empties the list being counted."""

    @property
    def matching_text(self) -> str:
        _VICTIMS.clear()
        return "gone"


_VICTIMS: list[Any] = []


def test_lists_changed_while_counted_do_not_crash() -> None:
    assert MINUTE_COLUMNS is not None
    _VICTIMS[:] = [_Mutating(**{f: getattr(make(i), f) for f in Tweet.__struct_fields__}) for i in range(50)]
    MINUTE_COLUMNS(_VICTIMS, [("trump",)] * 50, ALL)


def _real_records() -> list[Record]:
    records: list[Record] = []
    for path in sorted(Path(REAL_DATA).iterdir()):
        normalize_lines(path.read_bytes().split(b"\n"), records)
    return records


MATCHER = TopicMatcher((Topic("trump", ("trump", "realdonaldtrump")), Topic("biden", ("biden",)),
                        Topic("jp", ("日本",))))


def snapshot(delta: Delta) -> tuple[Any, ...]:
    """Everything in order, but for the words of each keyword counter: the C token counter lists
    them in the order of its table (the store adds them up in Redis, nothing reads their order)."""
    return (list(delta.counters.items()), list(delta.per_second.items()),
            {key: dict(words) for key, words in delta.keywords.items()}, list(delta.keywords), delta.authors, delta.seen_ids,
            {minute: list(tally.items()) for minute, tally in delta.tallies.items()},
            delta.hashtags, delta.mentions, delta.latest, delta.clock_ms)


def same_delta_with_and_without_c(records: list[Record], monkeypatch: pytest.MonkeyPatch) -> None:
    for rule_tags in (True, False):
        aggregator = Aggregator(MATCHER, use_rule_tags=rule_tags, sentiment=False)
        monkeypatch.setattr(aggregate, "_MINUTE_COLUMNS", MINUTE_COLUMNS)
        monkeypatch.setattr(text, "_TALLY", built("_tokencount", "Tally"))
        native = snapshot(aggregator.build(records))
        monkeypatch.setattr(aggregate, "_MINUTE_COLUMNS", None)
        monkeypatch.setattr(text, "_TALLY", None)
        assert native == snapshot(aggregator.build(records))


def test_hostile_texts_make_the_same_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    records: list[Record] = [make(i, i % 90, text=s, hashtags=("Trump",), is_retweet=i % 2 == 0)
                             for i, s in enumerate(list(HOSTILE_TEXTS.values()) * 3 + ["trump 日本の首相"] * 4)]
    same_delta_with_and_without_c(records, monkeypatch)


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/data/real is not present")
def test_real_data_makes_the_same_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    records = _real_records()
    assert len(records) > 1000
    same_delta_with_and_without_c(records, monkeypatch)
    for start in range(0, len(records), 700):  # batches of another size
        same_delta_with_and_without_c(records[start : start + 700], monkeypatch)


def test_memory_stays_flat() -> None:
    assert MINUTE_COLUMNS is not None
    members = [make(i, i % 60, hashtags=("a", f"h{i}"), mentions=(f"m{i % 7}",)) for i in range(300)]
    topics = [("trump", "biden")[: i % 3] for i in range(300)]

    def run(times: int) -> None:
        for _ in range(times):
            MINUTE_COLUMNS(members, topics, ALL)
            MINUTE_COLUMNS(members + [make(1, is_retweet=2)], topics, ALL)  # falls back half-way

    grown = traced_growth(run, 20, 300)
    assert grown < 64 * 1024, grown
