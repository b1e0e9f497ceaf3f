"""Tokenizer, stopwords and the topic matcher: pure functions over text.

Matching rules (exact, other parts of the project count on them):
casefold, drop URLs (`https?://\\S+`), split into `\\w+` tokens. A one-word keyword matches an
equal token (`#Trump` and `@realDonaldTrump` give tokens `trump`, `realdonaldtrump`; `trumpet`
and `trump2020` do not match `trump`); a phrase keyword matches consecutive tokens.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

_URL = re.compile(r"https?://\S+")
_TOKEN = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Casefolded `\\w+` tokens of `text` with URLs removed."""
    folded = text.casefold()
    if "http" in folded:
        folded = _URL.sub(" ", folded)
    return _TOKEN.findall(folded)


@cache
def stopwords() -> frozenset[str]:
    raw = resources.files("tweetwatch.pipeline").joinpath("stopwords.txt").read_text("utf-8")
    words: set[str] = set()
    for line in raw.splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


@dataclass(frozen=True)
class Topic:
    name: str
    keywords: tuple[str, ...]

    @property
    def spec(self) -> str:
        return f"{self.name}:{','.join(self.keywords)}"


class TopicMatcher:
    """Finds the topics a token list mentions and the keywords that go with them."""

    def __init__(self, topics: tuple[Topic, ...]) -> None:
        self.topics = topics
        # one-word keyword -> topic names; phrases kept per topic as token tuples
        self._single: dict[str, list[str]] = {}
        self._phrases: list[tuple[str, tuple[str, ...]]] = []
        self._own_words: dict[str, frozenset[str]] = {}
        for topic in topics:
            own: set[str] = set()
            for keyword in topic.keywords:
                parts = tuple(tokenize(keyword))
                if not parts:
                    continue
                own.update(parts)
                if len(parts) == 1:
                    names = self._single.setdefault(parts[0], [])
                    if topic.name not in names:
                        names.append(topic.name)
                else:
                    self._phrases.append((topic.name, parts))
            self._own_words[topic.name] = frozenset(own)
        self._drop = {name: own | stopwords() for name, own in self._own_words.items()}
        self._order = {t.name: i for i, t in enumerate(topics)}

    def match(self, tokens: list[str]) -> list[str]:
        """Names of the topics whose keywords occur in `tokens`, in configured order."""
        found: set[str] = set()
        single = self._single
        for token in set(tokens).intersection(single):
            found.update(single[token])
        for name, parts in self._phrases:
            if name not in found and _contains_run(tokens, parts):
                found.add(name)
        if len(found) > 1:
            return sorted(found, key=self._order.__getitem__)
        return list(found)

    def keyword_counts(self, topic: str, counts: Counter[str]) -> Counter[str]:
        """`counts` of all tokens -> keyword counts for `topic` (same rule as `keywords`), in place."""
        drop = self._drop[topic]
        for word in [w for w in counts if w in drop or len(w) < 2 or w.isdecimal()]:
            del counts[word]
        return counts

    def keywords(self, topic: str, tokens: list[str]) -> list[str]:
        """Tokens that count as keywords for `topic` (stopwords, short, numeric, own words removed)."""
        drop = self._drop[topic]
        return [t for t in tokens if t not in drop and len(t) > 1 and not t.isdecimal()]


def _contains_run(tokens: list[str], parts: tuple[str, ...]) -> bool:
    first, n = parts[0], len(parts)
    for i, token in enumerate(tokens):
        if token == first and tuple(tokens[i : i + n]) == parts:
            return True
    return False
