"""Hostile and broken input: no crash, no hang, exact counts, and no escape byte from the input
ever reaches the terminal (checked on the bytes a real pty receives)."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest
from hostile_corpus import HOSTILE_TEXTS, build
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import FIXTURES, run_cli
from test_terminal import read_until, spawn_in_pty

from tweetwatch.pipeline.aggregate import Aggregator
from tweetwatch.pipeline.model import Control, Reject, Tweet
from tweetwatch.pipeline.normalize import normalize_line
from tweetwatch.pipeline.text import Topic, TopicMatcher, fold_case, tokenize
from tweetwatch.sanitize import clean_text


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return build(tmp_path_factory.mktemp("corpus"))


def test_every_case_counts_exactly(corpus, server_url: str, namespace: str) -> None:
    for case, path in corpus:
        ns = f"{namespace}-{case.name.replace('_', '-')}"
        started = time.monotonic()
        result = run_cli("collect", "--replay", str(path), "--redis", server_url, "--namespace", ns)
        assert result.returncode == 0, (case.name, result.stderr)
        assert "Traceback" not in result.stderr, case.name
        assert time.monotonic() - started < 60, f"{case.name} took too long"
        out = run_cli("summary", "--json", "--window", "24h", "--redis", server_url, "--namespace", ns)
        data = json.loads(out.stdout)
        if case.tweets < 0:  # gzip cut mid-member: the complete first member counts, nothing crashes
            assert data["total"] >= 20, case.name
            continue
        got = (data["total"], data["control"], data["rejected"], data["duplicates"])
        assert got == (case.tweets, case.control, case.rejected, case.duplicates), case.name


def test_no_input_escape_reaches_the_terminal(corpus, server_url: str, namespace: str, tmp_path: Path) -> None:
    hostile = next(path for case, path in corpus if case.name == "hostile_texts")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env.update(TERM="xterm-256color", TWEETWATCH_STATE_DIR=str(tmp_path),
               TWEETWATCH_CONFIG=str(FIXTURES / "empty-config.toml"))
    proc, master = spawn_in_pty(
        [sys.executable, "-m", "tweetwatch", "--redis", server_url, "--namespace", namespace,
         "--replay", str(hostile), "--speed", "max", "--track", "trump:trump"], env, cols=160, rows=50)
    try:
        screen = read_until(master, b"counters", 30)
        screen += read_until(master, b"\x00never", 3)  # let a few refreshes draw the data
        os.write(master, b"v")  # the main panel shows the live feed: the hostile texts themselves
        screen += read_until(master, b"screen wipe", 15)
        screen += read_until(master, b"\x00never", 2)
        os.write(master, b"q")
        screen += read_until(master, b"\x00never", 3)
        proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert b"counters" in screen
    assert b"screen wipe" in screen and b"copy me" in screen  # the posts were really drawn
    # Textual's own OSC 22 (pointer shape) ends in BEL; any other BEL would come from the input
    screen_wo_own = re.sub(rb"\x1b\]22;[a-z-]*\x07", b"", screen)
    for needle in (b"\x1b]52", b"SGFja2Vk", b"\x1bP", b"\x1b[2J\x1b[H", b"\x1b[31;1;5m", b"\x07"):
        assert needle not in screen_wo_own, needle
    text = screen.decode("utf-8", "replace")
    for ch in text:
        assert not 0x80 <= ord(ch) <= 0x9F, f"C1 control U+{ord(ch):04X} reached the terminal"
        assert ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", "bidi control reached the terminal"


def test_summary_and_exports_carry_no_hostile_sequence(corpus, server_url: str, namespace: str,
                                                       tmp_path: Path) -> None:
    """Hashtags and mentioned usernames are stored as they came and printed by `summary` and
    the exports, which go to a terminal as often as to a file (`cat mix.csv`). The escape
    sequences' letters must not turn into keywords either."""
    hostile = next(path for case, path in corpus if case.name == "hostile_texts")
    base = ("--redis", server_url, "--namespace", namespace)
    assert run_cli("collect", "--replay", str(hostile), "--track", "trump:trump", *base).returncode == 0
    outputs = [run_cli("summary", "--window", "24h", *base), run_cli("summary", "--json", "--window", "24h", *base),
               run_cli("export", "json", "-o", "-", "--window", "24h", *base),
               run_cli("export", "csv", "-o", str(tmp_path / "csv"), "--window", "24h", *base)]
    for result in outputs:
        assert result.returncode == 0, result.stderr
    texts = [r.stdout + r.stderr for r in outputs] + [p.read_text() for p in (tmp_path / "csv").iterdir()]
    summary = json.loads(outputs[1].stdout)
    assert len(summary["mix"]["hashtags"]) >= 8 and len(summary["mix"]["mentions"]) >= 8  # they are there
    for text in texts:
        assert "\x1b" not in text and "\\u001b" not in text and "\x07" not in text and "\\u0007" not in text
        for ch in text:
            assert not 0x80 <= ord(ch) <= 0x9F and ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    words = {word for word, _ in summary["topics"]["trump"]["keywords"]}
    assert "copy" in words and not words & {"31", "0m", "2j", "52", "sgfja2vkignsaxbib2fyza", "title"}


def test_sanitizer_removes_every_hostile_sequence() -> None:
    for name, text in HOSTILE_TEXTS.items():
        clean = clean_text(text)
        assert "\x1b" not in clean and "\x07" not in clean, name
        assert not any(0x80 <= ord(c) <= 0x9F or ord(c) < 0x20 for c in clean), name
        assert "SGFja2Vk" not in clean, name
    assert clean_text(HOSTILE_TEXTS["markup"]) == HOSTILE_TEXTS["markup"]  # shown literally, not parsed


# -- fuzzing ---------------------------------------------------------------------------------

FIELD_NAMES = st.sampled_from([
    "data", "id", "id_str", "text", "user", "created_at", "includes", "tweets", "referenced_tweets", "type",
    "entities", "hashtags", "matching_rules", "tag", "note_tweet", "extended_tweet", "full_text",
    "retweeted_status", "quoted_status", "errors", "limit", "delete", "kind", "did", "commit", "record",
    "lang", "author_id", "mentions", "username", "urls", "users",
])
AGGREGATOR = Aggregator(TopicMatcher((Topic("trump", ("trump",)),)), sentiment=False)


def _nested(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.lists(children, max_size=4) | st.dictionaries(FIELD_NAMES, children, max_size=6)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    _nested,
    max_leaves=25,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_fuzz_normalizer_structured(value: object) -> None:
    records = normalize_line(json.dumps(value).encode())
    for record in records:
        assert isinstance(record, (Tweet, Control, Reject))
        if isinstance(record, Tweet):
            assert isinstance(record.id, str) and record.id
            assert isinstance(record.text, str) and isinstance(record.created_ms, int)
            assert all(isinstance(name, str) for name in record.hashtags + record.mentions)
    AGGREGATOR.build(records)  # whatever came through, counting it must not raise


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_normalizer_bytes(data: bytes) -> None:
    for record in normalize_line(data):
        assert isinstance(record, (Tweet, Control, Reject))


MATCHER = TopicMatcher((Topic("trump", ("trump", "donald trump")), Topic("biden", ("biden",))))


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
@example("\u1f50")  # ὐ: its casefold decomposes, and NFC composes it again (hypothesis found it)
def test_fuzz_tokenizer_and_matcher(text: str) -> None:
    tokens = tokenize(text)
    # folded (casefold then NFC: `ὐ` casefolds to `ὐ`, which composes back, so not `t.casefold()`)
    assert all(t and t == fold_case(t) and "http://" not in t for t in tokens)
    topics = MATCHER.match(tokens)
    assert set(topics) <= {"trump", "biden"}
    for topic in topics:
        for word in MATCHER.keywords(topic, tokens):
            assert len(word) > 1 and not word.isdecimal()
    assert ("trump" in topics) == ("trump" in tokens or any(
        a == "donald" and b == "trump" for a, b in zip(tokens, tokens[1:])))
