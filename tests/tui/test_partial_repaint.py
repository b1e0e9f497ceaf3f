"""Panels repaint only the rows whose content changed (`TextLines.refresh_lines`).

The app runs with a driver that renders frames as for a real terminal and feeds them to a
terminal emulator (`pyte`). After a run of partial repaints the emulated terminal must
show exactly what a fresh app shows for the same data, colours and attributes included;
rows that did not change must not be drawn again (that is the point: less work per
refresh, fewer bytes down an SSH connection); a hidden panel must cost nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pyte
from rich.text import Text
from textual.drivers.headless_driver import HeadlessDriver
from textual.pilot import Pilot
from textual.strip import Strip
from tui_fakes import BIDEN_KEYWORDS, FEED, MIX, TRUMP_KEYWORDS, FakeReader, fixed_clock, make_snapshot, settle

import tweetwatch.tui
from tweetwatch.store.snapshot import Snapshot
from tweetwatch.tui.app import DashboardApp
from tweetwatch.tui.chart import FrequencyChart
from tweetwatch.tui.columns import _same_row
from tweetwatch.tui.feed import FeedList

SIZE = (120, 40)
CSS = str(Path(tweetwatch.tui.__file__).parent / "app.tcss")


class TerminalDriver(HeadlessDriver):
    """Headless input and size, but every frame is written as for a real terminal, into
    an emulated one."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.screen = pyte.Screen(*SIZE)
        self.stream = pyte.Stream(self.screen)
        self.written = 0

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        self.written += len(data.encode())
        self.stream.feed(data)


class TerminalApp(DashboardApp):
    CSS_PATH = CSS  # relative paths would follow this module

    def _build_driver(self, headless: bool, inline: bool, mouse: bool, size: tuple[int, int] | None) -> Any:
        self._driver = TerminalDriver(self, debug=False, mouse=mouse, size=size)
        return self._driver

    @property
    def terminal(self) -> TerminalDriver:
        assert isinstance(self._driver, TerminalDriver)
        return self._driver


def moved(i: int, window_s: int = 300) -> Snapshot:
    """The `i`-th read of a busy stream: counts grow, two keywords swap ranks every other
    read, a post enters the feed, the newest chart bucket moves (within the y range), the
    stream mix's shares and hashtag counts move."""
    trump = [(w, n + 3 * i * (len(TRUMP_KEYWORDS) - k)) for k, (w, n) in enumerate(TRUMP_KEYWORDS)]
    if i % 2:
        trump[1], trump[2] = trump[2], trump[1]
    feed = FEED
    if i:
        feed = (replace(FEED[0], id=f"{FEED[0].id}-{i}", text=f"post number {i}"), *FEED[:-1])
    snapshot = make_snapshot(window_s, trump_total=12_345 + 40 * i, biden_total=9_876 + 25 * i,
                             trump_keywords=tuple(trump), biden_keywords=BIDEN_KEYWORDS, feed=feed)
    series = snapshot.series
    counts = {key: values[:-1] + (min(values) + i,) for key, values in series.counts.items()}
    mix = replace(MIX, tweets=MIX.tweets + 10 * i, retweets=MIX.retweets + 7 * i,
                  hashtags=tuple((tag, n + i) for tag, n in MIX.hashtags))
    return replace(snapshot, series=replace(series, counts=counts), mix=mix)


def make_terminal_app(reader: FakeReader) -> TerminalApp:
    return TerminalApp(reader, refresh_s=3600.0, clock=fixed_clock)  # type: ignore[arg-type]


async def read(pilot: Pilot, reader: FakeReader, i: int) -> None:  # type: ignore[type-arg]
    reader.build = lambda w: moved(i, w)
    await pilot.press("r")
    await settle(pilot)
    await pilot.app.workers.wait_for_complete()  # the chart's drawing
    await pilot.pause(0.1)  # frames are written on Textual's 60 Hz timer


def cells(screen: pyte.Screen) -> list[list[tuple[str, str, str, bool, bool, bool]]]:
    """Every cell of the emulated terminal: character, colours, bold, italics, reverse."""
    return [
        [(c.data, c.fg, c.bg, c.bold, c.italics, c.reverse) for c in (screen.buffer[y][x] for x in range(screen.columns))]
        for y in range(screen.lines)
    ]


async def terminal_after(steps: range, keys: str) -> tuple[list[list[tuple[str, str, str, bool, bool, bool]]], int, int]:
    """The emulated terminal after reads `steps` in the view `keys` leads to, the bytes
    written for the last read, and for a repaint of the whole screen."""
    reader = FakeReader()
    app = make_terminal_app(reader)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        written = 0
        for i in steps:
            before = app.terminal.written
            await read(pilot, reader, i)
            written = app.terminal.written - before
        screen = cells(app.terminal.screen)
        before = app.terminal.written
        app.refresh()
        await pilot.pause(0.1)
        return screen, written, app.terminal.written - before


async def test_partial_repaints_leave_the_terminal_as_a_full_repaint_does() -> None:
    for keys in ("", "c", "v", "vv"):  # the default view, the keyword clouds, the live feed, the stream mix
        repainted, last_refresh, whole_screen = await terminal_after(range(6), keys)
        fresh, _, _ = await terminal_after(range(5, 6), keys)
        text = ["".join(c[0] for c in row) for row in repainted]
        assert text == ["".join(c[0] for c in row) for row in fresh], keys
        assert "post number 5" in "\n".join(text) or keys != "v"
        assert repainted == fresh, keys  # colours and attributes too
        assert 0 < last_refresh < whole_screen / 2, (keys, last_refresh, whole_screen)


async def test_only_changed_rows_are_drawn_again() -> None:
    reader = FakeReader()
    app = make_terminal_app(reader)
    async with app.run_test(size=SIZE) as pilot:
        await read(pilot, reader, 0)
        chart = app.query_one(FrequencyChart)
        drawn: list[int] = []
        render_line = chart.render_line

        def counting(y: int) -> Strip:
            drawn.append(y)
            return render_line(y)

        chart.render_line = counting  # type: ignore[method-assign]
        await read(pilot, reader, 1)
        # The newest bucket moved: rows at the chart's right edge changed, not the others.
        assert drawn, "the chart was not repainted at all"
        assert len(set(drawn)) < chart.content_size.height // 2, sorted(set(drawn))

        drawn.clear()
        before = app.terminal.written
        await read(pilot, reader, 1)  # the same data again
        assert drawn == []
        assert app.terminal.written - before < 200  # the clock and status only, if that


async def test_hidden_panel_builds_no_rows() -> None:
    """While another view is up, new data costs a hidden panel nothing (its rows are built
    when it is shown again), and shown again it has the newest data."""
    reader = FakeReader()
    app = make_terminal_app(reader)
    async with app.run_test(size=SIZE) as pilot:
        await read(pilot, reader, 0)
        await pilot.press("v")  # the live feed: drawn
        await settle(pilot)
        feed = app.query_one(FeedList)
        builds: list[int] = []
        content_lines = feed.content_lines

        def counting(width: int, height: int) -> Any:
            builds.append(width)
            return content_lines(width, height)

        feed.content_lines = counting  # type: ignore[method-assign]
        await pilot.press("v")  # the stream mix: the feed is hidden
        await settle(pilot)
        for i in range(1, 5):
            await read(pilot, reader, i)
        assert len(builds) <= 1
        await pilot.press("v", "v")  # round to the feed again
        await pilot.pause(0.1)
        assert "post number 4" in "\n".join(app.terminal.screen.display)


def test_same_row_sees_the_base_style() -> None:
    """`Text.__eq__` ignores a Text's own style: a row that only changes that (a highlight,
    say) must still count as changed."""
    assert _same_row(Text("abc", style="bold"), Text("abc", style="bold"))
    assert not _same_row(Text("abc", style="bold"), Text("abc"))
    assert not _same_row(Text("abc"), Text("abd"))
    styled = Text("abc")
    styled.stylize("red", 0, 1)
    assert not _same_row(Text("abc"), styled)
    assert not _same_row(Text("abc"), Strip.blank(3))


async def test_ctrl_l_redraws_what_something_else_wrote_over() -> None:
    """Refreshes repaint only changed rows, so junk another program wrote to the terminal
    would stay where the data does not move; ctrl+l sends every cell again."""
    reader = FakeReader()
    app = make_terminal_app(reader)
    async with app.run_test(size=SIZE) as pilot:
        await read(pilot, reader, 0)
        clean = cells(app.terminal.screen)
        app.terminal.stream.feed("\x1b[11;3HBroadcast message from root: going down\x1b[30;60Hjunk")
        await read(pilot, reader, 1)
        assert "Broadcast message" in "\n".join(app.terminal.screen.display)
        await pilot.press("ctrl+l")
        await pilot.pause(0.1)
        await read(pilot, reader, 0)  # the data of `clean` again
        assert cells(app.terminal.screen) == clean


def test_changed_rows_come_as_runs_and_unchanged_rows_keep_their_strips() -> None:
    from rich.segment import Segment
    from rich.style import Style
    from textual.geometry import Size

    from tweetwatch.tui.columns import _changed_rows, _Lines

    def lines(rows: str) -> _Lines:
        return _Lines(Size(7, 7), [Text(r) for r in rows], [Strip([Segment(r)]) for r in rows], 5, Style(), None)

    shown = lines("abcde")
    fresh = lines("aXYdZ")
    assert _changed_rows(shown, fresh) == [(1, 2), (4, 1)]
    assert fresh.strips[0] is shown.strips[0] and fresh.strips[3] is shown.strips[3]
    assert fresh.strips[1] is not shown.strips[1]
    assert _changed_rows(lines("abc"), lines("abcde")) == [(3, 2)]  # rows added
    assert _changed_rows(lines("abcde"), lines("ab")) == [(2, 3)]  # rows gone: blanked
    assert _changed_rows(lines("abc"), lines("abc")) == []
