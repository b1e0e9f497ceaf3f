"""The C v2 fast path (tweetwatch/native/_v2scan.c) against its Python reference (v2_fast.py).

For every input the C function must return what `python_tweet_from_v2_line` returns, except
that it may return None where Python returns a Tweet (the general path then decides the same
way). It must take the ordinary line, though (or there is no speedup), never crash, and never
leak. Skipped when the module is not built; CI checks separately that it is.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import FIXTURES, REAL_DATA, traced_growth
from test_normalize import _LINE  # the fuzzing strategy of v2 lines (mostly well typed)

from tweetwatch.pipeline import v2_fast
from tweetwatch.pipeline.model import Tweet
from tweetwatch.pipeline.names import distinct_names, fold_name

pytestmark = pytest.mark.skipif(
    v2_fast.native_tweet_from_v2_line is None,
    reason="the C speedup tweetwatch.native._v2scan is not built (python setup.py build_ext --inplace)",
)

REFERENCE = v2_fast.python_tweet_from_v2_line
ID = "1377650090978992131"
STAMP = "2021-04-01T15:52:31.000Z"


def native(line: object) -> Tweet | None:
    scan = v2_fast.native_tweet_from_v2_line
    assert scan is not None
    return scan(line)  # type: ignore[arg-type]


def _typed(tweet: Tweet) -> list[tuple[type, object]]:
    """The fields with their types: a Tweet with 1 for True would compare equal."""
    return [(type(value), value) for value in (getattr(tweet, name) for name in Tweet.__struct_fields__)]


def agrees(line: bytes) -> Tweet | None:
    """The C function's answer, checked against the reference: the same Tweet, or None."""
    fast = native(line)
    reference = REFERENCE(line)
    if fast is not None:
        assert reference is not None, line[:300]
        assert _typed(fast) == _typed(reference), line[:300]
    return fast


def takes(line: bytes) -> Tweet:
    """`agrees`, and the C function must take the line."""
    fast = agrees(line)
    assert fast is not None, line[:300]
    return fast


def refuses(line: bytes) -> None:
    """Both leave the line to the general path."""
    assert native(line) is None, line[:300]
    assert REFERENCE(line) is None, line[:300]


def v2_line(data: dict | None = None, *, ascii: bool = True, **top: object) -> bytes:
    """A well-formed stream line; `data` entries added to (or replacing) a minimal post's."""
    obj: dict = {"data": {"id": ID, "text": "hello", "created_at": STAMP, **(data or {})}, **top}
    return json.dumps(obj, ensure_ascii=ascii).encode()


def data_files() -> list[Path]:
    paths = sorted(FIXTURES.glob("*.jsonl"))
    if REAL_DATA.is_dir():
        paths += sorted(p for p in REAL_DATA.iterdir() if p.suffix in (".json", ".jsonl", ".txt"))
    return paths


def demo_lines(count: int) -> list[bytes]:
    """The bench's ordinary lines (bench/ingest.py generates its file the same way)."""
    from tweetwatch.sources.demo import virtual_time_source

    topics = [("trump", ["trump", "realdonaldtrump"]), ("biden", ["biden", "joebiden"])]
    source = virtual_time_source(topics, rate=1000.0, seed=7, limit=count)
    return list(source.lines(threading.Event()))


# --- whole files: C takes every line Python takes, with the same Tweet ----------------------


def test_takes_every_fixture_and_real_data_line_python_takes() -> None:
    taken = 0
    for path in data_files():
        for line in path.read_bytes().splitlines():
            if REFERENCE(line) is not None:
                takes(line)
                taken += 1
            else:
                agrees(line)
    assert taken >= 3  # the v2 fixture's stream lines at least


def test_takes_the_bench_s_ordinary_lines() -> None:
    for line in demo_lines(3000):
        takes(line)


def test_hostile_corpus(tmp_path: Path) -> None:
    from hostile_corpus import build

    from tweetwatch.sources.replay import line_chunks

    lines = [line for _case, path in build(tmp_path) for chunk in line_chunks(path) for line in chunk]
    assert len(lines) > 20
    for line in lines:
        agrees(line)


# --- fuzzing ---------------------------------------------------------------------------------


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LINE, st.booleans(), st.sampled_from([None, 1]))
def test_fuzzed_v2_lines(obj: dict, ascii: bool, indent: int | None) -> None:
    """Generated JSON has no duplicate or escaped keys, no deep nesting, no long lists: C takes
    every such line that Python takes (indented too, after the prefix both look for)."""
    text = json.dumps(obj, ensure_ascii=ascii, indent=indent)
    line = ('{"data":' + text[text.index(":") + 1:]).encode()
    if REFERENCE(line) is not None:
        takes(line)
    else:
        refuses(line)


def _seed_lines() -> list[bytes]:
    rich = v2_line(
        {"lang": "en", "author_id": "7", "note_tweet": {"text": "long \u00e9 text http"},
         "entities": {"hashtags": [{"tag": "Vote"}, {"tag": "vote"}], "mentions": [{"username": "a"}],
                      "urls": [{"url": "x", "n": -1.5e3}]},
         "referenced_tweets": [{"type": "quoted", "id": "9"}, {"type": "replied_to", "id": "8"}]},
        includes={"tweets": [{"id": "9", "text": "q\ud83d\ude00", "ok": [True, False, None]}],
                  "users": [{"id": "7", "username": "someone"}]},
        matching_rules=[{"id": "1", "tag": "trump"}, {"tag": None}],
    )
    return [rich, demo_lines(1)[0]]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_seed_lines()), st.lists(st.tuples(
    st.integers(0, 10**6), st.sampled_from(["set", "insert", "delete"]),
    st.sampled_from(list(b'"\\{}[]:,0-.eE+ntfu\x00\x1f\x7f\x80\xbf\xc0\xed\xf0\xf4\xff ') + [65, 97]),
), min_size=1, max_size=4))
def test_byte_mutations_of_good_lines(line: bytes, edits: list[tuple[int, str, int]]) -> None:
    """Hostile bytes: a good line with a few bytes set, inserted or deleted anywhere."""
    mutated = bytearray(line)
    for where, how, byte in edits:
        at = where % (len(mutated) + 1)
        if how == "insert":
            mutated[at:at] = bytes([byte])
        elif at < len(mutated):
            if how == "set":
                mutated[at] = byte
            else:
                del mutated[at]
    agrees(bytes(mutated))


# --- targeted cases --------------------------------------------------------------------------


def test_every_truncation_of_a_line() -> None:
    for line in _seed_lines():
        for end in range(len(line)):
            agrees(line[:end])
        takes(line)
        takes(line + b" \r\n\t")


def test_input_types() -> None:
    line = v2_line()
    assert takes(line) == native(line)
    assert native(bytearray(line)) == native(memoryview(line)) == native(line)
    assert native(line.decode()) is None  # a str: the general path decides (normalize passes bytes)
    with pytest.raises(TypeError):
        native(5)
    with pytest.raises(TypeError):
        REFERENCE(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("line", [
    b" " + v2_line(), b"\n" + v2_line(), b'{ "data":' + v2_line()[8:], b'{"\\u0064ata":' + v2_line()[8:],
    b'{"data"', b'{"data":', b"", b" ", b"\n", b"{", b"}", b"{}", b"[]", b"null", b'"data"', b'{"data":}', b'{"data":null}',
    b'{"data":[]}', b'{"data":{}}', b'{"data":{"id":"1"}}', b'{"data":{"text":"a"}}',
    b'\xef\xbb\xbf' + v2_line(), v2_line() + b"x", v2_line() + b"\x00", v2_line() + b"{}", v2_line()[:-1] + b",}",
    v2_line().replace(b'"text"', b'"text" \x0c'), v2_line().replace(b'"text"', b'"text"\x0b'),
])
def test_not_a_line_for_the_fast_path(line: bytes) -> None:
    refuses(line)


@pytest.mark.parametrize("text", [
    b'"\\ud800"', b'"a\\ud800"', b'"\\udc00"', b'"\\ud800\\u0041"', b'"\\ud800\\ud800"', b'"\\udfff\\ud800"',
    b'"\\ud800\\"', b'"\\u12"', b'"\\u12G4"', b'"\\x41"', b'"\\U0041"', b'"\\', b'"\\"',
    b'"a\x00b"', b'"a\x1fb"', b'"a\tb"', b'"a\nb"',
    b'"\xff"', b'"\xc0\xaf"', b'"\xc1\xbf"', b'"\xe0\x80\xaf"', b'"\xed\xa0\x80"', b'"\xf0\x80\x80\xaf"',
    b'"\xf4\x90\x80\x80"', b'"\xf5\x80\x80\x80"', b'"\x80"', b'"\xc3"', b'"\xe2\x82"', b'"\xf0\x9f\x98"',
    b'"\xc3\xa9\xe2\x82"',
])
def test_invalid_strings_are_refused_wherever_they_are(text: bytes) -> None:
    """In a field that is read, and in one that is skipped: msgspec skips an ignored string
    without checking its UTF-8, so there only C must refuse (orjson, the general path, does)."""
    assert native(v2_line().replace(b'"hello"', text)) is None
    assert native(v2_line({"ignored": "IGNORED"}).replace(b'"IGNORED"', text)) is None
    assert native(v2_line(includes={"media": ["IGNORED"]}).replace(b'"IGNORED"', text)) is None
    assert native(v2_line(includes={"media": {"k": 1}}).replace(b'"k"', text)) is None


@pytest.mark.parametrize("text", [
    "", "\x00", "a\x00b", "\u0001\u001f\u007f", '"\\/\b\f\n\r\t', "\u00e9\u20ac\U0001f600", "\U0010ffff",
    "\ud7ff\ue000\ufffd\ufeff", "http", "htt", "xhttpx", "HTTP", "h" * 50 + "ttp",
    "\u00e9" * 1000 + "http",
])
def test_strings_decode_as_msgspec_decodes_them(text: str) -> None:
    """In the text, the ids compared and a username, escaped (ensure_ascii) and raw."""
    data = {"author_id": "", "note_tweet": {"text": text}, "referenced_tweets": [{"type": "quoted", "id": text}]}
    includes = {"tweets": [{"id": text, "text": text}], "users": [{"id": "", "username": text[:64]}]}
    for ascii in (True, False):
        tweet = takes(v2_line(data, ascii=ascii, includes=includes))
        assert tweet.text == text == tweet.quoted_text
        assert tweet.author_name == (text[:64] or None)
        assert tweet.has_link == ("http" in text)


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80) | st.text(
    st.sampled_from("a \u00e9\u00ff\u0100\u07ff\u0800\uffff\U00010000\U0010ffff\x00\"\\"), max_size=300)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ANY_TEXT, _ANY_TEXT, st.booleans())
def test_any_text_decodes_as_msgspec_decodes_it(text: str, other: str, ascii: bool) -> None:
    """Every kind of str CPython makes (1, 2 or 4 bytes a character), escaped and raw."""
    tweet = takes(v2_line({"text": text, "referenced_tweets": [{"type": "retweeted", "id": "9"}]}, ascii=ascii,
                          includes={"tweets": [{"id": "9", "text": other}]}))
    assert (tweet.text, tweet.retweeted_text) == (text, other)


@pytest.mark.parametrize("raw", [
    b'"\\u0068\\u0074\\u0074\\u0070"', b'"\\ud83d\\ude00"', b'"\\uD83D\\uDE00"', b'"\\u00E9"', b'"\\/\\\\\\""',
    b'"a\x7fb"', b'"\xf4\x8f\xbf\xbf"', b'"\xef\xbf\xbf"', b'"\xee\x80\x80"',
])
def test_escapes_and_edge_utf8_in_the_text(raw: bytes) -> None:
    takes(v2_line().replace(b'"hello"', raw))


@pytest.mark.parametrize("number", [
    "0", "-0", "1.5", "1e5", "1E+5", "1e-5", "-1.25E-10", "0e0", "1e400", "-1e400", "1" + "0" * 400,
    "0." + "0" * 5000 + "1", "18446744073709551616", "-9223372036854775809", "4.9e-324", "1" * 100_000,
    "01", "-01", "00", "1.", ".5", "-", "1e", "1e+", "+1", "0x10", "2.e3", "-.5", "1_0", "Infinity", "NaN",
    "-Infinity", "true", "false", "null", "nul", "tru", "True", "nulll", "[1,]", "[,1]", "{,}", '{"a"}',
    '{"a":1,}', '{"a" 1}', "[1 2]", "[", "]", "",
])
def test_numbers_and_literals_in_skipped_values(number: str) -> None:
    """Valid JSON (1e400 too: msgspec only checks an ignored number's shape) is taken by both,
    anything else by neither."""
    for template in (b"%s", b"[%s]", b'{"k": %s}', b"[%s, 1]"):
        line = v2_line({"ignored": "X"}).replace(b'"X"', template % number.encode())
        if REFERENCE(line) is not None:
            takes(line)
        else:
            refuses(line)


@pytest.mark.parametrize("depth", [1, 10, 60, 62, 63, 64, 65, 100, 1000, 100_000])
def test_deep_nesting(depth: int) -> None:
    """Up to MAX_DEPTH (64) levels in all, the line's own two levels included."""
    for open_, close in ((b"[", b"]"), (b'{"a":', b"}")):
        line = v2_line({"ignored": "X"}).replace(b'"X"', open_ * depth + b"1" + close * depth)
        if depth + 2 <= 64:
            takes(line)
        else:
            assert native(line) is None
        agrees(line[:-depth])  # unclosed


@pytest.mark.parametrize("first", [
    b'"id": "5"', b'"text": "5"', b'"created_at": null', b'"lang": "en"', b'"author_id": "1"', b'"entities": {}',
    b'"note_tweet": null', b'"referenced_tweets": []',
])
def test_duplicate_keys_of_the_schema(first: bytes) -> None:
    """msgspec keeps the last value of a duplicate key; C leaves such a line to the general path."""
    base = v2_line({"lang": "en", "author_id": "1", "entities": {}, "note_tweet": None, "referenced_tweets": []})
    line = base.replace(b'{"id"', b"{" + first + b', "id"', 1)
    assert line.count(first.split(b":")[0]) == 2
    assert native(line) is None
    agrees(line)


@pytest.mark.parametrize("line", [
    b'{"data": {"id": "%s", "text": "a"}, "data": {"id": "%s", "text": "b"}}' % (ID.encode(), ID.encode()),
    v2_line(includes={}).replace(b'"includes": {}', b'"includes": {}, "includes": null'),
    v2_line(includes={"users": [{"id": "7"}]}).replace(b'"id": "7"', b'"id": "7", "id": "8"'),
    v2_line(includes={"users": []}).replace(b'"users": []', b'"users": [], "users": []'),
    v2_line(includes={"tweets": []}).replace(b'"tweets": []', b'"tweets": [], "tweets": []'),
    v2_line({"entities": {"hashtags": []}}).replace(b'"hashtags": []', b'"hashtags": [], "hashtags": []'),
    v2_line({"entities": {"urls": 1}}).replace(b'"urls": 1', b'"urls": 1, "urls": 2'),
    v2_line({"entities": {"hashtags": [{"tag": "a"}]}}).replace(b'"tag": "a"', b'"tag": "a", "tag": "b"'),
    v2_line(matching_rules=[]).replace(b'"matching_rules": []', b'"matching_rules": [], "matching_rules": null'),
    v2_line(matching_rules=[{"tag": "a"}]).replace(b'"tag": "a"', b'"tag": "a", "tag": "b"'),
])
def test_more_duplicate_keys(line: bytes) -> None:
    assert native(line) is None
    agrees(line)


def test_duplicate_ignored_keys_and_escaped_keys() -> None:
    takes(v2_line({"ignored": 1}).replace(b'"ignored": 1', b'"ignored": 1, "ignored": [2]'))
    agrees(v2_line().replace(b'"id"', b'"\\u0069d"'))  # msgspec matches the decoded key; C leaves it
    agrees(v2_line().replace(b'"text"', b'"te\\u0078t"'))
    takes(v2_line({"ignored": {"\\u0069d": 1}}))  # escaped keys in skipped objects are fine


# Bounded strings of the schema: (where the value goes, its maximum length in characters).
_BOUNDED: list[tuple[str, int, Callable[[str], bytes]]] = [
    ("data.id", 64, lambda v: v2_line({"id": v, "created_at": STAMP})),
    ("data.lang", 16, lambda v: v2_line({"lang": v})),
    ("data.author_id", 64, lambda v: v2_line({"author_id": v})),
    ("includes.users[].username", 64, lambda v: v2_line(includes={"users": [{"id": "1", "username": v}]})),
    ("entities.hashtags[].tag", 140, lambda v: v2_line({"entities": {"hashtags": [{"tag": v}]}})),
    ("entities.mentions[].username", 140, lambda v: v2_line({"entities": {"mentions": [{"username": v}]}})),
]


@pytest.mark.parametrize(("where", "limit", "make"), _BOUNDED, ids=[b[0] for b in _BOUNDED])
@pytest.mark.parametrize("char", ["x", "\u00e9", "\u20ac", "\U0001f600", "\n"])
def test_string_bounds_count_characters(where: str, limit: int, make: Callable[[str], bytes], char: str) -> None:
    """msgspec's max_length counts code points: an emoji is one, as escaped `\\ud83d\\ude00`
    and as 4 bytes of UTF-8."""
    for ascii in (True, False):
        def line(length: int, ascii: bool = ascii) -> bytes:
            encoded = make(char * length)
            return encoded if ascii else json.dumps(json.loads(encoded), ensure_ascii=False).encode()

        takes(line(limit))
        takes(line(limit - 1))
        refuses(line(limit + 1))
    if where == "data.id":
        refuses(make(""))


@pytest.mark.parametrize("field", [
    "id", "text", "created_at", "lang", "author_id", "entities", "referenced_tweets", "note_tweet", "id_str",
])
@pytest.mark.parametrize("value", [None, 1, 1.5, True, "s", [], {}, [None], [{}], {"text": 1}, {"text": None}])
def test_every_type_in_every_data_field(field: str, value: object) -> None:
    agrees(v2_line({field: value}))


@pytest.mark.parametrize("value", [None, 1, "s", [], {}, [None], [1], [{}], [{"id": "1"}], [{"text": "a"}],
                                   [{"id": 1, "text": "a"}], [{"id": "1", "username": None}],
                                   [{"id": "1", "username": 5}], [{"tag": None}], [{"tag": 5}], [{"type": "quoted"}]])
def test_every_type_in_lists(value: object) -> None:
    lines = [
        v2_line(includes={"tweets": value}), v2_line(includes={"users": value}), v2_line(matching_rules=value),
        v2_line({"referenced_tweets": value}), v2_line({"entities": {"hashtags": value}}),
        v2_line({"entities": {"mentions": value}}), v2_line({"entities": {"urls": value}}),
        v2_line(includes=value), v2_line({"note_tweet": value}),
    ]
    for line in lines:
        agrees(line)


def test_the_build_follows_v2_fast() -> None:
    includes = {"tweets": [{"id": "9", "text": "original", "note_tweet": {"text": "long original"}},
                           {"id": "9", "text": "second"}, {"id": "8", "text": "quoted"}],
                "users": [{"id": "6", "username": "other"}, {"id": "7", "username": "me"},
                          {"id": "7", "username": "again"}]}
    tweet = takes(v2_line(
        {"author_id": "7", "lang": "", "referenced_tweets": [
            {"type": "retweeted", "id": "9"}, {"type": "quoted", "id": "8"}, {"type": "replied_to", "id": "1"},
            {"type": "quoted", "id": "404"}, {"type": "other", "id": "9"}],
         "entities": {"hashtags": [{"tag": "Vote"}, {"tag": "VOTE"}, {"tag": "x"}], "mentions": [{"username": "a"}]}},
        includes=includes, matching_rules=[{"tag": "b"}, {"tag": None}, {"tag": "c"}]))
    assert (tweet.is_retweet, tweet.is_quote, tweet.is_reply) == (True, True, True)
    assert (tweet.retweeted_text, tweet.quoted_text) == ("long original", None)
    assert (tweet.author_name, tweet.lang, tweet.hashtags, tweet.mentions) == ("me", None, ("Vote", "x"), ("a",))
    assert tweet.rule_tags == ("b", "c") and tweet.has_link is False
    assert takes(v2_line(matching_rules=[{"tag": None}, {"tag": None}])).rule_tags is None
    assert takes(v2_line(matching_rules=[{"tag": None}])).rule_tags is None
    assert takes(v2_line(matching_rules=[])).rule_tags is None
    one = takes(v2_line(matching_rules=[{"tag": "trump"}])).rule_tags
    assert one == ("trump",) and one is v2_fast.one_tag("trump")
    assert takes(v2_line({"entities": {"urls": None}})).has_link is True
    assert takes(v2_line({"entities": None, "author_id": ""}, includes={"users": [{"id": ""}]})).author is None
    assert takes(v2_line({"author_id": "7"}, includes={"users": [{"id": "7", "username": ""}]})).author_name is None
    assert takes(v2_line({"created_at": None})).created_ms == takes(v2_line({"created_at": "x"})).created_ms
    refuses(v2_line({"id": "5", "created_at": None}))  # no time at all


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12))
def test_plain_names_fold_to_their_ascii_lowercase(name: str) -> None:
    """What _v2scan.c's `plainly_distinct` relies on to skip calling distinct_names: a name of
    printable ASCII without spaces folds to its lowercase."""
    assert fold_name(name) == name.lower()


@pytest.mark.parametrize("names", [
    ["Vote", "vote"], ["a", "b", "A"], ["x-y", "X-Y"], ["a_b", "A_B", "c"], ["~", "^"], ["a b", "a_b"],
    ["\u00c9t\u00e9", "\u00e9T\u00c9"], ["stra\u00dfe", "STRASSE"], ["a\u001bb", "ab"], ["1", "01"], ["@", "`"],
])
def test_repeated_names_go_through_distinct_names(names: list[str]) -> None:
    entities = {"hashtags": [{"tag": n} for n in names], "mentions": [{"username": n} for n in names]}
    tweet = takes(v2_line({"entities": entities}))
    assert tweet.hashtags == tweet.mentions == distinct_names(tuple(names))


def test_long_lists_are_left_or_agree() -> None:
    for count in (63, 64, 65, 500):
        users = [{"id": str(i), "username": f"u{i}"} for i in range(count)]
        line = v2_line({"author_id": str(count - 1)}, includes={"users": users})
        if count <= 64:
            assert takes(line).author_name == f"u{count - 1}"
        else:
            agrees(line)


def test_a_huge_line() -> None:
    text = "trump \u00e9\U0001f600 " * 300_000
    takes(v2_line({"note_tweet": {"text": text}}, ascii=False))
    takes(v2_line({"ignored": [text] * 4}))


# --- no leak -----------------------------------------------------------------------------------


def _lines_for_leak_check() -> Iterator[bytes]:
    yield from _seed_lines()
    yield v2_line({"text": "esc\\u00e9aped \\n", "created_at": "2021-04-01T15:52:31Z"})
    yield v2_line({"text": "x"}).replace(b'"x"', b'"\\ud800"')  # refused mid-way, arena allocated
    yield v2_line({"id": "5", "created_at": None})  # refused in the build
    yield v2_line()[:-3]


def test_no_reference_or_memory_leak() -> None:
    lines = list(_lines_for_leak_check())

    def run(times: int) -> None:
        for _ in range(times):
            for line in lines:
                native(line)

    run(200)
    watched = (None, True, False, Tweet, v2_fast.one_tag("trump"))
    counts = [sys.getrefcount(o) for o in watched]
    grown = traced_growth(run, 500, 3000)
    assert [sys.getrefcount(o) for o in watched] == counts
    assert grown < 64 * 1024, grown
