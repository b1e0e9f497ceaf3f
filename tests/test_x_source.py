"""XSource and the rules sync, in process, against the fake X API (a real HTTP server)."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_x_api import (
    STREAM_PATH,
    FakeXApi,
    drop,
    end,
    hold,
    keepalive,
    line,
    operational_disconnect,
    post,
    stall,
    status,
)

from tweetwatch.errors import UsageError
from tweetwatch.pipeline.text import Topic
from tweetwatch.secret import Secret
from tweetwatch.sources.x import Backoff, XApi, XSource, clear_rules, sync_rules
from tweetwatch.sources.x_http import OVERSIZED_LINE, split_lines
from tweetwatch.sources.x_rules import Rule, RuleRecord, desired_rules, plan_sync, rule_value

TOKEN = "AAAAtest-token-0123456789-zzzz"
TRUMP = Topic("trump", ("trump", "realdonaldtrump"))
BIDEN = Topic("biden", ("biden", "joe biden"))
OHIO = Topic("ohio", ("ohio",))


@pytest.fixture
def api() -> Iterator[FakeXApi]:
    with FakeXApi(TOKEN, keepalive_interval=0.05) as server:
        yield server


class RecordingSource(XSource):
    """Remembers every state it passed through (backoffs in tests last milliseconds)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.history: list[str] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _set(self, phase: str, reason: str = "", until: float = 0.0) -> None:
        super()._set(phase, reason, until)
        self.history.append(self.state)


def make_source(api: FakeXApi, tmp_path: Path, topics: tuple[Topic, ...] = (TRUMP, BIDEN),
                token: str = TOKEN, **kwargs: object) -> RecordingSource:
    options: dict[str, object] = {"state_dir": tmp_path, "stall_timeout": 0.5, "backoff_scale": 0.01}
    options.update(kwargs)
    return RecordingSource(Secret(token), topics, api.url, **options)  # type: ignore[arg-type]


def read_until(source: XSource, done, timeout: float = 20) -> list[bytes]:  # noqa: ANN001
    """Run `lines()` like the collector does until `done(lines)` is true; check the idle yields."""
    stop = threading.Event()
    lines: list[bytes] = []
    last = time.monotonic()
    deadline = last + timeout
    for item in source.lines(stop):
        now = time.monotonic()
        assert now - last < 0.5, "lines() must yield (None at least) every 100 ms"
        last = now
        if item is not None:
            lines.append(item)
        if done(lines):
            stop.set()
        assert now < deadline, f"timed out; state {source.state}, history {source.history}"  # type: ignore[attr-defined]
    return lines


# --- rules --------------------------------------------------------------------------------


def test_rule_values() -> None:
    assert rule_value(TRUMP) == "trump OR realdonaldtrump"
    assert rule_value(BIDEN) == 'biden OR "joe biden"'
    assert rule_value(OHIO, "lang:en -is:retweet") == "ohio lang:en -is:retweet"
    assert rule_value(TRUMP, "lang:en") == "(trump OR realdonaldtrump) lang:en"
    assert rule_value(Topic("t", ("#maga", "@potus", "$TSLA", 'say "hi"', "a-b"))) == \
        '#maga OR @potus OR $TSLA OR "say \\"hi\\"" OR "a-b"'
    with pytest.raises(UsageError, match="characters long"):
        desired_rules([Topic("long", tuple(f"k{i:02d}" + "x" * 40 for i in range(50)))])


def test_a_keyword_never_becomes_an_operator() -> None:
    """`OR` is a word but also X's operator: quoted like punctuation, so the rule keeps one
    term per keyword between its ORs (`or`, `AND` and `NOT` are plain keywords to X)."""
    keywords = ('a"b', "c)d", "-foo", "OR", "x\\y", "#tag", "@m", "$c", "or", "AND", "NOT", "#OR")
    value = rule_value(Topic("weird", keywords))
    assert value == ('"a\\"b" OR "c)d" OR "-foo" OR "OR" OR "x\\\\y" OR #tag OR @m OR $c OR or OR AND OR NOT '
                     'OR #OR')
    tokens = re.findall(r'"(?:\\.|[^"\\])*"|\S+', value)
    assert tokens[1::2] == ["OR"] * (len(keywords) - 1) and "OR" not in tokens[::2]
    assert rule_value(Topic("t", ("OR",)), "lang:en") == '"OR" lang:en'


def test_plan_sync_keeps_foreign_rules() -> None:
    current = [
        Rule("trump OR realdonaldtrump", "trump", "1"),  # wanted, already there
        Rule("biden", "biden", "2"),  # ours (recorded), stale value
        Rule("cats", "pets", "3"),  # someone else's
        Rule("trump OR realdonaldtrump", "trump", "4"),  # a second copy of a wanted one
    ]
    wanted = desired_rules([TRUMP, BIDEN])
    plan = plan_sync(current, wanted, recorded={"2"})
    assert [r.id for r in plan.keep] == ["1"]
    assert sorted(r.id for r in plan.delete) == ["2", "4"]
    assert [r.id for r in plan.foreign] == ["3"]
    assert [(r.tag, r.value) for r in plan.add] == [("biden", 'biden OR "joe biden"')]


def test_sync_adds_missing_removes_stale_and_keeps_foreign(api: FakeXApi, tmp_path: Path) -> None:
    foreign = api.add_rule("cats OR dogs", "pets")
    foreign_same_tag = api.add_rule("from:someone", "trump")  # not ours, although tagged like a topic
    xapi = XApi(Secret(TOKEN), api.url)
    record = RuleRecord(tmp_path, api.url)

    first = sync_rules(xapi, [TRUMP, BIDEN], "", record)
    assert first.added == 2 and first.deleted == 0
    ours = {r.id: (r.tag, r.value) for r in first.rules if r.id in first.ours}
    assert sorted(ours.values()) == [("biden", 'biden OR "joe biden"'), ("trump", "trump OR realdonaldtrump")]
    trump_id = next(i for i, (tag, _) in ours.items() if tag == "trump")

    second = sync_rules(xapi, [TRUMP, OHIO], "lang:en", record)
    values = {r.tag: r.value for r in second.rules if r.id in second.ours}
    assert values == {"trump": "(trump OR realdonaldtrump) lang:en", "ohio": "ohio lang:en"}
    assert trump_id not in api.rules  # the value changed: replaced
    assert foreign in api.rules and foreign_same_tag in api.rules
    assert second.deleted == 2 and second.added == 2

    third = sync_rules(xapi, [TRUMP, OHIO], "lang:en", record)  # nothing to do
    assert (third.added, third.deleted) == (0, 0)
    assert sum(1 for r in api.rule_requests() if r.method == "POST" and r.body.get("add")) == 4  # 2 dry + 2 real

    remaining, deleted = clear_rules(xapi, [TRUMP, OHIO], "lang:en", record)
    assert deleted == 2
    assert {r.id for r in remaining} == {foreign, foreign_same_tag}
    assert set(api.rules) == {foreign, foreign_same_tag}


def test_a_lost_record_adopts_identical_rules(api: FakeXApi, tmp_path: Path) -> None:
    existing = api.add_rule("ohio", "ohio")
    xapi = XApi(Secret(TOKEN), api.url)
    result = sync_rules(xapi, [OHIO], "", RuleRecord(tmp_path, api.url))
    assert result.ours == {existing} and result.added == 0


def test_clear_deletes_the_rules_list_calls_tweetwatchs(api: FakeXApi, tmp_path: Path) -> None:
    """With the record lost, `rules list` called an identical rule tweetwatch's (adopted) but
    `rules clear` left it, saying "0 of them tweetwatch's" (QA)."""
    adopted = api.add_rule("trump OR realdonaldtrump", "trump")
    foreign = api.add_rule("from:someone", "trump")
    xapi = XApi(Secret(TOKEN), api.url)
    remaining, deleted = clear_rules(xapi, [TRUMP], "", RuleRecord(tmp_path, api.url))
    assert deleted == 1 and {r.id for r in remaining} == {foreign} and adopted not in api.rules


def test_invalid_rule_changes_nothing(api: FakeXApi, tmp_path: Path) -> None:
    api.add_rule("biden", "biden")
    xapi = XApi(Secret(TOKEN), api.url)
    record = RuleRecord(tmp_path, api.url)
    record.save(set(api.rules))
    before = dict(api.rules)
    with pytest.raises(UsageError, match="X rejected the rule for topic 'bad'"):
        sync_rules(xapi, [Topic("bad", ("INVALID",))], "", record)
    assert api.rules == before  # validated with dry_run before deleting anything


def test_same_value_under_a_foreign_tag_is_a_clear_error(api: FakeXApi, tmp_path: Path) -> None:
    api.add_rule("ohio", "elections")
    with pytest.raises(UsageError, match="already exists with tag 'elections'"):
        sync_rules(XApi(Secret(TOKEN), api.url), [OHIO], "", RuleRecord(tmp_path, api.url))


# --- the stream ---------------------------------------------------------------------------


def test_backoff_schedule_follows_x() -> None:
    backoff = Backoff()
    assert [backoff.next("network") for _ in range(3)] == [0.25, 0.5, 0.75]
    assert [backoff.next("http") for _ in range(8)] == [5, 10, 20, 40, 80, 160, 320, 320]
    backoff.reset()
    assert [backoff.next("rate") for _ in range(4)] == [60, 120, 240, 320]
    backoff.reset()
    for _ in range(100):
        wait = backoff.next("network")
    assert wait == 16
    assert Backoff(scale=0.01).next("rate") == pytest.approx(0.6)


def test_stream_requests_fields_and_yields_raw_lines(api: FakeXApi, tmp_path: Path) -> None:
    api.connections = [[keepalive(), post(1, "trump rally", ["trump"]), keepalive(),
                        post(2, "joe biden speaks", ["biden", "unknown"]), hold()]]
    source = make_source(api, tmp_path)
    lines = read_until(source, lambda got: len(got) == 2)
    assert lines == api.sent_lines
    assert b'"matching_rules"' in lines[0] and b'"tag": "trump"' in lines[0]
    request = api.stream_requests()[0]
    assert request.authorized
    assert set(request.query["expansions"][0].split(",")) >= {"author_id", "referenced_tweets.id"}
    assert set(request.query["tweet.fields"][0].split(",")) >= {
        "author_id", "created_at", "entities", "lang", "note_tweet", "referenced_tweets"}
    assert "username" in request.query["user.fields"][0]
    assert source.history[:3] == ["connecting (syncing rules)", "connecting", "connected (2 rules, last data 0 s ago)"]
    assert source.state == "stopped (stop requested)"


def test_split_lines_resyncs_after_a_line_over_the_cap() -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"a": 1}\r\n\r'  # a keep-alive whose \n comes in the next read
        yield b'\n{"b"'
        yield b': 2}\r\n' + b"y" * 6
        yield from (b"x" * 7 for _ in range(1000))  # over the cap: dropped as it comes
        yield b"x\r\n\r\n" + b"z" * 10 + b"\r\n" + b"w" * 11 + b"\n{}"
    assert list(split_lines(chunks(), max_line=10)) == [
        b'{"a": 1}', b"", b'{"b": 2}', OVERSIZED_LINE, b"", b"z" * 10, OVERSIZED_LINE, b"{}"]


def test_reconnects_after_drop_stall_close_and_operational_disconnect(api: FakeXApi, tmp_path: Path) -> None:
    api.connections = [
        [post(1, "trump one", ["trump"]), post(2, "biden two", ["biden"]), drop()],
        [post(2, "biden two", ["biden"]), post(3, "trump three", ["trump"]), stall(5)],
        [post(3, "trump three", ["trump"]), post(4, "biden four", ["biden"]), operational_disconnect()],
        [post(5, "trump five", ["trump"]), end()],
        [post(6, "biden six", ["biden"]), hold()],
    ]
    source = make_source(api, tmp_path)
    lines = read_until(source, lambda got: api.holding.is_set() and len(got) == len(api.sent_lines))
    assert lines == api.sent_lines  # every line, duplicates included: the collector dedupes
    assert len(lines) == 9 and sum(b"operational-disconnect" in x for x in lines) == 1
    reasons = [s for s in source.history if s.startswith("reconnecting in")]
    assert [r.split("(", 1)[1] for r in reasons] == [
        "connection dropped)", "stall: nothing for 0.5 s)", "operational-disconnect from X)", "stream closed by X)"]
    assert len(api.stream_requests()) == 5
    assert sum(1 for r in api.rule_requests() if r.method == "GET") == 2  # rules synced once


@pytest.mark.parametrize("kind", ["TooManyConnections", "rate limit"])
def test_429_backs_off_says_so_and_recovers(api: FakeXApi, tmp_path: Path, kind: str) -> None:
    body = None if kind == "TooManyConnections" else {"title": "Too Many Requests", "detail": "Too Many Requests"}
    api.connections = [[status(429, body)], [status(429, body)], [post(1, "trump back", ["trump"]), hold()]]
    source = make_source(api, tmp_path)
    lines = read_until(source, lambda got: len(got) == 1)
    assert lines == api.sent_lines
    waits = [s for s in source.history if s.startswith("reconnecting in")]
    expected = "429 too many connections" if kind == "TooManyConnections" else "429 rate limited"
    assert len(waits) == 2 and all(expected in s for s in waits)
    first, second, third = (r.at for r in api.stream_requests())
    assert second - first >= 0.55 and third - second >= 1.15  # 60 s then 120 s, scaled by 0.01
    assert any(s.startswith("connected") for s in source.history[-3:])


@pytest.mark.parametrize("header", ["x-rate-limit-reset", "retry-after"])
def test_429_waits_for_the_reset_x_gives(api: FakeXApi, tmp_path: Path, header: str) -> None:
    """X says when its limit resets; trying again before that only meets another 429."""
    value = str(int(time.time()) + 250) if header == "x-rate-limit-reset" else "250"
    api.connections = [[status(429, None, {header: value})], [post(1, "trump back", ["trump"]), hold()]]
    source = make_source(api, tmp_path)  # every wait scaled by 0.01: 250 s -> 2.5 s, not 60 s -> 0.6 s
    assert read_until(source, lambda got: len(got) == 1) == api.sent_lines
    first, second = (r.at for r in api.stream_requests())
    assert second - first >= 2.3
    waits = [s for s in source.history if s.startswith("reconnecting in")]
    assert len(waits) == 1 and "X resets the limit in 2" in waits[0], waits


@pytest.mark.parametrize("code, words", [
    (401, ["401 Unauthorized", "X_BEARER_TOKEN", "--bearer-token-file"]),
    (403, ["403 Forbidden", "Pro or Enterprise", "client-not-enrolled"]),
])
def test_401_403_on_the_stream_stop_without_retrying(
    api: FakeXApi, tmp_path: Path, code: int, words: list[str]
) -> None:
    api.connections = [[status(code)], [post(1, "never read", ["trump"]), hold()]]
    source = make_source(api, tmp_path)
    with pytest.raises(UsageError) as failure:
        read_until(source, lambda got: False)
    message = str(failure.value)
    assert all(word in message for word in words), message
    assert "\n" not in message and TOKEN not in message
    assert len(api.stream_requests()) == 1
    assert source.state.startswith("stopped (")


def test_bad_token_stops_at_the_rules_request(api: FakeXApi, tmp_path: Path) -> None:
    source = make_source(api, tmp_path, token="AAAAwrong-token-0000000000-yyyy")
    with pytest.raises(UsageError, match="401 Unauthorized"):
        read_until(source, lambda got: False)
    assert len(api.requests) == 1 and not api.requests[0].authorized
    assert api.stream_requests() == []


def test_unreachable_api_keeps_retrying_and_says_so(tmp_path: Path) -> None:
    source = RecordingSource(Secret(TOKEN), (TRUMP,), "http://127.0.0.1:9", state_dir=tmp_path,
                             stall_timeout=0.5, backoff_scale=0.01)
    stop = threading.Event()
    for _ in source.lines(stop):
        if sum(s.startswith("reconnecting") for s in source.history) >= 3:
            stop.set()
    waits = [s for s in source.history if s.startswith("reconnecting")]
    assert all("(cannot reach http://127.0.0.1:9)" in s for s in waits), waits


def test_stop_while_connected_is_prompt(api: FakeXApi, tmp_path: Path) -> None:
    api.keepalive_interval = 30  # the server is silent; the read blocks
    api.connections = [[post(1, "trump", ["trump"]), hold()]]
    source = make_source(api, tmp_path, stall_timeout=60)
    read_until(source, lambda got: len(got) == 1)
    started = time.monotonic()
    runner = source._runner
    assert runner is not None
    runner.thread.join(5)
    assert not runner.thread.is_alive() and time.monotonic() - started < 5


def test_the_token_stays_out_of_logs_and_reprs(api: FakeXApi, tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.connections = [[status(429)], [post(1, "trump", ["trump"]), drop()], [status(401)]]
    source = make_source(api, tmp_path)
    with pytest.raises(UsageError) as failure:
        read_until(source, lambda got: False)
    assert TOKEN not in caplog.text and TOKEN not in repr(source) and TOKEN not in str(failure.value)
    assert TOKEN not in "".join(source.history)
    assert any(r.path == STREAM_PATH for r in api.requests)


def test_operational_disconnect_line_without_data_only(api: FakeXApi, tmp_path: Path) -> None:
    """A post that merely mentions the phrase does not end the connection."""
    api.connections = [[post(1, "operational-disconnect is a funny phrase", ["trump"]),
                        line({"data": {"id": "2", "text": "x"}, "errors": [{"title": "operational-disconnect"}]}),
                        post(3, "still here", ["trump"]), hold()]]
    source = make_source(api, tmp_path)
    read_until(source, lambda got: len(got) == 3)
    assert len(api.stream_requests()) == 1
