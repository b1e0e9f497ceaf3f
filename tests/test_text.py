"""Tokenizer and topic matcher edge cases (the exact matching rules)."""

from __future__ import annotations

from tweetwatch.pipeline.names import fold_name
from tweetwatch.pipeline.text import Topic, TopicMatcher, stopwords, tokenize

TRUMP = Topic("trump", ("trump", "realdonaldtrump"))
BIDEN = Topic("biden", ("biden", "joebiden"))
MATCHER = TopicMatcher((TRUMP, BIDEN))


def test_compatibility_forms_of_letters_match_as_usually_written() -> None:
    """CJK keyboards type `ＵＳＡ`, older systems `ﾄﾗﾝﾌﾟ`, styled posts `𝗧𝗿𝘂𝗺𝗽`: they did not
    match `usa`, `トランプ` or `trump`, and counted as keywords apart. Symbols keep their
    form (NFKC of the whole text would make `apple™` the token `appletm`)."""
    assert tokenize("ＵＳＡ！ｉＰｈｏｎｅ Apple™ 𝗧𝗿𝘂𝗺𝗽 ﬁne m²…") == ["usa", "iphone", "apple", "trump", "fine", "m2"]
    assert tokenize("ｶﾞ か\uff9e") == ["ガ", "が"]  # a half-width voiced mark composes, even after a full-width kana
    matcher = TopicMatcher((Topic("jp", ("トランプ",)), Topic("usa", ("usa",)), Topic("hw", ("ﾊﾞｲﾃﾞﾝ",))))
    assert matcher.match_text("ﾄﾗﾝﾌﾟ大統領とバイデン") == ["jp", "hw"]
    assert matcher.match_text("ＵＳＡ！") == ["usa"] and matcher.match_text("ｕｓａｂ") == []
    assert fold_name("ＴＲＵＭＰ") == fold_name("Trump") == fold_name("𝐓𝐫𝐮𝐦𝐩") == "trump"
    assert fold_name("İzmir") == "izmir"  # as a token: it was `i̇zmir`, a dot above the i


def test_tokenize_casefolds_and_drops_urls() -> None:
    assert tokenize("Trump SAID http://x.co/ABC and HTTPS://t.co/zz ok") == ["trump", "said", "and", "ok"]


def test_hashtags_and_mentions_match() -> None:
    assert MATCHER.match(tokenize("#Trump and @realDonaldTrump")) == ["trump"]
    assert MATCHER.match(tokenize("@JoeBiden!")) == ["biden"]


def test_substrings_do_not_match() -> None:
    assert MATCHER.match(tokenize("trumpet trump2020 bidenomics")) == []


def test_several_topics() -> None:
    assert MATCHER.match(tokenize("biden and trump debate")) == ["trump", "biden"]


def test_phrase_keyword_needs_consecutive_tokens() -> None:
    matcher = TopicMatcher((Topic("ny", ("new york",)),))
    assert matcher.match(tokenize("I love New-York city")) == ["ny"]
    assert matcher.match(tokenize("new jersey, york")) == []


def test_keywords_filtering() -> None:
    tokens = tokenize("RT @x: Trump and the 2020 economy &amp; a b jobs jobs #Economy https://t.co/q")
    assert MATCHER.keywords("trump", tokens) == ["economy", "jobs", "jobs", "economy"]


def test_stopword_list_is_proper() -> None:
    words = stopwords()
    for word in ("the", "and", "rt", "amp", "https", "of", "is", "don"):
        assert word in words
    assert len(words) > 150


def test_keywords_of_unspaced_scripts_match_inside_tokens() -> None:
    """Japanese and Chinese put no spaces between words, Korean glues particles to them: a
    `\\w+` token there is a clause, so such a keyword matches inside one."""
    matcher = TopicMatcher((Topic("jp", ("日本", "トランプ")), Topic("kr", ("트럼프",)), TRUMP))
    assert matcher.match_text("日本の首相が会見") == ["jp"]
    assert matcher.match_text("トランプ大統領は") == ["jp"]
    assert matcher.match_text("트럼프가 말했다") == ["kr"]
    assert matcher.match_text("TRUMPと日本") == ["jp"]  # `trumpと日本` is one token: not `trump`
    assert matcher.match_text("にほん 中国 trumpet") == []
    assert matcher.match_text("https://t.co/日本 x") == []  # URLs are dropped first
    with_phrase = TopicMatcher((Topic("ny", ("new york",)), Topic("jp", ("日本",))))
    assert with_phrase.match_text("日本の首相") == ["jp"]
    assert with_phrase.match_text("new york 日本へ") == ["ny", "jp"]


def test_marks_belong_to_their_word_and_turkish_i_folds_to_i() -> None:
    """Vowel signs are combining marks, not `\\w`: Hindi `नहीं` was cut into `नह`, Thai
    words fell apart, `#İzmir` gave the keyword `zmir` (QA, 2026-11-28)."""
    assert tokenize("यह नहीं गया हिंदी") == ["यह", "नहीं", "गया", "हिंदी"]
    assert tokenize("#İzmir İSTANBUL'da") == ["izmir", "istanbul", "da"]
    assert tokenize("cafe\u0301 café") == ["café", "café"]  # composed first
    assert tokenize("trump\ufe0f 1\ufe0f\u20e3") == ["trump", "1"]  # variation selectors are no letters
    matcher = TopicMatcher((Topic("ist", ("İstanbul",)), Topic("hi", ("नहीं",)), Topic("th", ("กรุงเทพ",))))
    assert matcher.match_text("istanbul güzel") == ["ist"]
    assert matcher.match_text("ISTANBUL trip") == ["ist"]
    assert matcher.match_text("वह नहीं आया") == ["hi"]
    assert matcher.match_text("ไปกรุงเทพมหานคร") == ["th"]  # Thai: no spaces, matched inside


def test_unicode_tokens() -> None:
    assert tokenize("Éléction à Paris — ÉCONOMIE") == ["éléction", "à", "paris", "économie"]


# --- the fast paths against the plain definition --------------------------------------------

import re  # noqa: E402
import sys  # noqa: E402
import unicodedata  # noqa: E402
from collections import Counter  # noqa: E402

import pytest  # noqa: E402

from hostile_corpus import HOSTILE_TEXTS  # noqa: E402
from tweetwatch.pipeline.text import count_tokens  # noqa: E402
from tweetwatch.sanitize import blank_escape_sequences  # noqa: E402

_URL = re.compile(r"https?://\S+")
_MARKS = "".join(chr(c) for c in range(sys.maxunicode + 1)
                 if unicodedata.category(chr(c)) in ("Mn", "Mc") and not 0xFE00 <= c <= 0xFE0F
                 and not 0xE0100 <= c <= 0xE01EF)
_WORD = re.compile(f"[\\w{re.escape(_MARKS)}]+")
"""The rule as written: runs of word characters and combining marks (not variation selectors)."""

TRICKY = [
    "İstanbul'da SEÇİM",  # İ casefolds to i + combining dot (not a word character)
    "ͅ after a mark ΣΑΣ ß ﬁne K ſ",  # ypogegrammeni casefolds to a letter; ß -> ss
    "trump🔥 café\u00a0biden https://x.co/trump\u3000joebiden",
    "@realDonaldTrump_ #trump2020 trumpet TRUMP.",
    "emoji only 🤷\u200d♀️ and under_score_ and ١٢٣ digits",
    "plain ascii with a http://url.example/a?b=c and http//notaurl",
    "\ud800 lone surrogate trump",
    "ＴＲＵＭＰ！ｂｉｄｅｎ ﾄﾗﾝﾌﾟ大統領 ｶﾞ か\uff9e Apple™ m² …",  # widths fold (not ™ or ²)
    "",
]


def reference_text(text: str) -> str:
    """The rule as written, before splitting: blank escape sequences (line by line), casefold,
    NFKC of each word character of the BMP or the Mathematical Alphanumeric Symbols, casefold,
    NFC, `i̇` to `i`, blank URLs."""
    text = "\n".join(blank_escape_sequences(line) for line in text.split("\n"))
    forms = "".join(unicodedata.normalize("NFKC", c) if _WORD.fullmatch(c) and (
        ord(c) < 0x10000 or 0x1D400 <= ord(c) <= 0x1D7FF) else c for c in text.casefold())
    return _URL.sub(" ", unicodedata.normalize("NFC", forms.casefold()).replace("i\u0307", "i"))


def reference_tokens(text: str) -> list[str]:
    """The rule as written: `reference_text`, then runs of word characters and marks."""
    return _WORD.findall(reference_text(text))


@pytest.mark.parametrize("text", TRICKY + list(HOSTILE_TEXTS.values()))
def test_tokenize_equals_the_plain_rule(text: str) -> None:
    assert tokenize(text) == reference_tokens(text)


def test_count_tokens_equals_counting_each_text() -> None:
    texts = (TRICKY + list(HOSTILE_TEXTS.values())) * 3 + TRICKY[:3]  # repeats, like retweets
    assert count_tokens(texts) == Counter(t for text in texts for t in reference_tokens(text))
    assert count_tokens(["Only ASCII here", "only ascii HERE"]) == Counter(
        {"only": 2, "ascii": 2, "here": 2})
    assert count_tokens([]) == Counter()


@pytest.mark.parametrize("text", TRICKY + list(HOSTILE_TEXTS.values()) + ["x_trump", "trump_x", "2trump", "trump"])
def test_match_text_equals_matching_the_tokens(text: str) -> None:
    assert MATCHER.match_text(text) == MATCHER.match(reference_tokens(text))
    phrases = TopicMatcher((Topic("ny", ("new york",)), TRUMP))
    assert phrases.match_text(text) == phrases.match(reference_tokens(text))


def test_escape_sequences_are_no_words_and_hide_none() -> None:
    """Their letters and digits (`31m`, an OSC 52 payload) are not the post's words, and a
    word right after one (`\\x9b31mtrump`: 8-bit CSI) is still found."""
    assert tokenize("\x1b[31mred\x1b[0m alert") == ["red", "alert"]
    assert tokenize("copy \x1b]52;c;SGFja2Vk\x07 me") == ["copy", "me"]
    assert MATCHER.match_text("\x9b31mtrump é") == ["trump"]
    assert MATCHER.match_text("\x1b[1mjoebiden\x1b[0m") == ["biden"]
    # an OSC left open ends with its line: the next text of a batch keeps its words
    assert count_tokens(["open \x1b]0;title", "trump next"]) == Counter({"open": 1, "trump": 1, "next": 1})


def test_match_text_finds_keywords_next_to_emoji_not_inside_words_or_urls() -> None:
    assert MATCHER.match_text("trump🔥") == ["trump"]
    assert MATCHER.match_text("Go JOEBIDEN!") == ["biden"]
    assert MATCHER.match_text("trump_2020 trumpé https://t.co/biden") == []


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.sampled_from(["trump", "biden", "joebiden", "new", "york", "http://x.co/trump", "İ", "ß", "_", "🔥",
                          "\x1b[31m", "\x9b2J", "\x1b]52;c;", "\x07", "\n", "日本", "日", "の", "트럼프",
                          "\u0301", "\u0307", "İ", "ि", "\ufe0f", "é", "e\u0301",
                          "ＴＲＵＭＰ", "ｔ", "！", "ｶ", "ﾞ", "ﾄﾗﾝﾌﾟ", "ｈｔｔｐ：／／", "™", "²", "…", "\u00a0",
                          "𝗧𝗿𝘂𝗺𝗽", "ﬁ", "ℌ", "½", "⑴", "㍻", "ΐ", "\U0002f800", "\U0001d7ce"])
UNSPACED = TopicMatcher((Topic("jp", ("日本", "トランプ")), TRUMP, Topic("kr", ("트럼프",))))
_TEXTS = st.lists(_WORDS | st.text(max_size=6), max_size=12).map(lambda parts: "".join(parts))


@settings(max_examples=500, deadline=None)
@given(st.lists(_TEXTS, max_size=8))
def test_fast_paths_agree_with_the_plain_rule_on_random_text(texts: list[str]) -> None:
    phrases = TopicMatcher((Topic("ny", ("new york",)), TRUMP, BIDEN))
    for text in texts:
        assert tokenize(text) == reference_tokens(text)
        assert MATCHER.match_text(text) == MATCHER.match(reference_tokens(text))
        assert phrases.match_text(text) == phrases.match(reference_tokens(text))
        assert UNSPACED.match_text(text) == UNSPACED.match(reference_tokens(text))
        folded, tokens = reference_text(text), reference_tokens(text)
        assert UNSPACED.match(tokens) == [name for name, found in (
            ("jp", "日本" in folded or "トランプ" in folded), ("trump", "trump" in tokens), ("kr", "트럼프" in folded))
            if found]
    assert count_tokens(texts + texts[:2]) == Counter(
        t for text in texts + texts[:2] for t in reference_tokens(text))
