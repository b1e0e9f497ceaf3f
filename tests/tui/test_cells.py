"""Rows keep their width on a terminal that measures with the C library's `wcwidth` (tmux)."""

from __future__ import annotations

import ctypes
import ctypes.util
import locale
from collections.abc import Callable

import pytest
from tui_fakes import CLOCK_MS, FakeReader, make_snapshot, screen_strips, settle

from tweetwatch.store.snapshot import FeedEntry
from tweetwatch.tui.app import DashboardApp
from tweetwatch.tui.cells import terminal_widths

MakeApp = Callable[..., DashboardApp]

INDIC = "नहीं हिंदी चुनाव தமிழ் বাংলা"
"""Hindi, Tamil and Bengali words with spacing vowel signs (Unicode category Mc)."""


def glibc_width(text: str) -> int:
    """What tmux, xterm and VTE count: glibc's `wcswidth`."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    previous = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, "C.UTF-8")
        width = libc.wcswidth(ctypes.c_wchar_p(text), len(text))
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)
    if width < 0:
        pytest.skip("this C library cannot measure the text")
    return int(width)


def test_spacing_marks_take_the_cell_a_terminal_gives_them() -> None:
    table = [(0x300, 0x36F, 0), (0x93A, 0x94F, 0), (0x1100, 0x115F, 2)]
    adjusted = terminal_widths(table)
    assert (0x300, 0x36F, 0) in adjusted and (0x1100, 0x115F, 2) in adjusted
    zero = {code for first, last, cells in adjusted if cells == 0 for code in range(first, last + 1)}
    assert 0x940 not in zero and 0x93E not in zero  # ी, ा: spacing (Mc)
    assert 0x941 in zero and 0x94D in zero  # ु, ्: non-spacing (Mn)


async def test_rows_with_indic_text_are_as_wide_on_the_terminal_as_laid_out(
    make_app: MakeApp, reader: FakeReader
) -> None:
    """Rich gave Mc no cell, glibc one: each Hindi row was wider on screen than Textual laid it
    out, so borders moved and the next panel's cells were overwritten (QA, tmux)."""
    feed = tuple(FeedEntry(str(i), CLOCK_MS - i * 1000, "user", ("trump",), f"trump {INDIC} {i}", False)
                 for i in range(12))
    words = tuple((word, 30 - i) for i, word in enumerate(INDIC.split()))
    reader.build = lambda window_s: make_snapshot(window_s, trump_keywords=words, feed=feed)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")  # the live feed
        await settle(pilot)
        rows = [strip.text for strip in screen_strips(app)]
        assert any("हिंदी" in row for row in rows) and any("தமிழ்" in row for row in rows)
        assert [glibc_width(row) for row in rows] == [80] * 24
