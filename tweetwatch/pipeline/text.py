"""Tokenizer, stopwords and the topic matcher: pure functions over text.

Matching rules (exact, other parts of the project count on them):
drop terminal escape sequences (`ESC [ 3 1 m`, OSC 52, their 8-bit forms), casefold, fold
the compatibility forms of word characters (NFKC of each word character of the Basic
Multilingual Plane or the Mathematical Alphanumeric Symbols, then casefold again: full-width
`ＵＳＡ` is `usa`, half-width `ﾄﾗﾝﾌﾟ` is `トランプ`, `𝗧𝗿𝘂𝗺𝗽` is `trump`; other characters keep
their form, so `Apple™` still gives `apple`, not `appletm`), compose (NFC;
and the `i̇` that casefolding makes of Turkish `İ` becomes `i`), drop URLs
(`https?://\\S+`), split into tokens: runs of word characters (`\\w`) and combining marks
(Unicode Mn and Mc, variation selectors aside), so that a Hindi, Arabic or Thai word with its
vowel signs is one token. A one-word keyword matches an equal token (`#Trump` and
`@realDonaldTrump` give tokens `trump`, `realdonaldtrump`; `trumpet` and `trump2020` do not
match `trump`); a phrase keyword matches consecutive tokens.

A one-word keyword written wholly in a script that does not put spaces between words
(Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) or that glues particles to them
(Hangul) matches wherever it occurs inside a token: `日本` matches `日本の首相`, `トランプ`
matches `トランプ大統領は`, `트럼프` matches `트럼프가`. In those scripts a token is a
clause, not a word.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Set as AbstractSet
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol

from tweetwatch import native
from tweetwatch.sanitize import blank_escape_sequences

_URL = re.compile(r"https?://\S+")
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002fa1f]+"
)
"""Thai, Lao, Myanmar, Khmer, CJK ideographs (with 々〆〇), Hiragana, Katakana (full and half
width) and Hangul syllables: the scripts whose one-word keywords match inside tokens (see the
module doc)."""
_MATHEMATICAL_LETTERS = re.compile("[\U0001d400-\U0001d7ff]")
"""The Mathematical Alphanumeric Symbols block: `𝗧𝗿𝘂𝗺𝗽`, the bold and italic of styled posts.
Of the word characters above U+FFFF that NFKC changes, the only ones in common use."""
_VARIATION_SELECTORS = range(0xFE00, 0xFE10)
"""Marks that only pick a glyph (emoji `️`): not part of a word."""
_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
"""`\\w` on casefolded ASCII text means exactly these characters."""
_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if chr(c) not in _ASCII_WORD})
_SEPARATOR_BYTES = bytes(32 if c < 128 and chr(c) not in _ASCII_WORD else c for c in range(256))
"""Every ASCII character that is not a word character becomes a space, for `split()`.

On casefolded ASCII text, `text.translate(_SEPARATORS).split()` gives the `\\w+` tokens
(~3x faster than `re.findall`). On other text, the same over its UTF-8 bytes gives *runs*:
the stretches between ASCII non-word characters, each of ASCII word characters and any
non-ASCII characters (a UTF-8 sequence is all bytes >= 0x80, never a separator). Every
`\\w+` token lies inside one run, so `\\w+` within the runs that hold non-ASCII characters
gives exactly the tokens of the whole text; the others are tokens as they are."""


def tokenize(text: str) -> list[str]:
    """The tokens of `text` (see the module doc): casefolded, URLs removed."""
    return _tokens_of_folded(_fold(text))


def _tokens_of_folded(folded: str) -> list[str]:
    if folded.isascii():
        return folded.translate(_SEPARATORS).split()
    return [token for run in _runs(folded) for token in _tokens_of_run(run)]


def _runs(folded: str) -> list[bytes]:
    """The runs of non-ASCII `folded` text (see `_SEPARATOR_BYTES`), as UTF-8."""
    return folded.encode("utf-8", "surrogatepass").translate(_SEPARATOR_BYTES).split()


def _tokens_of_run(run: bytes) -> list[str]:
    """The `\\w+` tokens of one run: the run itself when it is ASCII."""
    if run.isascii():
        return [run.decode()]
    return _token_pattern().findall(run.decode("utf-8", "surrogatepass"))


def _is_mark(char: str) -> bool:
    """A combining mark that belongs to the word before it (Mn, Mc; not a variation selector)."""
    return unicodedata.category(char) in ("Mn", "Mc") and ord(char) not in _VARIATION_SELECTORS


@cache
def _token_pattern() -> re.Pattern[str]:
    """Runs of `\\w` and marks. Built on the first non-ASCII text (a scan of the planes that
    hold marks, ~40 ms), not at import: the dashboard's first frame does not wait for it."""
    # every Mn/Mc above U+2FFFF is a variation selector (U+E0100-E01EF)
    marks = _class_items(code for code in range(0x30000) if _is_mark(chr(code)))
    return re.compile(f"[\\w{marks}]+")


def _class_items(codes: Iterable[int]) -> str:
    """Ascending code points as the inside of a `re` character class: runs become ranges."""
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"{chr(a)}-{chr(b)}" if a < b else chr(a) for a, b in ranges)


def count_tokens(texts: list[str]) -> Counter[str]:
    """`Counter` of the tokens of all `texts`: the same as counting `tokenize(t)` for each,
    done batch-wise (see `_folded_groups`). Counted in C when tweetwatch/native/_tokencount.c
    is built (`_count_native`), else by `count_tokens_python`, the reference."""
    if _TALLY is not None:
        return _count_native(_TALLY, texts)
    return count_tokens_python(texts)


def count_tokens_python(texts: list[str]) -> Counter[str]:
    """`count_tokens` in Python: the reference the C counter is tested against."""
    counts: Counter[str] = Counter()
    for pieces, times in _folded_groups(texts):
        found = counts if times == 1 else Counter()
        for folded in pieces:
            _count_folded(folded, found)
        if found is not counts:
            for token, n in found.items():
                counts[token] += n * times
    return counts


def _folded_groups(texts: list[str]) -> Iterator[tuple[list[str], int]]:
    """`texts` folded (`_fold`) in a few joined pieces, grouped by how many times each of their
    texts was there: the tokens of all `texts` are those of each group's pieces, `times` times.
    Texts are joined so `re` runs once per piece, and repeated texts (retweets above all) are
    folded and tokenized once. A group's ASCII texts are joined apart from its others: each
    kind has its fast path."""
    repeats = Counter(texts)
    by_times: dict[int, list[str]]
    if len(repeats) == len(texts):
        by_times = {1: texts}
    else:  # texts seen once first: most tokens then enter the counter by `update`, in C
        by_times = {1: []}
        for text, times in repeats.items():
            group = by_times.get(times)
            if group is None:
                by_times[times] = [text]
            else:
                group.append(text)
    for times, group in by_times.items():
        plain = [text for text in group if text.isascii()]
        pieces = [_fold("\n".join(plain))] if plain else []
        if len(plain) < len(group):
            pieces.append(_fold("\n".join([text for text in group if not text.isascii()])))
        if pieces:
            yield pieces, times


def _count_folded(folded: str, counts: Counter[str]) -> None:
    """Add the tokens of `folded` (`_fold` done) to `counts`."""
    if folded.isascii():
        counts.update(folded.translate(_SEPARATORS).split())
    else:
        for run, n in Counter(_runs(folded)).items():
            for token in _tokens_of_run(run):
                counts[token] += n


class _Tally(Protocol):
    """tweetwatch/native/_tokencount.c's `Tally` (see its module doc)."""

    def __init__(self, classes: bytes) -> None: ...
    def add_texts(self, texts: list[str]) -> list[str]: ...
    def add_folded(self, folded: str, times: int = 1) -> None: ...
    def store(self, counts: dict[str, int], drop: AbstractSet[str] | None = None) -> None: ...


_TALLY: type[_Tally] | None = native.load("_tokencount", "Tally")
"""The C token counter, or None: not built, or TWEETWATCH_PURE_PYTHON=1."""


def _count_native(tally_type: type[_Tally], texts: list[str], drop: AbstractSet[str] | None = None) -> Counter[str]:
    """`count_tokens(texts)` in C; with `drop`, `TopicMatcher.keyword_counts` of it too (the
    tokens in `drop`, short or decimal left out). C counts the texts that fold to their ASCII
    letters lowered (most: ASCII, emoji); Python folds the others (`_folded_groups`) and C
    counts their tokens."""
    tally = tally_type(_char_classes())
    hard = tally.add_texts(texts)
    for pieces, times in _folded_groups(hard):
        for folded in pieces:
            tally.add_folded(folded, times)
    counts: Counter[str] = Counter()
    tally.store(counts, drop)
    return counts


_CLASSES_SIZE = 0x30000
_CLASS_WORD = 1
_CLASS_INERT = 2
"""The character table of the C counter (_tokencount.c defines the same)."""


@cache
def _char_classes() -> bytes:
    """One byte per code point below `_CLASSES_SIZE` for the C counter: `_CLASS_WORD` for a
    character of `_token_pattern` (`\\w` or a mark), `_CLASS_INERT` for one that `_fold`
    leaves as it is whatever its neighbours: a text of ASCII and inert characters folds to its
    ASCII letters lowered, URLs blanked, and nothing else. Inert: no word character (so a
    separator), not C1 (escape sequences) or a surrogate, casefolds and NFKD-decomposes to
    itself with combining class 0 (casefold, NFKC, NFC and the `i̇` rule leave it and the
    ASCII beside it alone), never the second of a canonical composition (nothing composes with
    it: the first of one needs its second, which is neither ASCII nor inert). Emoji, most
    punctuation and symbols are inert. Built on the first count (~0.1 s)."""
    seconds = set()  # second characters of canonical two-character decompositions
    for code in range(_CLASSES_SIZE):  # none above (tests/test_native_tokens.py checks)
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    table = bytearray(_CLASSES_SIZE)
    for code in range(0x80, _CLASSES_SIZE):
        char = chr(code)
        if char.isalnum() or _is_mark(char):
            table[code] = _CLASS_WORD
        elif (not 0x80 <= code <= 0x9F and not 0xD800 <= code <= 0xDFFF and code not in seconds
              and char.casefold() == char and unicodedata.combining(char) == 0
              and unicodedata.normalize("NFKD", char) == char):
            table[code] = _CLASS_INERT
    return bytes(table)


def _fold(text: str) -> str:
    """Casefold (plain `lower` for ASCII, where the two agree), blank out terminal escape
    sequences and URLs. Joining texts with newlines before folding changes nothing:
    casefolding is per character, and neither a URL, an escape sequence nor a token runs
    across a newline (a string sequence cut off by one ends at the end of its text)."""
    if "\x1b" in text or not text.isascii() and _has_c1_introducer(text):
        text = "\n".join([blank_escape_sequences(line) for line in text.split("\n")])
    if text.isascii():
        folded = text.lower()
    else:  # forms, composing and `i̇` are local to a character: joined texts fold as they would apart
        folded = fold_case(text)
    if "http" in folded:
        folded = _URL.sub(" ", folded)
    return folded


def fold_case(text: str) -> str:
    """Casefolded, word characters in their usual form, composed (see the module doc): how
    tokens, keywords, hashtags and usernames compare."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    if not unicodedata.is_normalized("NFKC", folded):  # else NFC too: the usual text skips all this
        changed = _MATHEMATICAL_LETTERS.sub(_nfkc_of_word_char, _compatibility_word_chars().sub(_nfkc_of_match, folded))
        if changed != folded:  # `𝗧` -> `T`: casefold again
            folded = changed.casefold()
        if not unicodedata.is_normalized("NFC", folded):
            folded = unicodedata.normalize("NFC", folded)
    if "i\u0307" in folded:
        folded = folded.replace("i\u0307", "i")
    return folded


def _nfkc_of_match(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group())


def _nfkc_of_word_char(match: re.Match[str]) -> str:
    char = match.group()
    return unicodedata.normalize("NFKC", char) if char.isalnum() else char


@cache
def _compatibility_word_chars() -> re.Pattern[str]:
    """A word character of the Basic Multilingual Plane that NFKC changes (full-width,
    half-width, ligatures, superscripts...), built the first time a text needs it (~0.1 s).
    One character, not runs: `re` then finds none in the usual text several times faster."""
    changed = (code for code in range(0x10000)
               if _is_word_char(chr(code)) and unicodedata.normalize("NFKC", chr(code)) != chr(code))
    return re.compile(f"[{_class_items(changed)}]")


def _has_c1_introducer(text: str) -> bool:
    """8-bit CSI, OSC, DCS, SOS, PM or APC: the C1 forms of escape sequences."""
    return "\x9b" in text or "\x9d" in text or "\x90" in text or "\x98" in text or "\x9e" in text or "\x9f" in text


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
        self._inside: dict[str, list[str]] = {}
        """Keywords in unspaced scripts (`日本`) -> topic names: matched inside tokens."""
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
                    matches_inside = _UNSPACED.fullmatch(parts[0]) is not None
                    names = (self._inside if matches_inside else self._single).setdefault(parts[0], [])
                    if topic.name not in names:
                        names.append(topic.name)
                else:
                    self._phrases.append((topic.name, parts))
            self._own_words[topic.name] = frozenset(own)
        self._drop = {name: own | stopwords() for name, own in self._own_words.items()}
        self._order = {t.name: i for i, t in enumerate(topics)}
        self._needles = tuple(sorted(set(self._single) | {parts[0] for _, parts in self._phrases}))
        self._needles_inside = tuple(sorted(self._inside))
        """A text can only match if it contains one of these (single keywords, first words of
        phrases) as a substring: a cheap test before tokenizing."""

    def match_text(self, text: str) -> list[str]:
        """`match(tokenize(text))` without tokenizing when there are no phrases: a one-word
        keyword matches where it occurs with no word character on either side (exactly
        where a `\\w+` token equals it). `str.find` is many times faster than `re` here."""
        folded = _fold(text)
        if self._phrases:
            for needle in self._needles:
                if needle in folded:
                    return self.match(_tokens_of_folded(folded))
            found_inside = [word for word in self._needles_inside if word in folded]
            return self._in_order({name for word in found_inside for name in self._inside[word]})
        found: set[str] = set()
        for word, names in self._inside.items():
            if word in folded:  # all word characters: never part of a URL or escape sequence left
                found.update(names)
        for word, names in self._single.items():
            if word in folded and _has_token(folded, word):
                found.update(names)
        return self._in_order(found)

    def match(self, tokens: list[str]) -> list[str]:
        """Names of the topics whose keywords occur in `tokens`, in configured order."""
        found: set[str] = set()
        single = self._single
        for token in set(tokens).intersection(single):
            found.update(single[token])
        for word, names in self._inside.items():
            if any(word in token for token in tokens):
                found.update(names)
        for name, parts in self._phrases:
            if name not in found and _contains_run(tokens, parts):
                found.add(name)
        return self._in_order(found)

    def _in_order(self, found: set[str]) -> list[str]:
        """Topic names in configured order."""
        if len(found) > 1:
            return sorted(found, key=self._order.__getitem__)
        return list(found)

    def keyword_counts(self, topic: str, counts: Counter[str]) -> Counter[str]:
        """`counts` of all tokens -> keyword counts for `topic` (same rule as `keywords`), in place."""
        drop = self._drop[topic]
        for word in [w for w in counts if w in drop or len(w) < 2 or w.isdecimal()]:
            del counts[word]
        return counts

    def count_keywords(self, topic: str, texts: list[str]) -> Counter[str]:
        """`keyword_counts(topic, count_tokens(texts))`: in one pass in C when it is built."""
        if _TALLY is not None:
            return _count_native(_TALLY, texts, self._drop[topic])
        return self.keyword_counts(topic, count_tokens_python(texts))

    def keywords(self, topic: str, tokens: list[str]) -> list[str]:
        """Tokens that count as keywords for `topic` (stopwords, short, numeric, own words removed)."""
        drop = self._drop[topic]
        return [t for t in tokens if t not in drop and len(t) > 1 and not t.isdecimal()]


def _has_token(folded: str, word: str) -> bool:
    """Whether `word` (all word characters) occurs in `folded` as a whole `\\w+` token."""
    size = len(word)
    start = folded.find(word)
    while start >= 0:
        end = start + size
        if (start == 0 or not _is_word_char(folded[start - 1])) and (
            end == len(folded) or not _is_word_char(folded[end])
        ):
            return True
        start = folded.find(word, start + 1)
    return False


def _is_word_char(char: str) -> bool:
    """A character of a token: `re`'s `\\w` (alphanumeric or underscore) or a mark."""
    return char.isalnum() or char == "_" or not char.isascii() and _is_mark(char)


def _contains_run(tokens: list[str], parts: tuple[str, ...]) -> bool:
    first, n = parts[0], len(parts)
    for i, token in enumerate(tokens):
        if token == first and tuple(tokens[i : i + n]) == parts:
            return True
    return False
