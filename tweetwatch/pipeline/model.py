"""The records that flow through the pipeline: every input line becomes exactly one of these."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec


class Tweet(msgspec.Struct, gc=False):
    """One post, whatever shape it arrived in (v1.1, v2, demo). Treat it as immutable.

    A msgspec Struct rather than a dataclass: one is built per post on the hot path, and a
    Struct is built in C (~100 ns against ~270 ns for a slots dataclass of these fields).
    `gc=False`: it holds only strings, numbers and tuples of strings, so it can never be part
    of a reference cycle, and the cyclic collector need not track the millions of them.
    """

    id: str
    created_ms: int
    """created_at as epoch milliseconds (UTC)."""
    text: str
    """The post's own full text (extended/note text when present)."""
    lang: str | None
    author: str | None
    """Author id (or handle when no id is known)."""
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    is_retweet: bool
    is_quote: bool
    is_reply: bool = False
    has_link: bool = False
    retweeted_text: str | None = None
    """Full text of the retweeted post, when known."""
    quoted_text: str | None = None
    """Full text of the quoted post, when known."""
    rule_tags: tuple[str, ...] | None = None
    """Topics already matched upstream (X `matching_rules` tags); None means match locally."""
    author_name: str | None = None

    @property
    def matching_text(self) -> str:
        """Text that topics are matched against: a retweet's original, plus any quoted post."""
        base = self.retweeted_text if self.is_retweet and self.retweeted_text else self.text
        if self.is_quote and self.quoted_text:
            return f"{base}\n{self.quoted_text}"
        return base


MAX_LINE_BYTES = 16 * 1024 * 1024
"""Longest input line kept, live (X stream) or replayed. X's posts have at most 25,000 characters,
so a real line (with its includes) stays far below; a longer one is skipped without being held
whole, and `OVERSIZED_LINE` takes its place."""
OVERSIZED_LINE = b"tweetwatch: stream line over %d bytes skipped" % MAX_LINE_BYTES
"""Handed on in place of a line over MAX_LINE_BYTES: it becomes one Reject (`OVERSIZED_REASON`),
live, replayed, and when an X archive that holds it is replayed."""
OVERSIZED_REASON = f"line over {MAX_LINE_BYTES:,} bytes skipped"


@dataclass(frozen=True, slots=True)
class Control:
    """A stream control message (limit, delete, operational-disconnect...): counted, not a tweet."""

    kind: str


@dataclass(frozen=True, slots=True)
class Reject:
    """A line that is not JSON or not a known shape."""

    reason: str


Record = Tweet | Control | Reject
