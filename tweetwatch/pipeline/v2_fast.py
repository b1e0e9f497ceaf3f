"""The fast path for the common line: an X v2 stream line with one `data` object.

`msgspec` decodes such a line against a typed schema of only the fields tweetwatch uses,
skipping the rest in C (no Python objects for `includes.users[].name`, entity offsets,
`edit_history_tweet_ids`, ...) and checking every type on the way. That is about 3x cheaper
than a full `orjson` parse followed by field-by-field checks in Python.

Anything unusual makes `tweet_from_v2_line` return None: a type other than the schema's, a
missing field, an id out of bounds, a list of `data`, bytes that are not JSON. The caller
then normalizes the line the general way (normalize.py), which decides exactly as before;
this path only ever returns what that one would. Tests compare the two on every real data
file, the hostile corpus and fuzzed lines (tests/test_normalize.py).

One difference is deliberate: a number too big for a float in a field tweetwatch ignores
does not make the line a reject here (orjson refuses the whole document).

`tweet_from_v2_line` is the C twin of this module's Python when it is built
(tweetwatch/native/_v2scan.c: one validating pass over the bytes and the Tweet built in C; the
normalize stage's ~36.7k instructions per line become ~11.7k, bench/instructions.py), and
`python_tweet_from_v2_line`, the reference, otherwise or with TWEETWATCH_PURE_PYTHON=1. The C
function returns what the Python one returns, or None (the general path then decides) where
it is unsure; tests/test_native_v2.py compares the two.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Annotated

import msgspec

from tweetwatch import native
from tweetwatch.pipeline.model import Tweet
from tweetwatch.pipeline.names import distinct_names
from tweetwatch.pipeline.timeparse import memoized_ms, v2_created_ms

PREFIX = b'{"data":'
"""X writes `data` first; lines that start otherwise take the general path (`tweet_from_v2_line`
returns None for them at once, so callers need not check)."""
_PREFIX_LENGTH = len(PREFIX)


# The schema. `gc=False` throughout: decoded JSON cannot form a reference cycle, and structs
# the cyclic GC does not track are cheaper to make (~13% of the decoding time).


class _Text(msgspec.Struct, gc=False):
    text: str


# Lengths are bounded in the schema: a longer value is not an error but makes the line take the
# general path, which cuts it (so no value needs cutting here).
_Name = Annotated[str, msgspec.Meta(max_length=140)]
_Short = Annotated[str, msgspec.Meta(max_length=64)]


class _Hashtag(msgspec.Struct, gc=False):
    tag: _Name


class _Mention(msgspec.Struct, gc=False):
    username: _Name


class _Entities(msgspec.Struct, gc=False):
    hashtags: list[_Hashtag] = []
    mentions: list[_Mention] = []
    urls: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    """Only whether the key is there matters (a post with links)."""


class _Reference(msgspec.Struct, gc=False):
    type: str
    id: str


class _Data(msgspec.Struct, gc=False):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    text: str
    id_str: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    """Not a v2 field; if present, the general path decides which id wins."""
    created_at: str | None = None
    lang: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    author_id: _Short | None = None
    entities: _Entities | None = None
    referenced_tweets: list[_Reference] | None = None
    note_tweet: _Text | None = None


class _IncludedTweet(msgspec.Struct, gc=False):
    id: str
    text: str
    note_tweet: _Text | None = None


class _IncludedUser(msgspec.Struct, gc=False):
    id: str
    username: _Short | None = None


class _Includes(msgspec.Struct, gc=False):
    tweets: list[_IncludedTweet] = []
    users: list[_IncludedUser] = []


class _Rule(msgspec.Struct, gc=False):
    tag: str | None = None


class _Line(msgspec.Struct, gc=False):
    data: _Data
    includes: _Includes | None = None
    matching_rules: list[_Rule] | None = None


_DECODER = msgspec.json.Decoder(_Line)
_UNSET = msgspec.UNSET
_TAG_OF = attrgetter("tag")
_USERNAME_OF = attrgetter("username")
_ONE_TAG: dict[str, tuple[str, ...]] = {}
"""Interned one-tag tuples (most lines match one rule): no allocation, and equal tags share
one tuple object, which later dict lookups compare by identity."""


def python_tweet_from_v2_line(line: bytes) -> Tweet | None:
    """The line's Tweet, or None when the general path must decide (the reference of the C
    twin: see `tweet_from_v2_line` below)."""
    if line[:_PREFIX_LENGTH] != PREFIX:  # a slice: bytes.startswith costs ~5x as much
        return None
    try:
        parsed = _DECODER.decode(line)
    except (msgspec.MsgspecError, ValueError, RecursionError):  # ValueError: bad UTF-8
        return None
    data = parsed.data
    tweet_id = data.id
    if data.id_str is not _UNSET:
        return None
    created_ms = memoized_ms(data.created_at)  # type: ignore[arg-type]
    if created_ms is None:
        created_ms = v2_created_ms(data.created_at, tweet_id)
        if created_ms is None:
            return None
    text = data.text if data.note_tweet is None else data.note_tweet.text
    includes = parsed.includes
    retweeted_text = quoted_text = None
    is_retweet = is_quote = is_reply = False
    if data.referenced_tweets:
        for ref in data.referenced_tweets:
            if ref.type == "replied_to":
                is_reply = True
                continue
            original = _included_text(includes, ref.id)
            if ref.type == "retweeted":
                is_retweet, retweeted_text = True, original
            elif ref.type == "quoted":
                is_quote, quoted_text = True, original
    entities = data.entities
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    has_link = "http" in text
    if entities is not None:
        if entities.hashtags:
            hashtags = tuple(map(_TAG_OF, entities.hashtags))
            if len(hashtags) > 1:
                hashtags = distinct_names(hashtags)
        if entities.mentions:
            mentions = tuple(map(_USERNAME_OF, entities.mentions))
            if len(mentions) > 1:
                mentions = distinct_names(mentions)
        has_link = has_link or entities.urls is not _UNSET
    author_id = data.author_id
    author_name = None
    if author_id is not None and includes is not None:  # "" too: the general path looks it up as well
        for user in includes.users:
            if user.id == author_id:
                author_name = user.username or None
                break
    rules = parsed.matching_rules
    if not rules:
        rule_tags = None
    elif len(rules) == 1:
        tag = rules[0].tag
        rule_tags = None if tag is None else _ONE_TAG.get(tag) or one_tag(tag)
    else:
        rule_tags = tuple([r.tag for r in rules if r.tag is not None]) or None
    return Tweet(  # positional, in field order (see normalize._v2_tweet)
        tweet_id,
        created_ms,
        text,
        data.lang or None,
        author_id or None,
        hashtags,
        mentions,
        is_retweet,
        is_quote,
        is_reply,
        has_link,
        retweeted_text,
        quoted_text,
        rule_tags,
        author_name,
    )


def _included_text(includes: _Includes | None, wanted: str) -> str | None:
    if includes is not None:
        for tweet in includes.tweets:
            if tweet.id == wanted:
                return tweet.note_tweet.text if tweet.note_tweet is not None else tweet.text
    return None


def one_tag(tag: str) -> tuple[str, ...]:
    """`(tag,)`, interned (shared by the general path in normalize.py)."""
    tags = _ONE_TAG.get(tag)
    if tags is None:
        tags = (tag,)
        if len(_ONE_TAG) < 4096:
            _ONE_TAG[tag] = tags
    return tags


def _configure_native() -> None:
    """Hands the C twin (tweetwatch/native/_v2scan.c) the Python objects its build uses, when
    it is built: the Tweet class, the created_at memo (the dict `memoized_ms` reads),
    `v2_created_ms`, `distinct_names` and the one-tag interning. Even when
    TWEETWATCH_PURE_PYTHON=1 switches it off, so that tests can compare the two."""
    configure = native.built("_v2scan", "configure")
    if configure is not None:
        configure(Tweet, memoized_ms.__self__, v2_created_ms, distinct_names, _ONE_TAG, one_tag)  # type: ignore[attr-defined]


_configure_native()
native_tweet_from_v2_line: Callable[[bytes], Tweet | None] | None = native.built("_v2scan", "tweet_from_v2_line")
"""The C function whether or not it is switched off (for tests); None when not built."""
tweet_from_v2_line: Callable[[bytes], Tweet | None] = (
    native.load("_v2scan", "tweet_from_v2_line") or python_tweet_from_v2_line
)
"""The line's Tweet, or None when the general path must decide: the C twin when it is built
and not switched off, else the Python reference."""
