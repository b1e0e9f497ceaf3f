"""Cell widths as the terminal counts them: a spacing combining mark takes one cell.

Rich (and so Textual) measures text with a table from the `wcwidth` project, which gives
the spacing marks of Indic and other scripts (Unicode category Mc: the vowel signs of
`नहीं`, `हिंदी`, `தமிழ்`) no width. Terminals that measure with the C library's `wcwidth`
(tmux, xterm, GNOME Terminal and other VTE terminals, the Linux console) give them one cell.
A row with Hindi text was then wider on the terminal than Textual laid it out: its right
border moved, and the next panel's cells were overwritten.

`count_spacing_marks_as_terminals_do` changes Rich's loaded table so each Mc character
is one cell wide, as glibc says. It works on Rich's data, not its code: when a Rich release
stores the table otherwise, nothing is changed and widths stay Rich's own.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import cache

log = logging.getLogger(__name__)

Ranges = list[tuple[int, int, int]]


def terminal_widths(widths: Ranges) -> Ranges:
    """`widths` (sorted `(first, last, cells)` ranges) with every Mc code point of a zero-width
    range taken out of it: code points no range covers are one cell wide."""
    adjusted: Ranges = []
    for first, last, cells in widths:
        if cells != 0:
            adjusted.append((first, last, cells))
            continue
        start = first
        for code in range(first, last + 1):
            if unicodedata.category(chr(code)) == "Mc":
                if start < code:
                    adjusted.append((start, code - 1, 0))
                start = code + 1
        if start <= last:
            adjusted.append((start, last, 0))
    return adjusted


@cache
def count_spacing_marks_as_terminals_do() -> bool:
    """Make Rich measure Mc characters as one cell (once per process); False if Rich's table
    is not where or what this expects (a newer Rich: its widths are then used as they are)."""
    try:
        from rich import cells
        from rich._unicode_data import load

        table = load("auto")
        if not isinstance(table.widths, list):
            return False
        table.widths[:] = terminal_widths(table.widths)
        cells.get_character_cell_size.cache_clear()
        cells.cached_cell_len.cache_clear()
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        log.info("cell widths left as Rich has them: %s", exc)
        return False
    return True
