"""The C token counter (tweetwatch/native/_tokencount.c) against the Python reference.

`text._count_native` (C, with Python folding the texts that need it) must give exactly what
`count_tokens_python` gives, and with a drop set exactly `TopicMatcher.keyword_counts` of it,
for every input. Skipped when the module is not built; CI asserts separately that it is.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Set as AbstractSet

import pytest
from hostile_corpus import HOSTILE_TEXTS
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REAL_DATA, traced_growth
from test_text import _TEXTS, TRICKY, reference_tokens

from tweetwatch.native import PURE_PYTHON, built
from tweetwatch.pipeline import text
from tweetwatch.pipeline.aggregate import Aggregator
from tweetwatch.pipeline.model import Tweet
from tweetwatch.pipeline.normalize import normalize_lines
from tweetwatch.pipeline.text import Topic, TopicMatcher, count_tokens_python

TALLY = built("_tokencount", "Tally")
pytestmark = pytest.mark.skipif(
    TALLY is None, reason="tweetwatch/native/_tokencount is not built (python setup.py build_ext --inplace)")

MATCHER = TopicMatcher((Topic("trump", ("trump", "realdonaldtrump")), Topic("jp", ("日本",)),
                        Topic("ny", ("new york",))))


def check(texts: list[str]) -> None:
    """C equals Python: all tokens, and the keywords of each topic."""
    assert TALLY is not None
    expected = count_tokens_python(texts)
    assert text._count_native(TALLY, texts) == expected
    for topic in ("trump", "jp", "ny"):
        keywords = MATCHER.keyword_counts(topic, Counter(expected))
        assert text._count_native(TALLY, texts, MATCHER._drop[topic]) == keywords


def test_the_switch_and_the_constants() -> None:
    module = __import__("tweetwatch.native._tokencount", fromlist=["Tally"])
    assert (module.CLASSES_SIZE, module.CLASS_WORD, module.CLASS_INERT) == (
        text._CLASSES_SIZE, text._CLASS_WORD, text._CLASS_INERT)
    assert text._TALLY is (None if PURE_PYTHON else TALLY)


def test_tricky_hostile_and_repeated_texts() -> None:
    texts = TRICKY + list(HOSTILE_TEXTS.values())
    check(texts)
    check(texts * 3 + texts[:4])  # repeats, like retweets: folded once, counted n times
    assert text._count_native(TALLY, texts) == Counter(t for s in texts for t in reference_tokens(s))


@pytest.mark.parametrize("texts", [
    [], [""], ["", ""], [" "], ["!@#$%^&*()-=+[]{};:'\",.<>/?\\|`~ \t\n\r\x0b\x0c\x1c\x1f"],
    ["\x00", "a\x00b", "\x00trump\x00"],  # NUL is a separator
    ["x" * 100_000, "é" * 50_000 + " x", "日" * 70_000, "🔥" * 40_000 + "a"],  # long tokens
    ["a", "1", "12", "١٢٣", "1a", "a1", "_", "__", "é", "日", "日本"],  # short and decimal ones
    ["the and rt amp https of is don", "Trump TRUMP trump #trump @realDonaldTrump", "New York"],
    ["trump🔥", "🔥trump🔥biden", "🧑\u200d🤝\u200d🧑 x\ufe0f 1\ufe0f\u20e3 ©®™ — “quoted” …"],
    ["HTTP://X.CO/A b", "xhttp://y z", "http://", "http:// x", "https://", "httpS://ok k",
     "hTtPs://a\u2028after", "http://a\u1680b", "http://🔥 c", "hhttp://x y", "httphttp://x y", "http:/x y"],
    ["x\ud800y", "\udfff", "\ud835\udc00 a"],  # lone surrogates (separators, never joined)
    ["ＵＳＡ", "İstanbul", "ß", "ﬁ", "𝗧𝗿𝘂𝗺𝗽", "ﾄﾗﾝﾌﾟ", "cafe\u0301", "यह नहीं", "\u0301x"],
    ["a\x1b[31mb", "\x9b31mtrump é", "open \x1b]0;title", "next line"],
    ["dup é"] * 50 + ["dup"] * 7 + ["other é"] * 7 + ["x"],
])
def test_targeted(texts: list[str]) -> None:
    check(texts)


def test_many_distinct_tokens_grow_the_table() -> None:
    words = [f"w{i}" for i in range(120_000)] + [f"é{i}" for i in range(30_000)]
    texts = [" ".join(words[i : i + 1000]) for i in range(0, len(words), 1000)]
    check(texts + texts[:3])
    counts = text._count_native(TALLY, texts)
    assert len(counts) == len(words) and set(counts.values()) == {1}


def test_every_code_point() -> None:
    """Each character alone, between ASCII letters, and twice (folded path: as it is; raw
    path: next to ASCII upper case): every word class and every folding decision."""
    for start in range(0, 0x110000, 0x10000):
        chars = [chr(c) for c in range(start, start + 0x10000)]
        check(["\n".join(chars)])
        check([f"A{c}b {c}{c}Z" for c in chars[:: 7 if start else 1]])


def test_canonical_pairs_are_where_the_character_table_looks() -> None:
    """What `_char_classes` counts on: every canonical two-character decomposition is of a
    code point below the table's end, and none has an ASCII second character."""
    for code in range(0x110000):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            assert code < text._CLASSES_SIZE and int(parts[1], 16) >= 0x80


_PIECES = st.sampled_from(["trump", "TRUMP", "Biden", "x", "_", "1", "١", " ", "\n", "\t", ".", "#", "@",
                           "http://", "HTTPS://", "hTtP", "s://", ":", "/", "🔥", "\u200d", "\ufe0f",
                           "©", "…", "“", "\u2028", "\u1680", "\u3000", "\u00a0", "é", "\u0301", "İ",
                           "日本", "ｔ", "\x1b[1m", "\x9b", "\x00", "\ud800"])
"""ASCII, inert characters (emoji, punctuation; raw path), and a few that need folding."""
_RAW_TEXTS = st.lists(_PIECES, max_size=16).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXTS | _RAW_TEXTS, max_size=10), st.integers(0, 3))
def test_random_texts(texts: list[str], repeats: int) -> None:
    check(texts + texts[:repeats])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=()), max_size=20), max_size=6))
def test_random_unicode(texts: list[str]) -> None:
    check(texts)


def _real_texts() -> list[str]:
    records: list[object] = []
    for path in sorted(REAL_DATA.iterdir()):
        normalize_lines(path.read_bytes().split(b"\n"), records)  # type: ignore[arg-type]
    return [record.matching_text for record in records if isinstance(record, Tweet)]


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/data/real is not present")
def test_real_data() -> None:
    texts = _real_texts()
    assert len(texts) > 1000
    check(texts)
    for start in range(0, len(texts), 500):  # groups of a batch's size too
        check(texts[start : start + 500])


def test_aggregator_builds_the_same_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    tweets = [Tweet(id=str(i), created_ms=1_700_000_000_000 + i * 7_000, text=s, lang="en", author="a",
                    hashtags=(), mentions=(), is_retweet=False, is_quote=False)
              for i, s in enumerate((TRICKY + list(HOSTILE_TEXTS.values()) + ["trump é x"] * 5) * 2)]
    aggregator = Aggregator(MATCHER, use_rule_tags=False, sentiment=False)
    monkeypatch.setattr(text, "_TALLY", TALLY)
    native = aggregator.build(tweets)
    monkeypatch.setattr(text, "_TALLY", None)
    python = aggregator.build(tweets)
    assert native.keywords == python.keywords and native.keywords


def test_bad_arguments_raise() -> None:
    assert TALLY is not None
    classes = text._char_classes()
    with pytest.raises(ValueError):
        TALLY(b"too short")
    with pytest.raises(TypeError):
        TALLY("not bytes")  # type: ignore[arg-type]
    tally = TALLY(classes)
    with pytest.raises(TypeError):
        tally.add_texts(["ok", b"bytes"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        tally.add_texts(("a tuple",))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tally.add_folded("x", 0)
    with pytest.raises(TypeError):
        tally.store({}, ["a list"])  # type: ignore[arg-type]
    tally = TALLY(classes)  # a call that raised may have counted some texts: start afresh
    tally.add_folded("x y", 2)
    drop: AbstractSet[str] = {"y"}
    counts: dict[str, int] = {}
    tally.store(counts, None)
    assert counts == {"x": 2, "y": 2}
    counts = {}
    tally.store(counts, frozenset(drop))
    assert counts == {}  # `x` is too short, `y` dropped


def test_memory_stays_flat() -> None:
    """Nothing leaks (tracemalloc sees PyMem buffers and objects alike)."""
    texts = TRICKY + list(HOSTILE_TEXTS.values()) + [f"w{i} é{i} 🔥" for i in range(300)]
    drop = MATCHER._drop["trump"]

    def run(times: int) -> None:
        for _ in range(times):
            text._count_native(TALLY, texts, drop)  # type: ignore[arg-type]
            text._count_native(TALLY, texts)  # type: ignore[arg-type]

    grown = traced_growth(run, 20, 300)
    assert grown < 64 * 1024, grown


def test_store_survives_python_code_that_grows_the_table() -> None:
    """A drop set's element whose `__eq__` adds tokens: the table grows under `store` (which
    read a freed table before it copied each entry; ASan saw it)."""
    assert TALLY is not None
    tally = TALLY(text._char_classes())
    tally.add_folded("trump biden")

    class Sneaky:
        def __hash__(self) -> int:
            return hash("trump")

        def __eq__(self, other: object) -> bool:
            tally.add_folded(" ".join(f"w{i}" for i in range(5000)))
            return False

    counts: dict[str, int] = {}
    tally.store(counts, {Sneaky()})
    assert counts["trump"] == 1
