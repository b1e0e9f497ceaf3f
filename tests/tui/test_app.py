"""Pilot tests: the dashboard driven by keys over an injected SnapshotReader."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tui_fakes import (
    FIXED_NOW,
    FakeReader,
    make_snapshot,
    screen_strips,
    screen_text,
    settle,
    text_of,
)

from tweetwatch.tui.app import DashboardApp
from tweetwatch.tui.commands import COMMANDS
from tweetwatch.tui.feed import FeedPanel
from tweetwatch.tui.help import HelpScreen
from tweetwatch.tui.statusbar import StatusScreen

MakeApp = Callable[..., DashboardApp]


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit_keys(make_app: MakeApp, key: str) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.is_running
        await pilot.press(key)
        await pilot.pause()
        assert not app.is_running


async def test_first_read_fills_every_panel(make_app: MakeApp, reader: FakeReader) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert reader.calls == [300]
        counters = text_of(app.query_one("#counters"))
        assert "12,345" in counters and "9,876" in counters  # count_total
        assert "1,234" in counters and "987" in counters  # count_window
        assert "812" in counters and "640" in counters  # unique authors
        assert "4.50" in counters and "8.25" in counters  # rates
        assert "1.25" in counters  # trump:biden ratio
        assert "maga" in text_of(app.query_one("#keywords"))
        status = text_of(app.query_one("#status"))
        assert "source replay" in status
        assert "Redis ● 1.2ms" in status
        assert "rejected 3" not in status  # the least important part, left out at 80 columns
        assert "stream 20:15:30Z lag 0.4s" in status
        assert "window 5m" in status and "every 3600s" in status
        assert "DEMO DATA" not in status
        assert "updated 12:00:00" in text_of(app.query_one("#header-info"))
        assert "20:15:30" in text_of(app.query_one("#chart"))  # x axis in stream time


async def test_demo_badge(reader: FakeReader, make_app: MakeApp) -> None:
    reader.build = lambda w: make_snapshot(w, is_demo=True, source="demo")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "DEMO DATA" in text_of(app.query_one("#status"))


async def test_pause_freezes_panels_and_resume_shows_latest(
    make_app: MakeApp, reader: FakeReader
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        assert app.paused and app.has_class("paused")
        assert "PAUSED" in text_of(app.query_one("#status"))
        frozen = {name: text_of(app.query_one(name)) for name in ("#counters", "#keywords")}

        reader.build = lambda w: make_snapshot(w, trump_total=55_555, round_trip_ms=7.5)
        await pilot.press("r")
        await settle(pilot)
        assert len(reader.calls) == 2  # reads continue while paused
        for name, text in frozen.items():
            assert text_of(app.query_one(name)) == text, name
        assert "55,555" not in screen_text(app)
        assert "7.5ms" in text_of(app.query_one("#status"))  # link state stays live

        await pilot.press("space")
        await pilot.pause()
        assert not app.paused and not app.has_class("paused")
        assert "PAUSED" not in text_of(app.query_one("#status"))
        assert "55,555" in text_of(app.query_one("#counters"))


async def test_w_cycles_window_and_reads_it(make_app: MakeApp, reader: FakeReader) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = []
        for _ in range(4):
            await pilot.press("w")
            await settle(pilot)
            seen.append(app.window_s)
        assert seen == [900, 3600, 60, 300]
        assert reader.calls == [300, 900, 3600, 60, 300]


async def test_hour_window_plots_per_minute(make_app: MakeApp) -> None:
    app = make_app(window_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = text_of(app.query_one("#chart"))
        assert "tweets/min · 1h" in chart
        assert "tweets/s" not in chart


async def test_plus_minus_step_the_interval(make_app: MakeApp) -> None:
    app = make_app(refresh_s=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        assert app.refresh_s == 2.0
        await pilot.press("plus", "plus", "plus")
        assert app.refresh_s == 10.0  # clamped at the top
        for _ in range(7):
            await pilot.press("minus")
        assert app.refresh_s == 0.25  # clamped at the bottom
        await pilot.pause()
        assert "every 0.25s" in text_of(app.query_one("#status"))


async def test_timer_rereads_with_new_interval(make_app: MakeApp, reader: FakeReader) -> None:
    """The one-shot timer is re-armed after each read, at the interval then in force."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert reader.calls == [300]
        for _ in range(6):  # 3600 s -> 0.25 s: the armed timer must be replaced
            await pilot.press("minus")
        assert app.refresh_s == 0.25
        for _ in range(200):  # wait on the condition, bounded (10 s), not a fixed sleep
            if len(reader.calls) >= 3:
                break
            await pilot.pause(0.05)
        assert len(reader.calls) >= 3


async def test_stepping_the_interval_does_not_hold_reads_off(make_app: MakeApp, reader: FakeReader) -> None:
    """The next read is due an interval after the last one, not after the last key: `+`
    and `-` pressed every 0.3 s at a 0.5 s interval kept every read away."""
    app = make_app(refresh_s=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = len(reader.calls)
        for _ in range(6):  # 1.8 s of keys: 0.5 s -> 1 s -> 0.5 s -> ...
            await pilot.press("plus" if app.refresh_s == 0.5 else "minus")
            await pilot.pause(0.3)
        assert len(reader.calls) >= before + 2


async def test_r_reads_now(make_app: MakeApp, reader: FakeReader) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert len(reader.calls) == 1
        await pilot.press("r")
        await settle(pilot)
        assert len(reader.calls) == 2


async def test_help_lists_every_binding(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        for cmd in COMMANDS:
            assert cmd.key_display in shown, cmd
            assert cmd.description in shown, cmd
        bound = {key for binding in app.BINDINGS for key in binding.key.split(",")}  # type: ignore[union-attr]
        assert bound == {key for cmd in COMMANDS for key in cmd.keys}
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_help_scrolls_to_its_end_at_the_smallest_size(make_app: MakeApp) -> None:
    """At 60x18 the box ended mid-list and the rest could not be reached (QA)."""
    app = make_app()
    async with app.run_test(size=(60, 18)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "keyboard." not in screen_text(app)  # the note's last word
        await pilot.press("end")
        await pilot.pause()
        assert "keyboard." in screen_text(app)
        assert COMMANDS[-1].description in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_z_zooms_the_live_feed_when_it_has_focus(make_app: MakeApp) -> None:
    """`z` zoomed the keywords panel instead: a scrolling container may not be maximized by
    default (QA)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        feed = app.query_one(FeedPanel)
        feed.focus()
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is feed
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is None


async def test_the_palette_offers_this_apps_commands_only(make_app: MakeApp) -> None:
    """Textual's own entries (Keys, Theme, Maximize, another Quit) opened panels that `?` and
    Escape do not close and that squeeze the 80-column layout."""
    from textual.command import CommandPalette

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        offered = [command.title for command in app.get_system_commands(app.screen)]
        assert offered == [cmd.description for cmd in COMMANDS if cmd.palette]
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CommandPalette)


async def test_layout_follows_terminal_size(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not app.has_class("narrow") and not app.has_class("too-small")

        await pilot.resize_terminal(70, 20)
        await pilot.pause()
        assert app.has_class("narrow") and not app.has_class("too-small")
        assert app.query_one("#counters").region.width == 70
        assert "12,345" in screen_text(app)

        await pilot.resize_terminal(132, 24)  # wide but short: the chart needs the height
        await pilot.pause()
        assert app.has_class("narrow")
        assert app.query_one("#chart").region.height >= 12

        await pilot.resize_terminal(50, 15)
        await pilot.pause()
        assert app.has_class("too-small")
        text = screen_text(app)
        assert "terminal too small (need 60x18" in text
        assert "12,345" not in text

        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.has_class("narrow") and not app.has_class("too-small")
        text = screen_text(app)
        assert "too small" not in text
        assert "12,345" in text and "maga" in text
        assert app.query_one("#counters").region.width < 70


async def test_ratio_is_dash_when_a_topic_is_zero(make_app: MakeApp, reader: FakeReader) -> None:
    reader.build = lambda w: make_snapshot(w, biden_total=0)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ratio_row = next(
            line for line in text_of(app.query_one("#counters")).splitlines() if "trump:biden" in line
        )
        assert "—" in ratio_row
        assert "0.00" not in ratio_row


async def test_store_failure_keeps_last_data_and_recovers(
    make_app: MakeApp, reader: FakeReader
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        reader.failure = "cannot reach redis://localhost:6379 (connection refused)"
        await pilot.press("r")
        await settle(pilot)
        status = text_of(app.query_one("#status"))
        assert "Redis unreachable — retrying" in status
        assert "connection refused" in status
        assert "12,345" in text_of(app.query_one("#counters"))  # last good data stays
        assert app.is_running
        assert app._timer is not None  # and the retry is scheduled

        reader.failure = None
        reader.build = lambda w: make_snapshot(w, trump_total=20_000)
        await pilot.press("r")
        await settle(pilot)
        status = text_of(app.query_one("#status"))
        assert "unreachable" not in status and "Redis ● 1.2ms" in status
        assert "20,000" in text_of(app.query_one("#counters"))


async def test_store_down_from_the_start(make_app: MakeApp, reader: FakeReader) -> None:
    reader.failure = "no route to host"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Redis unreachable — retrying (no route to host)" in screen_text(app)
        assert "waiting for data" in text_of(app.query_one("#counters"))


async def test_identical_snapshot_is_not_repainted(make_app: MakeApp, reader: FakeReader) -> None:
    app = make_app(clock=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = app.snapshot
        ticks = iter(range(1, 100))
        app._clock = lambda: FIXED_NOW.replace(second=next(ticks))
        reader.build = lambda w: make_snapshot(w, round_trip_ms=9.9)  # same data, new RTT
        await pilot.press("r")
        await settle(pilot)
        assert app.snapshot is shown
        assert "updated 12:00:00" in text_of(app.query_one("#header-info"))
        assert "9.9ms" in text_of(app.query_one("#status"))

        reader.build = lambda w: make_snapshot(w, trump_total=1)
        await pilot.press("r")
        await settle(pilot)
        assert app.snapshot is not shown
        assert "updated 12:00:01" in text_of(app.query_one("#header-info"))


HOSTILE = (
    ("clip\x1b]52;c;aGVsbG8=\x07board", 90),
    ("\x1b[2Jwipe", 80),
    ("[bold red]x[/]", 70),
    ("rtl\u202egnp.exe", 60),
)


async def test_hostile_text_is_shown_literally_and_inert(
    make_app: MakeApp, reader: FakeReader
) -> None:
    def build(window_s: int):  # type: ignore[no-untyped-def]
        return make_snapshot(
            window_s,
            trump_keywords=HOSTILE,
            source="live\x1b[31m",
            collector_state="[link=http://x]ok[/link]\r\nfake line",
            collector_detail="\x1b]52;c;aGVsbG8=\x07copied \u202eevil",
        )

    reader.build = build
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keywords = text_of(app.query_one("#keywords"))
        assert "clipboard" in keywords
        assert "wipe" in keywords
        assert "[bold red]x[/]" in keywords
        assert "rtlgnp.exe" in keywords
        assert "aGVsbG8" not in keywords
        status = text_of(app.query_one("#status"))
        assert "source live" in status
        assert "collector [link=http://x]ok[/link]  fake line · copied evil" in status
        for strip in screen_strips(app):
            for segment in strip:
                assert "\x1b" not in segment.text
                assert "\x07" not in segment.text
                assert "\u202e" not in segment.text


async def test_hostile_topic_names_in_every_panel(make_app: MakeApp, reader: FakeReader) -> None:
    from dataclasses import replace

    def build(window_s: int):  # type: ignore[no-untyped-def]
        snap = make_snapshot(window_s)
        evil = replace(snap.topics[0], name="[red]t\x1b[2J")
        series = replace(
            snap.series, counts={**snap.series.counts, "[red]t\x1b[2J": snap.series.counts["trump"]}
        )
        return replace(snap, topics=(evil, snap.topics[1]), series=series)

    reader.build = build
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for panel in ("#counters", "#keywords", "#chart"):
            assert "[red]t" in text_of(app.query_one(panel)), panel
        assert all("\x1b" not in seg.text for strip in screen_strips(app) for seg in strip)



X_429 = "reconnecting in 59 s (429 too many connections) · 0 tweets/s · tweets 0 · control 0 · rejected 0 · duplicates 0"


async def test_a_collector_in_backoff_shows_its_wait_and_reason_at_80_columns(
    make_app: MakeApp, reader: FakeReader
) -> None:
    """QA: an X stream getting HTTP 429 read `collector reading · reconnecting in 5…` at 80
    columns (the wait was 59 s) and the reason was cut even at 100. The collector's state
    comes first and the less important parts are left out whole; `i` shows them all."""
    reader.build = lambda w: make_snapshot(w, source="x", collector_detail=X_429, collector_status=f"x · {X_429}")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        status = text_of(app.query_one("#status")).splitlines()[0]
        assert status.startswith(" collector reading · reconnecting in 59 s (429 too many connections) · …")
        assert "duplicates" not in status
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, StatusScreen)
        shown = " ".join(screen_text(app).split())  # the collector's line wraps
        assert "rejected 0 · duplicates 0" in shown
        assert "source x │ Redis ● 1.2ms │ rejected 3" in shown
        assert "window 5m │ every 3600s" in shown
        later = X_429.replace("59 s", "58 s")  # the collector's published line changes with it
        reader.build = lambda w: make_snapshot(w, source="x", collector_detail=later, collector_status=f"x · {later}")
        app.action_refresh_now()  # as the refresh timer would: the open screen follows new reads
        await settle(pilot)
        assert "reconnecting in 58 s" in " ".join(screen_text(app).split())
        await pilot.press("i")
        await pilot.pause()
        assert not isinstance(app.screen, StatusScreen)
