"""Make text from the network safe to put on a terminal.

Topic names, keywords, source labels and collector status lines all come from data we do
not control. A post containing ``ESC ] 52 ; c ; ... BEL`` would write to the user's
clipboard through tmux, ``ESC [ 2 J`` would clear the screen, and bidi overrides can make a
line read differently from what it contains. `clean_text` strips all of that; callers must
still render the result as plain text (``rich.text.Text``), never as Rich markup.
"""

from __future__ import annotations

import os
import re

ELLIPSIS = "…"

_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                # CSI (final byte may be cut off)
    | (?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f]) .*? (?:\x07|\x1b\\|\x9c|\Z)
                                                          # OSC, DCS, SOS, PM, APC up to BEL/ST
    | \x1b [ -/]* [0-~]?                                  # any other escape (nF, Fp, Fe, Fs)
    """,
    re.VERBOSE | re.DOTALL,
)
"""7-bit and 8-bit escape sequences. An unterminated string sequence runs to the end,
as it would on a real terminal, so its payload is never shown."""

def blank_escape_sequences(text: str) -> str:
    """`text` with each escape sequence replaced by a space (for the tokenizer: its letters
    and digits, `31m` or an OSC 52 payload, are no words of the post, and `\\x9b31mtrump`
    holds the word `trump`)."""
    return _ESCAPE_SEQUENCE.sub(" ", text)


_WHITESPACE_CONTROLS = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]")
"""Line and tab breaks: they would break a one-line cell, so they become spaces."""

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0, DEL, C1, and bidi embeddings/overrides/isolates. Joiners (ZWJ/ZWNJ) stay: they
are part of ordinary emoji and scripts."""

_WIDTH_MODIFIERS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\u115f\u1160\u3164\uffa0]")
"""Characters whose width Rich (and so Textual's layout) and the terminal disagree on.

Emoji variation selectors and skin-tone modifiers change the width of the character they
follow: tmux 3.3 draws `❤️` and `🗳️` one cell wide where Rich (and
so Textual's layout) counts two, and `👍🏽` four cells wide where Rich counts two. A row
the terminal measures otherwise than Textual pushes the rest of it out of place and
leaves stray characters beside the panel. Without these, tmux and Rich agree on every
emoji tried (tests/tui/test_sanitize.py); the post keeps its text, drawn plainer.

The invisible Hangul fillers (U+115F, U+1160, U+3164, U+FFA0) draw nothing; they serve as
"blank" usernames and spacing. Rich counts U+3164 and U+FFA0 as 0 cells where tmux draws 2
and 1, so one in a feed row erased the panel's right border (found by trying it, 2026-11-28)."""


def clean_text(s: str, max_len: int | None = None) -> str:
    """Return `s` without control characters, escape sequences, bidi controls, or the
    emoji modifiers and fillers terminals measure differently.

    Tabs and line breaks become single spaces. When `max_len` is given and the cleaned
    text is longer, it is cut to `max_len` characters ending in an ellipsis.
    """
    text = _ESCAPE_SEQUENCE.sub("", s)
    text = _WHITESPACE_CONTROLS.sub(" ", text)
    text = _CONTROLS.sub("", text)
    text = _WIDTH_MODIFIERS.sub("", text)
    if max_len is not None and len(text) > max_len:
        text = text[: max(max_len - 1, 0)] + ELLIPSIS if max_len > 0 else ""
    return text


def shown_path(path: str | os.PathLike[str]) -> str:
    """A file or directory name as a message shows it: names can hold escape sequences and
    bidi controls too (`clean_text`)."""
    return clean_text(os.fspath(path))
