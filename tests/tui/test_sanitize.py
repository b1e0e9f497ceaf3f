"""clean_text: what may reach the terminal from network text."""

from __future__ import annotations

import pytest

from tweetwatch.sanitize import clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain words", "plain words"),
        ("[bold red]x[/]", "[bold red]x[/]"),  # markup is not ours to interpret
        ("\x1b]52;c;aGVsbG8=\x07after", "after"),  # OSC 52 clipboard write, BEL-terminated
        ("\x1b]52;c;aGVsbG8=\x1b\\after", "after"),  # ... ST-terminated
        ("\x1b]8;;http://evil\x07link\x1b]8;;\x07", "link"),  # OSC 8 hyperlink
        ("\x1b]0;title", ""),  # unterminated OSC swallows the rest, as a terminal would
        ("\x1b[2Jwipe", "wipe"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[?1049h", ""),
        ("\x1bP1$r\x1b\\dcs", "dcs"),  # DCS
        ("\x1bcreset", "reset"),  # RIS
        ("\x9b2Jc1-csi", "c1-csi"),  # 8-bit CSI
        ("\x9d0;t\x9cc1-osc", "c1-osc"),  # 8-bit OSC with 8-bit ST
        ("a\tb\nc\r\nd", "a b c  d"),
        ("bell\x07 nul\x00 del\x7f c1\x85x", "bell nul del c1 x"),
        ("abc\u202edcba", "abcdcba"),  # RLO
        ("\u2066iso\u2069 \u202aemb\u202c", "iso emb"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # ZWJ sequences survive
        ("vote 🗳\ufe0f ❤\ufe0f 👍🏽 ✍\ufe0e", "vote 🗳 ❤ 👍 ✍"),  # width modifiers do not
        ("@\u3164\u3164 filler\uffa0\u115f\u1160", "@ filler"),  # nor invisible Hangul fillers
        # (tmux draws U+3164 two cells and U+FFA0 one where Rich counts none: a border lost)
        ("trailing esc\x1b", "trailing esc"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("raw", "tmux_width"),
    [  # cursor column after printing the cleaned text in tmux 3.3a (TERM=screen, 80x20)
        ("👁\ufe0f\u200d🗨\ufe0f", 1),
        ("❤\ufe0f", 1),
        ("🗳\ufe0f", 1),
        ("👍🏽", 2),
        ("🏳\ufe0f\u200d🌈", 1),
        ("👨\u200d👩\u200d👧", 2),
        ("👩\u200d💻", 2),
        ("✅", 2),
        ("🇺🇸", 2),
        ("한", 2),
    ],
)
def test_cleaned_emoji_are_as_wide_for_rich_as_for_the_terminal(raw: str, tmux_width: int) -> None:
    """Textual lays rows out by Rich's cell widths; where the terminal counts otherwise, the
    row shifts and leaves stray cells. Measured in tmux, which disagreed with Rich on each
    raw string above that has a modifier."""
    from rich.cells import cell_len

    assert cell_len(clean_text(raw)) == tmux_width


def test_result_never_contains_controls() -> None:
    raw = "".join(chr(c) for c in range(0, 0xA0)) + "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    out = clean_text(raw)
    assert all(not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F) for ch in out)
    assert not set(out) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@pytest.mark.parametrize(
    ("raw", "max_len", "clean"),
    [
        ("keyword", 10, "keyword"),
        ("keyword", 7, "keyword"),
        ("keywords", 7, "keywor…"),
        ("\x1b[31mkeyword\x1b[0m", 7, "keyword"),  # length counts the cleaned text
        ("ab", 1, "…"),
        ("ab", 0, ""),
    ],
)
def test_max_len(raw: str, max_len: int, clean: str) -> None:
    assert clean_text(raw, max_len) == clean
