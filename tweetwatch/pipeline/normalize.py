"""Turn one raw line (v1.1 status, v2 stream/search line) into Tweets, a Control or a Reject.

Pure functions; no I/O. A v2 search page carries a list of tweets, so one line may give
several Tweets. Anything unexpected becomes a `Reject` with a short reason, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import repeat
from typing import Any

import orjson

from tweetwatch.pipeline import v2_fast
from tweetwatch.pipeline.jetstream_shape import normalize_jetstream
from tweetwatch.pipeline.model import OVERSIZED_LINE, OVERSIZED_REASON, Control, Record, Reject, Tweet
from tweetwatch.pipeline.names import distinct_names
from tweetwatch.pipeline.timeparse import parse_v1_time, plausible_ms, snowflake_ms, v2_created_ms

NOT_A_TWEET = "v2 data is not a tweet"
V1_CONTROL_KEYS = (
    "limit",
    "delete",
    "warning",
    "disconnect",
    "scrub_geo",
    "status_withheld",
    "user_withheld",
)


def normalize_line(line: bytes | str) -> list[Record]:
    """Records for one input line; an empty list for a blank line."""
    records: list[Record] = []
    normalize_lines((line,), records)
    return records


def normalize_lines(lines: Iterable[bytes | str], records: list[Record]) -> list[tuple[int, Reject]]:
    """Append the records of every line to `records`, in order (what `normalize_line` gives
    for each, without its per-line call and list on the fast path); returns the rejected
    lines' positions in `lines`, with their Rejects."""
    fast, append = v2_fast.tweet_from_v2_line, records.append
    rejected: list[tuple[int, Reject]] = []
    for index, line in enumerate(lines):
        if line.__class__ is bytes:
            tweet = fast(line)  # type: ignore[arg-type]  # None at once unless it starts with v2_fast.PREFIX
            if tweet is not None:
                append(tweet)
                continue
        out = normalize_line_generic(line)
        if out:
            records += out
            first = out[0]
            if type(first) is Reject:
                rejected.append((index, first))
    return rejected


def normalize_line_generic(line: bytes | str) -> list[Record]:
    """`normalize_line` without the v2 fast path: every shape, every oddity."""
    try:
        obj = orjson.loads(line)  # JSON allows surrounding whitespace, so no strip() copy
    except orjson.JSONDecodeError:
        if isinstance(line, str):
            line = line.encode("utf-8", "surrogatepass")
        if line.isspace() or not line:
            return []
        return [Reject(OVERSIZED_REASON if _is_oversized_placeholder(line) else "not JSON")]
    except TypeError:
        return [Reject("not bytes")]
    if obj.__class__ is not dict:
        return [Reject("not a JSON object")]
    data = obj.get("data")
    if data.__class__ is dict:  # the common case (an X v2 stream line), without the dispatch
        return [_v2_single(obj, data)]
    return normalize_object(obj)


def _is_oversized_placeholder(line: bytes) -> bool:
    """Whether `line` is OVERSIZED_LINE (with its line end, as an archive or a file holds it)."""
    return len(line) <= len(OVERSIZED_LINE) + 2 and line.rstrip(b"\r\n") == OVERSIZED_LINE


def normalize_object(obj: dict[str, Any]) -> list[Record]:
    if "data" in obj:
        return _v2(obj)
    if "errors" in obj:
        return [Control("v2-error")]
    if "kind" in obj and "did" in obj:
        return normalize_jetstream(obj)
    for key in V1_CONTROL_KEYS:
        if key in obj:
            return [Control(key)]
    if "user" in obj and ("id_str" in obj or "id" in obj):
        tweet = _v1_status(obj)
        return [tweet if tweet is not None else Reject("v1.1 status without id/text/time")]
    return [Reject("unknown shape")]


# --- v1.1 ---------------------------------------------------------------------------------


def _v1_status(obj: dict[str, Any]) -> Tweet | None:
    tweet_id = _id_of(obj)
    text = _v1_full_text(obj)
    if tweet_id is None or text is None:
        return None
    created_ms = _v1_created_ms(obj, tweet_id)
    if created_ms is None:
        return None
    retweeted = obj.get("retweeted_status")
    quoted = obj.get("quoted_status")
    if not isinstance(retweeted, dict):
        retweeted = None
    if not isinstance(quoted, dict):
        quoted = None
    if quoted is None and retweeted is not None and isinstance(retweeted.get("quoted_status"), dict):
        quoted = retweeted["quoted_status"]
    entities = _v1_entities(obj)
    user = obj.get("user")
    author = author_name = None
    if isinstance(user, dict):
        author = _str_or_none(user.get("id_str") or user.get("id"))
        author_name = _str_or_none(user.get("screen_name"))
    return Tweet(
        id=tweet_id,
        created_ms=created_ms,
        text=text,
        lang=_str_or_none(obj.get("lang")),
        author=author or author_name,
        author_name=author_name,
        hashtags=_entity_texts(entities.get("hashtags"), "text"),
        mentions=_entity_texts(entities.get("user_mentions"), "screen_name"),
        is_retweet=retweeted is not None,
        is_quote=quoted is not None or bool(obj.get("is_quote_status")) and retweeted is None,
        is_reply=obj.get("in_reply_to_status_id_str") is not None
        or obj.get("in_reply_to_status_id") is not None,
        has_link=bool(entities.get("urls")) or "http" in text,
        retweeted_text=_v1_full_text(retweeted) if retweeted is not None else None,
        quoted_text=_v1_full_text(quoted) if quoted is not None else None,
    )


def _v1_full_text(obj: Mapping[str, Any]) -> str | None:
    extended = obj.get("extended_tweet")
    if isinstance(extended, dict) and isinstance(extended.get("full_text"), str):
        return extended["full_text"]
    for key in ("full_text", "text"):
        value = obj.get(key)
        if isinstance(value, str):
            return value
    return None


def _v1_entities(obj: dict[str, Any]) -> dict[str, Any]:
    extended = obj.get("extended_tweet")
    if isinstance(extended, dict) and isinstance(extended.get("entities"), dict):
        return extended["entities"]
    entities = obj.get("entities")
    return entities if isinstance(entities, dict) else {}


def _v1_created_ms(obj: dict[str, Any], tweet_id: str) -> int | None:
    stamp = obj.get("timestamp_ms")
    if isinstance(stamp, (str, int)) and str(stamp).isdigit():
        stamped = plausible_ms(int(stamp))
        if stamped is not None:
            return stamped  # else created_at, then the id, as for a post without timestamp_ms
    created = obj.get("created_at")
    if isinstance(created, str):
        parsed = parse_v1_time(created)
        if parsed is not None:
            return parsed
    return snowflake_ms(tweet_id)



# --- v2 -----------------------------------------------------------------------------------


def _v2(obj: dict[str, Any]) -> list[Record]:
    data = obj["data"]
    if isinstance(data, dict):
        return [_v2_single(obj, data)]
    if not isinstance(data, list):
        return [Reject("v2 data is neither object nor list")]
    if not data and "errors" in obj:
        return [Control("v2-error")]
    return [_v2_single(obj, item) if item.__class__ is dict else Reject(NOT_A_TWEET) for item in data]


def _v2_single(obj: dict[str, Any], item: dict[str, Any]) -> Record:
    """One tweet object of a v2 line (`data`, or an element of a search page's list)."""
    includes = obj.get("includes")
    rules = obj.get("matching_rules")
    rule_tags = _v2_rule_tags(rules) if rules else None
    tweet = _v2_tweet(item, includes if includes.__class__ is dict else None, rule_tags)
    return tweet if tweet is not None else Reject(NOT_A_TWEET)


def _v2_included(includes: dict[str, Any] | None, kind: str, wanted: Any) -> dict[str, Any] | None:
    """The object of `includes[kind]` (`tweets` or `users`) whose `id` is `wanted`. A line
    carries a handful of them, so a scan beats building an index."""
    if includes is None or wanted is None:
        return None
    objects = includes.get(kind)
    if objects.__class__ is not list:
        return None
    if wanted.__class__ is not str:
        wanted = str(wanted)
    for candidate in objects:
        if candidate.__class__ is dict:
            found = candidate.get("id")
            if found == wanted or (found.__class__ is not str and str(found) == wanted):
                return candidate
    return None


def _v2_username(includes: dict[str, Any] | None, author_id: Any) -> str | None:
    """The author's @username from `includes.users` (expansion author_id), when present."""
    user = _v2_included(includes, "users", author_id)
    name = user.get("username") if user is not None else None
    return name[:64] if name.__class__ is str and name else None


def _v2_rule_tags(rules: Any) -> tuple[str, ...] | None:
    if rules.__class__ is not list:
        return None
    if len(rules) == 1 and rules[0].__class__ is dict:
        tag = rules[0].get("tag")
        return v2_fast.one_tag(tag) if tag.__class__ is str else None
    tags = tuple(r["tag"] for r in rules if isinstance(r, dict) and isinstance(r.get("tag"), str))
    return tags or None


def _v2_text(item: Mapping[str, Any]) -> str | None:
    note = item.get("note_tweet")
    if note is not None and isinstance(note, dict) and isinstance(note.get("text"), str):
        return note["text"]
    text = item.get("text")
    return text if isinstance(text, str) else None


def _v2_tweet(
    item: dict[str, Any], includes: dict[str, Any] | None, rule_tags: tuple[str, ...] | None
) -> Tweet | None:
    tweet_id = item.get("id")
    if tweet_id.__class__ is not str or not 0 < len(tweet_id) <= 64 or "id_str" in item:
        tweet_id = _id_of(item)
    text = item.get("text") if "note_tweet" not in item else None
    if text.__class__ is not str:
        text = _v2_text(item)
    if tweet_id is None or text is None:
        return None
    created_ms = v2_created_ms(item.get("created_at"), tweet_id)
    if created_ms is None:
        return None
    retweeted_text = quoted_text = None
    is_retweet = is_quote = is_reply = False
    refs = item.get("referenced_tweets")
    if refs and isinstance(refs, list):
        for ref in refs:
            if not isinstance(ref, dict):
                continue
            kind = ref.get("type")
            if kind == "replied_to":
                is_reply = True
                continue
            original = _v2_included(includes, "tweets", ref.get("id"))
            original_text = _v2_text(original) if original is not None else None
            if kind == "retweeted":
                is_retweet, retweeted_text = True, original_text
            elif kind == "quoted":
                is_quote, quoted_text = True, original_text
    entities = item.get("entities")
    if entities.__class__ is not dict:
        entities = {}
    lang = item.get("lang")
    author = item.get("author_id")
    return Tweet(  # positional (in field order): a third of the cost of keywords, per post
        tweet_id,  # id
        created_ms,
        text,
        lang[:16] if lang.__class__ is str and lang else None,  # lang
        author[:64] if author.__class__ is str and author else _str_or_none(author),  # author
        _entity_texts(entities.get("hashtags"), "tag"),  # hashtags
        _entity_texts(entities.get("mentions"), "username"),  # mentions
        is_retweet,
        is_quote,
        is_reply,
        "urls" in entities or "http" in text,  # has_link
        retweeted_text,
        quoted_text,
        rule_tags,
        _v2_username(includes, author),  # author_name
    )


# --- shared -------------------------------------------------------------------------------


def _id_of(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("id_str") or obj.get("id")
    if value.__class__ is str and 0 < len(value) <= 64:
        return value
    value = obj.get("id_str")
    if isinstance(value, str) and value:
        return value[:64]
    value = obj.get("id")
    if isinstance(value, str) and value:
        return value[:64]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return None


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value[:128]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _entity_texts(entities: Any, key: str) -> tuple[str, ...]:
    if not entities or entities.__class__ is not list:
        return ()
    try:
        texts = tuple([e[key][:140] for e in entities])
        if all(map(isinstance, texts, repeat(str))):  # a list slices too: check
            return distinct_names(texts)
    except (TypeError, KeyError):
        pass
    return distinct_names(tuple(e[key][:140] for e in entities if isinstance(e, dict) and isinstance(e.get(key), str)))
