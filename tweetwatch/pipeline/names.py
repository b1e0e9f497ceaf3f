"""Hashtags and usernames as they are counted: folded, and once per post."""

from __future__ import annotations

from tweetwatch.pipeline.text import fold_case
from tweetwatch.sanitize import clean_text


def fold_name(name: str) -> str:
    """A hashtag or username as counted: folded as tokens are (`fold_case`: `#ＵＳＡ` is
    `#usa`, `#İzmir` is `#izmir`); whitespace inside it (malformed input)
    becomes `_`, and escape sequences, controls and bidi overrides go (`clean_text`): these
    names are stored as they are and reach the terminal through `summary`, exports and the
    dashboard."""
    key = "_".join(fold_case(name).split())
    if not key.isprintable():  # the rare hostile name: ESC, C1, U+202E, ... (one test per distinct name)
        key = "_".join(clean_text(key).split())
    return key


def distinct_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """A post's hashtags or mentions without repeats (as `fold_name` counts them; the first
    spelling kept): a post writing `#Vote #vote #VOTE` uses one hashtag. Every normalizer
    applies it, so a post counts once per name (and the mix's share is a share of posts)."""
    if len(names) < 2:
        return names
    firsts: dict[str, str] = {}
    for name in names:
        firsts.setdefault(fold_name(name), name)
    return names if len(firsts) == len(names) else tuple(firsts.values())
