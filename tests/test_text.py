"""Tokenizer and topic matcher edge cases (the exact matching rules)."""

from __future__ import annotations

from tweetwatch.pipeline.text import Topic, TopicMatcher, stopwords, tokenize

TRUMP = Topic("trump", ("trump", "realdonaldtrump"))
BIDEN = Topic("biden", ("biden", "joebiden"))
MATCHER = TopicMatcher((TRUMP, BIDEN))


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


def test_unicode_tokens() -> None:
    assert tokenize("Éléction à Paris — ÉCONOMIE") == ["éléction", "à", "paris", "économie"]
