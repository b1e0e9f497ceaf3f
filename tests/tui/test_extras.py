"""Pilot tests for the issue-4 panels: views, clouds, sentiment chart, drill-down, feed,
screenshots and terminal options — all over an injected SnapshotReader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from rich.color import ColorSystem
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher
from tui_fakes import (
    FEED,
    HOSTILE_FEED,
    FakeReader,
    make_detail,
    make_snapshot,
    region_text,
    screen_strips,
    screen_text,
    settle,
    text_of,
)

from tweetwatch.store.snapshot import FeedEntry, Snapshot
from tweetwatch.tui.app import DashboardApp, wants_ansi_theme
from tweetwatch.tui.chart import FrequencyChart
from tweetwatch.tui.drilldown import KeywordPicker, KeywordScreen
from tweetwatch.tui.keywords import GAP, KeywordsPanel, block_widths, keyword_at

MakeApp = Callable[..., DashboardApp]


async def test_v_cycles_chart_feed_stream(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        switcher = app.query_one("#view", ContentSwitcher)
        assert switcher.current == "chart"
        await pilot.press("v")
        await settle(pilot)
        assert switcher.current == "feed"
        assert app.focused is app.query_one("#feed")
        feed = region_text(app, app.query_one("#feed"))
        assert "@nightowl" in feed and "20:15:30" in feed and "Polls in Florida" in feed
        assert "RT" in feed  # retweets are marked
        await pilot.press("v")
        await settle(pilot)
        assert switcher.current == "stream"
        stream = text_of(app.query_one("#stream"))
        assert "RT 41%" in stream and "link 30%" in stream
        assert "realdonald" in stream and "maga" in stream and "en" in stream
        assert "+0.12" in stream and "-0.07" in stream
        # the window's post count: in the border at 80 columns (no room before the shares) ...
        assert stream.splitlines()[1].strip("│ ").startswith("RT 41%")
        assert stream.splitlines()[-1].endswith("2,322 posts ─╯")
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        # ... in the first row where it fits (a changing border text repaints the whole panel)
        stream = text_of(app.query_one("#stream"))
        assert stream.splitlines()[1].strip("│ ").startswith("2,322 posts  RT 41%")
        assert "posts ─" not in stream.splitlines()[-1]
        await pilot.press("v")
        assert switcher.current == "chart"


async def test_mood_column_and_dash_without_sentiment(make_app: MakeApp, reader: FakeReader) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        counters = text_of(app.query_one("#counters"))
        assert "mood" in counters and "+0.12" in counters and "-0.07" in counters
        reader.build = lambda w: make_snapshot(w, sentiment=False)
        await pilot.press("r")
        await settle(pilot)
        assert "+0.12" not in text_of(app.query_one("#counters"))
        await pilot.press("m")
        await settle(pilot)
        chart = text_of(app.query_one("#chart"))
        assert "no sentiment in this window" in chart
        assert "--no-sentiment?)" in chart  # wrapped: the hint's end was cut off at 80x24 (QA)


async def test_c_cycles_table_cloud_layout(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.query_one(KeywordsPanel)
        assert panel.mode == "table" and "412" in text_of(panel)
        await pilot.press("c")
        await settle(pilot)
        assert panel.mode == "cloud"
        cloud = text_of(panel)
        assert "MAGA" in cloud and "VOTE" in cloud  # top word of each topic: upper case
        assert "412" not in cloud
        assert "economy" in cloud  # more words than the table's ten
        await pilot.press("c")
        await settle(pilot)
        assert panel.mode == "layout"
        await pilot.pause(0.2)
        assert "too small: z zooms" in text_of(panel)  # 32 columns: tiered instead
        await pilot.press("c")
        assert panel.mode == "table"


async def test_layout_when_zoomed(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c", "c", "z")
        panel = app.query_one(KeywordsPanel)
        assert app.screen.maximized is panel
        for _ in range(100):
            await pilot.pause(0.1)
            if panel._layouts and "laying out" not in text_of(panel):
                break
        text = text_of(panel)
        assert "MAGA" in text and "VOTE" in text
        assert "laying out" not in text
        await pilot.press("z")
        assert app.screen.maximized is None


async def test_m_toggles_sentiment_chart(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")  # m brings the chart back into view
        await pilot.press("m")
        await settle(pilot)
        assert app.query_one("#view", ContentSwitcher).current == "chart"
        chart = text_of(app.query_one("#chart"))
        labels = [line.split("┤")[0].strip("┃│ ") for line in chart.splitlines() if "┤" in line]
        assert "sentiment/min" in chart and labels[-1].startswith("-1") and "0" in labels
        await pilot.press("m")
        await settle(pilot)
        assert "tweets/s" in text_of(app.query_one("#chart"))


async def open_keyword(pilot: Pilot, *picks: str) -> None:  # type: ignore[type-arg]
    """`k`, then `picks` in the picker (e.g. `down`, `enter`); waits for the view's first read."""
    await pilot.press("k")
    await pilot.pause()
    assert isinstance(pilot.app.screen, KeywordPicker)
    await pilot.press(*picks)
    await settle(pilot)
    await pilot.app.screen.workers.wait_for_complete()
    await pilot.pause()


async def test_drill_down_reads_through_worker_and_closes(make_app: MakeApp, reader: FakeReader) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_keyword(pilot, "down", "enter")  # second keyword of the first topic
        assert isinstance(app.screen, KeywordScreen)
        assert reader.keyword_calls == [("trump", "vote")]
        text = screen_text(app)
        assert "keyword vote in trump" in text
        assert "posts per minute" in text and "posts/min" in text
        assert "@nightowl" in text and "@joe_fan_88" not in text  # only trump posts here
        await pilot.press("r")
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert len(reader.keyword_calls) == 2
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (KeywordScreen, KeywordPicker))


async def test_drill_down_opened_while_paused_shows_its_first_read(make_app: MakeApp, reader: FakeReader) -> None:
    """Paused, the view keeps what it shows; but it must show something (it sat at
    "reading…" until `p`), and `r` reads anew even then."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await open_keyword(pilot, "down", "enter")
        assert isinstance(app.screen, KeywordScreen) and app.paused
        text = screen_text(app)
        assert "@nightowl" in text and "reading…" not in text
        assert "paused · p resumes" in text
        await pilot.press("r")
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert len(reader.keyword_calls) == 2 and "@nightowl" in screen_text(app)


async def test_drill_down_posts_are_cut_not_wrapped_beside_a_scrollbar(make_app: MakeApp, reader: FakeReader) -> None:
    """Two lines per post at 80 columns. The lines are laid out to the panel's width; when
    the posts overflow, the scrollbar takes two columns and a full line wrapped its last
    word onto a third line of its own."""
    from dataclasses import replace as replace_entry

    from tweetwatch.tui.feed import FeedBody

    def many_long_posts(topic: str, word: str):  # noqa: ANN202
        detail = make_detail(topic, word)
        long = replace_entry(detail.recent[0], text="word " * 60)
        return replace_entry(detail, recent=(long,) * 12)

    reader.build_detail = many_long_posts
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_keyword(pilot, "enter")
        body = app.screen.query_one("#kw-posts-body", FeedBody)
        assert body.size.height == 2 * 12


async def test_drill_down_failure_is_shown(make_app: MakeApp, reader: FakeReader) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        reader.failure = "connection refused"
        await pilot.press("k", "enter")
        await settle(pilot)
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert "Redis unreachable — retrying (connection refused)" in screen_text(app)


async def test_picker_escape_and_mouse_click(make_app: MakeApp, reader: FakeReader) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, KeywordPicker)
        await pilot.press("k")
        await pilot.pause()
        await pilot.click("#picker-list", offset=(20, 3))  # fourth row: trump · wall
        await settle(pilot)
        await app.screen.workers.wait_for_complete()
        assert reader.keyword_calls == [("trump", "wall")]


async def test_hostile_feed_is_literal_and_inert(make_app: MakeApp, reader: FakeReader) -> None:
    reader.build = lambda w: make_snapshot(w, feed=HOSTILE_FEED)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        feed = region_text(app, app.query_one("#feed"))
        assert "clipboard" in feed and "aGVsbG8" not in feed
        assert "wipe the screen" in feed
        assert "[bold red]x[/] is literal" in feed
        assert "@[bold]mark[/]" in feed
        assert "rtlgnp.exe second line" in feed
        for strip in screen_strips(app):
            for segment in strip:
                assert "\x1b" not in segment.text
                assert "\x07" not in segment.text
                assert "\u202e" not in segment.text
                assert "\n" not in segment.text


async def test_feed_scrolls_while_paused(make_app: MakeApp, reader: FakeReader) -> None:
    many = tuple(replace(FEED[i % len(FEED)], id=str(i), created_ms=FEED[0].created_ms - i * 1000) for i in range(50))
    reader.build = lambda w: make_snapshot(w, feed=many)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "p")
        feed = app.query_one("#feed")
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert feed.scroll_y > 0
        newest = FeedEntry("new", FEED[0].created_ms + 5000, "latecomer", ("trump",), "fresh post", False)
        reader.build = lambda w: make_snapshot(w, feed=(newest, *many))
        await pilot.press("r")
        await settle(pilot)
        assert "latecomer" not in region_text(app, feed)  # frozen while paused
        assert feed.scroll_y > 0
        await pilot.press("p")
        await settle(pilot)
        assert feed.scroll_y == 0
        assert "latecomer" in region_text(app, feed)


async def test_s_saves_an_svg_screenshot(reader: FakeReader, tmp_path: Path) -> None:
    from tui_fakes import fixed_clock

    app = DashboardApp(reader, refresh_s=3600, clock=fixed_clock, screenshot_dir=tmp_path / "shots")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        files = list((tmp_path / "shots").glob("*.svg"))
        assert [f.name for f in files] == ["tweetwatch-20240501-120000.svg"]
        assert "<svg" in files[0].read_text()
        assert any(str(files[0]) in str(n.message) for n in app._notifications)


async def test_colors_ascii_and_theme(reader: FakeReader) -> None:
    app = DashboardApp(reader, refresh_s=3600, colors="16", ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.console._color_system == ColorSystem.STANDARD
        assert app.theme == "ansi-dark"
        assert app.query_one(FrequencyChart).marker == "*"
        chart = text_of(app.query_one("#chart"))
        assert "*" in chart and not any("\u2800" <= ch <= "\u28ff" for ch in chart)
    app256 = DashboardApp(reader, refresh_s=3600, colors="256")
    assert app256.console._color_system == ColorSystem.EIGHT_BIT


async def test_without_colour_the_chart_tells_its_lines_apart_by_marker(
    reader: FakeReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR made every line a grey, `all` and the first topic alike (QA)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = DashboardApp(reader, refresh_s=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chart = text_of(app.query_one("#chart"))
        legend = next(line for line in chart.splitlines() if "all" in line and "trump" in line)
        assert "━ all" in legend and "• trump" in legend and "x biden" in legend
        assert "•" in chart.replace(legend, "") and "x" in chart.replace(legend, "")  # drawn too


async def test_the_picked_keyword_is_readable_in_16_colours(reader: FakeReader) -> None:
    """The highlighted row was bright cyan on grey in 16 colours (QA): blue behind it now."""
    from textual.widgets import OptionList

    app = DashboardApp(reader, refresh_s=3600, colors="16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await pilot.pause()
        picker = app.screen.query_one(OptionList)
        highlighted = picker.render_line(0)
        backgrounds = {segment.style.bgcolor.name for segment in highlighted if segment.text.strip() and
                       segment.style is not None and segment.style.bgcolor is not None}
        assert backgrounds == {"color(4)"}, backgrounds  # ANSI blue (it was color(7), grey)


def test_a_detected_16_colour_terminal_gets_the_ansi_theme() -> None:
    """TERM=xterm or TERM=linux without --colors: the dark theme downgraded to 16 colours drew
    the Redis dot in the status bar's own grey (QA, 2026-11-28)."""
    assert wants_ansi_theme(None, "standard", headless=False)  # what Rich detects for TERM=xterm
    assert wants_ansi_theme("16", "truecolor", headless=False)
    assert not wants_ansi_theme(None, "256", headless=False)
    assert not wants_ansi_theme(None, "truecolor", headless=False)
    assert not wants_ansi_theme(None, "standard", headless=True)  # run_test detects standard too


async def test_clicking_a_keyword_opens_its_drill_down(make_app: MakeApp, reader: FakeReader) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.query_one(KeywordsPanel)
        dx = panel.content_region.x - panel.region.x
        dy = panel.content_region.y - panel.region.y
        await pilot.click(KeywordsPanel, offset=(dx + 1, dy + 2))  # row 2: trump's second word
        await settle(pilot)
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, KeywordScreen)
        assert reader.keyword_calls == [("trump", "vote")]


def test_keyword_at_maps_cells_to_words() -> None:
    snapshot = make_snapshot()
    first, second = snapshot.topics[0], snapshot.topics[1]
    widths = block_widths(2, 40)
    assert keyword_at(snapshot, 40, 0, 1) == (first.name, first.top_keywords[0][0])
    assert keyword_at(snapshot, 40, widths[0] + GAP, 3) == (second.name, second.top_keywords[2][0])
    assert keyword_at(snapshot, 40, 3, 0) is None  # the heading row
    assert keyword_at(snapshot, 40, widths[0], 1) is None  # the gap between blocks
    assert keyword_at(snapshot, 40, 0, 99) is None
    assert keyword_at(None, 40, 0, 1) is None


def with_topics(count: int, window_s: int = 300) -> Snapshot:
    """The fake snapshot with `count` topics, `topic0`.. (the two fake topics' figures in turn)."""
    base = make_snapshot(window_s)
    return replace(base, topics=tuple(replace(base.topics[i % 2], name=f"topic{i}") for i in range(count)))


def test_many_topics_keep_their_keywords_legible() -> None:
    """Five topics in the 32 columns of an 80x24 dashboard read `b… 48  t… 48  a… 4`: the
    table shows the topics that fit at a legible width, and clicks map to what is shown."""
    from tweetwatch.tui.keywords import MIN_BLOCK, keywords_grid, shown_topics

    base = make_snapshot()
    snapshot = with_topics(5)
    assert [shown_topics(5, width) for width in (12, 32, 78, 200)] == [1, 2, 5, 5]
    lines = [line.plain for line in keywords_grid(snapshot, 32)]
    assert lines[0].split() == ["topic0", "n", "topic1", "n"]
    assert lines[1].split()[0] == base.topics[0].top_keywords[0][0]  # a whole word, not `m…`
    assert all(len(line) <= 32 for line in lines)
    assert keyword_at(snapshot, 32, 31, 1) == ("topic1", base.topics[1].top_keywords[0][0])
    assert MIN_BLOCK * 5 + 2 * 4 <= 78  # zoomed to 80 columns (z), all five fit


async def test_the_border_says_nothing_when_every_keyword_row_shows(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        assert app.query_one(KeywordsPanel).border_subtitle == ""


async def test_hidden_topics_are_named_on_the_border(make_app: MakeApp, reader: FakeReader) -> None:
    reader.build = lambda window_s: with_topics(5, window_s)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        panel = app.query_one(KeywordsPanel)
        # five topics' counters leave the table 8 of its 10 keyword rows: it said nothing of them (QA)
        assert panel.border_subtitle == "+3 topics: [ ] · +2 rows or z"

        def headings() -> list[str]:
            return [word for word in text_of(panel).splitlines()[1].split() if word.startswith("topic")]

        assert headings() == ["topic0", "topic1"]
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert headings() == ["topic1", "topic2"]  # seven topics at 80x24: every one reachable
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert headings() == ["topic4", "topic0"]
        await pilot.press("right_square_bracket")
        await pilot.press("z")
        await settle(pilot)
        await pilot.pause()
        assert panel.border_subtitle == ""


async def test_a_collector_killed_under_unchanged_data_turns_silent(make_app: MakeApp, reader: FakeReader) -> None:
    """kill -9: the status stops changing, so the data read is the same and is not put on
    screen again; the bar still counted the age from that first read (QA, 2026-11-28)."""
    from datetime import timedelta

    reads = iter(range(1000))
    seen_at = make_snapshot().read_at.timestamp()

    def build(window_s: int):  # type: ignore[no-untyped-def]
        later = make_snapshot(window_s).read_at + timedelta(seconds=6 * next(reads))
        return replace(make_snapshot(window_s), read_at=later, collector_seen_at=seen_at)

    reader.build = build
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "collector reading" in text_of(app.query_one("#status"))
        for _ in range(2):  # 6 s, then 12 s since the last status
            await pilot.press("r")
            await settle(pilot)
        assert "collector silent for 12s (last: reading)" in text_of(app.query_one("#status"))


async def test_a_chart_too_short_to_read_says_so(make_app: MakeApp, reader: FakeReader) -> None:
    """Nine topics at 80x24 leave the chart one row: every line drawn flat at its peak
    (`149.0┤⣀⣀⣀`, QA 2026-11-28). It says it is too short instead, and `z` shows it."""
    from tweetwatch.tui.chart import TOO_SHORT

    reader.build = lambda window_s: with_topics(9, window_s)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chart = app.query_one(FrequencyChart)
        assert TOO_SHORT in text_of(chart) and "┤" not in text_of(chart)
        chart.focus()
        await pilot.press("z")
        await settle(pilot)
        await pilot.pause()
        assert TOO_SHORT not in text_of(chart) and "┤" in text_of(chart)
