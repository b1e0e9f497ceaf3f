"""Per-post sentiment with VADER (`vaderSentiment`, offline, lexicon based).

VADER's `compound` score is in [-1, 1], rounded to four decimals. We keep it as an integer
number of 1/10,000 units (`to_units`), so per-minute sums in Redis are exact integers
(`HINCRBY`) and window means are exact too. A post is positive at compound >= 0.05,
negative at <= -0.05, neutral in between (the thresholds VADER's authors recommend).

VADER costs roughly 50-100 µs per post in pure Python, the single most expensive step of
the pipeline; retweets repeat their original's text, so scores are memoized per text.
`--no-sentiment` turns scoring off.
"""

from __future__ import annotations

from collections import OrderedDict

POSITIVE = 0.05
"""Compound at or above this: positive."""
NEGATIVE = -0.05
"""Compound at or below this: negative."""
UNITS = 10_000
"""Compound scores are stored as integers of 1/UNITS (VADER rounds to 4 decimals)."""
MAX_TEXT = 1_000
"""Longer texts are scored on their first MAX_TEXT characters (posts are short anyway)."""


def classify(units: int) -> str:
    """`pos`, `neu` or `neg` for a compound score in units."""
    if units >= POSITIVE * UNITS:
        return "pos"
    if units <= NEGATIVE * UNITS:
        return "neg"
    return "neu"


class SentimentScorer:
    """VADER compound scores in integer units, memoized (LRU) per text."""

    def __init__(self, cache_size: int = 50_000) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._cache_size = cache_size

    def units(self, text: str) -> int:
        """Compound score of `text` as an integer in [-UNITS, UNITS]."""
        cache = self._cache
        hit = cache.get(text)
        if hit is not None:
            cache.move_to_end(text)
            return hit
        score = self._analyzer.polarity_scores(text[:MAX_TEXT])["compound"]
        value = round(score * UNITS)
        cache[text] = value
        if len(cache) > self._cache_size:
            cache.popitem(last=False)
        return value

    def compound(self, text: str) -> float:
        return self.units(text) / UNITS
