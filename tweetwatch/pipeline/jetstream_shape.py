"""Bluesky Jetstream events -> Tweet records, Controls or Rejects.

Only `kind: commit` + `operation: create` + collection `app.bsky.feed.post` is a post; every
other well-formed event (deletes, updates, other collections, identity, account) is a Control.
A post's id is its AT URI, `at://<did>/app.bsky.feed.post/<rkey>`: globally unique, and the
form replies and quotes use to point at it. Pure functions; anything malformed becomes a
`Reject` with a short reason, never an exception. See docs/jetstream.md for the mapping.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tweetwatch.pipeline.model import Control, Record, Reject, Tweet
from tweetwatch.pipeline.names import distinct_names
from tweetwatch.pipeline.timeparse import plausible_ms

POST_COLLECTION = "app.bsky.feed.post"
MAX_TEXT_CHARS = 10_000
"""The lexicon allows 3,000 bytes; a hostile record may be far larger, so cut it."""
MAX_DID_CHARS = 2048
MAX_RKEY_CHARS = 512
MAX_FUTURE_SKEW_MS = 10 * 60 * 1000
"""A createdAt this far after Jetstream's own receive time is a wrong clock: use time_us."""

_TAG = "app.bsky.richtext.facet#tag"
_MENTION = "app.bsky.richtext.facet#mention"
_LINK = "app.bsky.richtext.facet#link"
_EMBED_RECORD = "app.bsky.embed.record"
_EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
_EMBED_EXTERNAL = "app.bsky.embed.external"
_COMMIT_OPERATIONS = ("create", "update", "delete")
_OTHER_KINDS = {"identity": Control("jetstream-identity"), "account": Control("jetstream-account")}
_CONTROL_DELETE = Control("jetstream-delete")
_CONTROL_UPDATE = Control("jetstream-update")
_CONTROL_OTHER = Control("jetstream-other-collection")


def normalize_jetstream(obj: dict[str, Any]) -> list[Record]:
    """One Jetstream event (a parsed JSON object with `kind` and `did`) -> one record."""
    kind = obj.get("kind")
    did = obj.get("did")
    if not isinstance(did, str) or not did.startswith("did:") or len(did) > MAX_DID_CHARS:
        return [Reject("jetstream event with a bad did")]
    if kind != "commit":
        control = _OTHER_KINDS.get(kind) if isinstance(kind, str) else None
        return [control or Reject("jetstream event of unknown kind")]
    commit = obj.get("commit")
    if not isinstance(commit, dict):
        return [Reject("jetstream commit without a commit object")]
    operation = commit.get("operation")
    collection = commit.get("collection")
    if operation not in _COMMIT_OPERATIONS or not isinstance(collection, str):
        return [Reject("jetstream commit without operation/collection")]
    if operation == "delete":
        return [_CONTROL_DELETE]
    if operation == "update":
        return [_CONTROL_UPDATE]
    if collection != POST_COLLECTION:
        return [_CONTROL_OTHER]
    return [_post(did, obj.get("time_us"), commit)]


def _post(did: str, time_us: Any, commit: dict[str, Any]) -> Tweet | Reject:
    rkey = commit.get("rkey")
    if not isinstance(rkey, str) or not rkey or len(rkey) > MAX_RKEY_CHARS or "/" in rkey:
        return Reject("jetstream post without a valid rkey")
    record = commit.get("record")
    if not isinstance(record, dict):
        return Reject("jetstream post without a record")
    text = record.get("text")
    if not isinstance(text, str):
        return Reject("jetstream post without text")
    created_ms = created_ms_of(record.get("createdAt"), time_us)
    if created_ms is None:
        return Reject("jetstream post without a usable createdAt/time_us")
    hashtags, mentions, facet_link = _facets(record.get("facets"))
    is_quote, embed_link = _embed(record.get("embed"))
    return Tweet(
        id=f"at://{did}/{POST_COLLECTION}/{rkey}",
        created_ms=created_ms,
        text=text[:MAX_TEXT_CHARS],
        lang=_first_lang(record.get("langs")),
        author=did,
        hashtags=hashtags,
        mentions=mentions,
        is_retweet=False,
        is_quote=is_quote,
        is_reply=isinstance(record.get("reply"), dict),
        has_link=facet_link or embed_link,
    )


def created_ms_of(created_at: Any, time_us: Any) -> int | None:
    """The record's createdAt, unless missing, absurd or far after Jetstream's time_us."""
    received_ms = plausible_ms(time_us // 1000) if _is_int(time_us) else None
    claimed_ms = _iso_ms(created_at) if isinstance(created_at, str) else None
    if claimed_ms is None:
        return received_ms
    if received_ms is not None and claimed_ms > received_ms + MAX_FUTURE_SKEW_MS:
        return received_ms
    return claimed_ms


def _iso_ms(value: str) -> int | None:
    if len(value) > 64:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        return None  # the lexicon requires an offset; a naive time is ambiguous
    try:
        return plausible_ms(int(stamp.timestamp() * 1000))
    except (OverflowError, OSError, ValueError):
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _first_lang(langs: Any) -> str | None:
    if isinstance(langs, list) and langs and isinstance(langs[0], str) and langs[0]:
        return langs[0][:16]
    return None


def _facets(facets: Any) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(hashtags, mentioned dids, has a link) from `app.bsky.richtext.facet` features."""
    if not isinstance(facets, list):
        return (), (), False
    tags: list[str] = []
    mentions: list[str] = []
    link = False
    for facet in facets:
        features = facet.get("features") if isinstance(facet, dict) else None
        if not isinstance(features, list):
            continue
        for feature in features:
            if not isinstance(feature, dict):
                continue
            kind = feature.get("$type")
            if kind == _TAG and isinstance(feature.get("tag"), str) and feature["tag"]:
                tags.append(feature["tag"][:140])
            elif kind == _MENTION and isinstance(feature.get("did"), str) and feature["did"]:
                mentions.append(feature["did"][:140])
            elif kind == _LINK:
                link = True
    return distinct_names(tuple(tags)), distinct_names(tuple(mentions)), link


def _embed(embed: Any) -> tuple[bool, bool]:
    """(quotes a post, carries an external link card)."""
    if not isinstance(embed, dict):
        return False, False
    kind = embed.get("$type")
    if kind == _EMBED_EXTERNAL:
        return False, True
    if kind == _EMBED_RECORD:
        return _quotes_post(embed.get("record")), False
    if kind == _EMBED_RECORD_WITH_MEDIA:
        inner = embed.get("record")
        media = embed.get("media")
        has_external = isinstance(media, dict) and media.get("$type") == _EMBED_EXTERNAL
        return _quotes_post(inner.get("record") if isinstance(inner, dict) else None), has_external
    return False, False


def _quotes_post(ref: Any) -> bool:
    """An embedded strong ref quotes a post, not a feed, list or starter pack.

    Without a readable uri the embed still counts as a quote: that is what it almost always is.
    """
    uri = ref.get("uri") if isinstance(ref, dict) else None
    return f"/{POST_COLLECTION}/" in uri if isinstance(uri, str) else True
