"""The tweetwatch dashboard: a Textual app that renders Snapshots read on a timer.

Data flow (the memray `live` pattern, with dolphie's rescheduled timer):

    one-shot timer ─▶ thread worker: reader.read_snapshot(window), chart.predraw(snapshot)
                          └─▶ SnapshotReady (snapshot + chart drawing) / SnapshotFailed message
    handler (UI thread) ─▶ chart.offer(drawing); reactive `snapshot` inside batch_update()
                       │                          ─▶ panels (data-bound)
                       └─▶ next one-shot timer, with the interval in force at that moment

The timer is re-armed only after a read finishes, so a slow Redis never stacks reads up,
and `+`/`-` take effect without restarting anything.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path

from rich.color import ColorSystem
from rich.text import Text

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Grid, Horizontal
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Static

from tweetwatch.errors import StoreUnavailable
from tweetwatch.store.snapshot import Snapshot
from tweetwatch.tui.cells import count_spacing_marks_as_terminals_do
from tweetwatch.tui.chart import FrequencyChart, PreDrawn, RateSparkline
from tweetwatch.tui.commands import COMMANDS, bindings
from tweetwatch.tui.counters import CountersPanel
from tweetwatch.tui.drilldown import KeywordPicker, KeywordScreen
from tweetwatch.tui.feed import FeedPanel
from tweetwatch.tui.header import HeaderInfo, HeaderTitle
from tweetwatch.tui.help import HelpScreen
from tweetwatch.tui.keywords import KeywordsPanel
from tweetwatch.tui.palette import topic_color
from tweetwatch.tui.stream import StreamPanel
from tweetwatch.tui.messages import KeywordClicked, SnapshotFailed, SnapshotReady
from tweetwatch.tui.reader import SnapshotReader
from tweetwatch.tui.statusbar import LinkState, StatusBar, StatusScreen, full_status

log = logging.getLogger(__name__)

REFRESH_STEPS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
"""Intervals `+` and `-` step through (seconds)."""
DEFAULT_WINDOWS: tuple[int, ...] = (60, 300, 900, 3600)
WIDE_LAYOUT_MIN = Size(100, 32)
"""The side-by-side counters and keywords above a full-width chart need this much; below it
(in either direction) the panels are stacked the narrow way (CSS class `narrow`). At 132x24
the wide layout left the chart two rows."""
MIN_SIZE = Size(60, 18)
"""Below this the dashboard shows a message instead of a broken layout."""
VIEWS: tuple[str, ...] = ("chart", "feed", "stream")
"""What `v` cycles the main panel through."""
COLOR_SYSTEMS = {"16": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "truecolor": ColorSystem.TRUECOLOR}
ANSI_THEME = "ansi-dark"
"""Used with 16 colours: the terminal's own palette and background (Textual's ANSI theme)."""


def _local_now() -> datetime:
    return datetime.now().astimezone()


def step_interval(current: float, direction: int) -> float:
    """Next (`direction` 1) or previous (-1) value of REFRESH_STEPS, clamped at the ends.

    A value between steps (set on the command line) moves to the neighbouring step.
    """
    if direction > 0:
        return next((s for s in REFRESH_STEPS if s > current), REFRESH_STEPS[-1])
    return next((s for s in reversed(REFRESH_STEPS) if s < current), REFRESH_STEPS[0])


def wants_ansi_theme(color_depth: str | None, detected: str | None, headless: bool) -> bool:
    """The ANSI theme (the terminal's own palette and background) for 16 colours, asked for
    (`--colors 16`) or detected on a real terminal (TERM=xterm, screen, linux: Rich's
    `standard`): the dark theme downgraded to 16 colours drew the status bar's green Redis
    dot in the bar's own grey. Headless test runs detect `standard` too and keep the default."""
    return color_depth == "16" or color_depth is None and detected == "standard" and not headless


class DashboardApp(App[None]):
    """Counter table, frequency chart, keyword panel and status bar over a SnapshotReader."""

    CSS_PATH = "app.tcss"
    BINDINGS = bindings()

    # App-level reactives only feed data-bound widgets, which repaint themselves; with the
    # default repaint=True every change (the RTT, once a second) would redraw the whole screen.
    snapshot: reactive[Snapshot | None] = reactive(None, repaint=False)
    """The snapshot on screen (frozen while paused); panels are data-bound to it."""
    link: reactive[LinkState] = reactive(LinkState, repaint=False)
    """Outcome of the latest read, shown live even while paused."""
    paused: reactive[bool] = reactive(False, repaint=False)
    refresh_s: reactive[float] = reactive(1.0, repaint=False)
    window_s: reactive[int] = reactive(300, repaint=False)
    updated_at: reactive[datetime | None] = reactive(None, repaint=False)
    """Clock time at which `snapshot` last changed."""

    def __init__(
        self,
        reader: SnapshotReader,
        *,
        refresh_s: float = 1.0,
        window_s: int = 300,
        windows: tuple[int, ...] = DEFAULT_WINDOWS,
        title: str = "tweetwatch",
        clock: Callable[[], datetime] | None = None,
        colors: str | None = None,
        ascii_only: bool = False,
        screenshot_dir: Path | None = None,
    ) -> None:
        """
        Args:
            reader: Where snapshots come from; called from a worker thread.
            refresh_s: Seconds between the end of one read and the start of the next.
            window_s: Initial window; added to `windows` if it is not one of them.
            windows: Windows `w` cycles through, in seconds.
            title: Shown at the left of the header.
            clock: Wall clock for "updated HH:MM:SS"; inject a fixed one for tests.
            colors: `16`, `256` or `truecolor` to force the colour depth Textual renders in
                (None: detected); `16` also switches to the ANSI theme, which uses the
                terminal's own palette and background.
            ascii_only: Draw charts with plain characters (for fonts without braille).
            screenshot_dir: Where `s` saves SVG screenshots (default: the user data dir).
        """
        count_spacing_marks_as_terminals_do()  # before anything is measured: Hindi rows kept their width
        super().__init__()
        if colors is not None:
            if colors not in COLOR_SYSTEMS:
                raise ValueError(f"colors must be one of {', '.join(COLOR_SYSTEMS)}")
            # Textual renders every strip with its console's colour system (downgrading
            # colours as needed); setting it here is what TEXTUAL_COLOR_SYSTEM does at import.
            self.console._color_system = COLOR_SYSTEMS[colors]
        self.color_depth = colors
        self.ascii_only = ascii_only
        self._screenshot_dir = screenshot_dir
        if refresh_s <= 0:
            raise ValueError("refresh_s must be positive")
        if window_s not in windows:
            windows = tuple(sorted({*windows, window_s}))
        self._reader = reader
        self._windows = windows
        self._clock = clock or _local_now
        self._header_title = title
        self.title = title
        self._chart: FrequencyChart | None = None
        """Set on mount; the read worker asks it for pre-drawings."""
        self._latest: Snapshot | None = None
        self._seq = 0
        self._timer: Timer | None = None
        self._armed_at = 0.0
        """When `_timer` was armed (monotonic): the read it waits for is due `refresh_s` later."""
        self.set_reactive(DashboardApp.refresh_s, refresh_s)
        self.set_reactive(DashboardApp.window_s, window_s)

    @property
    def windows(self) -> tuple[int, ...]:
        return self._windows

    @property
    def reader(self) -> SnapshotReader:
        """The data door; views call it only from worker threads."""
        return self._reader

    # ---- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="too-small")
        with Horizontal(id="header"):
            yield HeaderTitle(self._header_title, id="title").data_bind(DashboardApp.snapshot)
            yield RateSparkline(id="sparkline").data_bind(DashboardApp.snapshot)
            yield HeaderInfo(id="header-info").data_bind(DashboardApp.updated_at)
        with Grid(id="body"):
            yield CountersPanel(id="counters").data_bind(DashboardApp.snapshot)
            yield KeywordsPanel(id="keywords").data_bind(DashboardApp.snapshot)
            with ContentSwitcher(initial="chart", id="view"):
                yield FrequencyChart(id="chart", ascii_only=self.ascii_only).data_bind(DashboardApp.snapshot)
                yield FeedPanel(id="feed").data_bind(DashboardApp.snapshot)
                yield StreamPanel(id="stream").data_bind(DashboardApp.snapshot)
        yield StatusBar(id="status").data_bind(
            DashboardApp.snapshot,
            DashboardApp.link,
            DashboardApp.window_s,
            DashboardApp.refresh_s,
            DashboardApp.paused,
        )

    def on_mount(self) -> None:
        if wants_ansi_theme(self.color_depth, self.console.color_system, self.is_headless):
            self.theme = ANSI_THEME
        self._apply_size(self.size)
        # Everything alive now (modules, widgets, styles: ~60,000 objects) lives as long as
        # the app. Moved out of the cyclic collector's sight, a full collection during a
        # refresh costs ~5 ms instead of ~40 ms (bench/dashboard.py --only render, max).
        gc.freeze()
        self._chart = self.query_one(FrequencyChart)
        self._request_read()

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size)

    def _apply_size(self, size: Size) -> None:
        too_small = size.width < MIN_SIZE.width or size.height < MIN_SIZE.height
        self.set_class(size.width < WIDE_LAYOUT_MIN.width or size.height < WIDE_LAYOUT_MIN.height, "narrow")
        self.set_class(too_small, "too-small")
        if too_small:
            self.query_one("#too-small", Static).update(
                f"terminal too small (need {MIN_SIZE.width}x{MIN_SIZE.height}, "
                f"have {size.width}x{size.height})"
            )

    def watch_paused(self, paused: bool) -> None:
        self.set_class(paused, "paused")

    # ---- reading ------------------------------------------------------------------

    def _request_read(self) -> None:
        """Start a read now; any armed timer is dropped and any older read goes stale."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._seq += 1
        self._read(self._seq, self.window_s)

    @work(thread=True, exclusive=True, group="read")
    def _read(self, seq: int, window_s: int) -> None:
        try:
            snapshot = self._reader.read_snapshot(window_s)
        except StoreUnavailable as exc:
            self.post_message(SnapshotFailed(seq, str(exc)))
        else:
            self.post_message(SnapshotReady(seq, snapshot, self._predraw(snapshot)))

    def _predraw(self, snapshot: Snapshot) -> PreDrawn | None:
        """The chart's drawing of `snapshot`, made here in the read worker so that the UI
        thread gets it with the data (see FrequencyChart)."""
        chart = self._chart
        if chart is None or self.paused or snapshot.same_data(self.snapshot):
            return None
        try:
            return chart.predraw(snapshot)
        except Exception as exc:  # plotext failing must not stop the reads: the chart's own
            log.warning("chart pre-drawing failed: %s", exc)  # worker tries and says so
            return None

    def _schedule_next(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._armed_at = time.monotonic()
        self._timer = self.set_timer(self.refresh_s, self._request_read, name="refresh")

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if message.seq != self._seq:
            return  # superseded by a newer request (r, w), whose result re-arms the timer
        snapshot = message.snapshot
        self._latest = snapshot
        with self.batch_update():
            self.link = LinkState(True, snapshot.round_trip_ms, snapshot.lag_s, collector_age_s=snapshot.collector_age_s)
            if not self.paused:
                if self._chart is not None:
                    self._chart.offer(message.chart)
                self._show(snapshot)
        self._schedule_next()

    def on_snapshot_failed(self, message: SnapshotFailed) -> None:
        if message.seq != self._seq:
            return
        # The last good snapshot stays on screen; only the link state changes.
        self.link = LinkState(False, error=message.error)
        self._schedule_next()

    def _show(self, snapshot: Snapshot) -> None:
        """Put `snapshot` on screen unless it would draw exactly what is there already."""
        if snapshot.same_data(self.snapshot):
            return
        self.snapshot = snapshot
        self.updated_at = self._clock()

    # ---- actions (bound through the command table) --------------------------------

    def action_toggle_pause(self) -> None:
        with self.batch_update():
            self.paused = not self.paused
            if not self.paused and self._latest is not None:
                self._show(self._latest)

    def action_refresh_now(self) -> None:
        self._request_read()

    def action_redraw(self) -> None:
        """Send every cell again. New data repaints only the rows that changed, so anything
        else that wrote to the terminal (a `wall` message, a stray background job) would
        stay on screen until then."""
        self.refresh()

    def action_slower(self) -> None:
        self._set_interval(step_interval(self.refresh_s, +1))

    def action_faster(self) -> None:
        self._set_interval(step_interval(self.refresh_s, -1))

    def _set_interval(self, seconds: float) -> None:
        """The next read comes `seconds` after the last one ended, not after this key: a
        key pressed every second must not hold the reads off (it did, for as long as it went on)."""
        self.refresh_s = seconds
        if self._timer is None:  # a read is in flight; its end arms the timer with `seconds`
            return
        self._timer.stop()
        due = self._armed_at + seconds - time.monotonic()
        if due <= 0:
            self._request_read()
        else:
            self._timer = self.set_timer(due, self._request_read, name="refresh")

    def action_cycle_window(self) -> None:
        index = self._windows.index(self.window_s) if self.window_s in self._windows else -1
        self.window_s = self._windows[(index + 1) % len(self._windows)]
        self._request_read()

    def action_cycle_view(self) -> None:
        switcher = self.query_one("#view", ContentSwitcher)
        current = switcher.current or VIEWS[0]
        view = VIEWS[(VIEWS.index(current) + 1) % len(VIEWS)]
        switcher.current = view
        if view == "feed":
            self.query_one("#feed").focus()  # arrows / page keys scroll it (while paused)

    def action_cycle_cloud(self) -> None:
        self.query_one(KeywordsPanel).cycle_mode()

    def action_shift_topics(self, step: int) -> None:
        """`]` shows the next topic's keywords, `[` the previous one (when not all fit)."""
        self.query_one(KeywordsPanel).shift_topics(step)

    def action_toggle_mood(self) -> None:
        chart = self.query_one(FrequencyChart)
        chart.mood = not chart.mood
        self.query_one("#view", ContentSwitcher).current = "chart"

    def action_drill_down(self) -> None:
        if not isinstance(self.screen, (KeywordPicker, KeywordScreen, HelpScreen)):
            self.push_screen(KeywordPicker(self.snapshot), self._open_keyword)

    def on_keyword_clicked(self, message: KeywordClicked) -> None:
        if not isinstance(self.screen, (KeywordPicker, KeywordScreen, HelpScreen)):
            self._open_keyword((message.topic, message.word))

    def _open_keyword(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        topic, word = choice
        names = [t.name for t in self.snapshot.topics] if self.snapshot is not None else []
        color = topic_color(names.index(topic)) if topic in names else ""
        self.push_screen(
            KeywordScreen(topic, word, color=color, marker="*" if self.ascii_only else "braille")
        )

    def action_zoom(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        target = screen.focused
        if target is None or not target.allow_maximize:
            target = self.query_one(KeywordsPanel)
        screen.maximize(target, container=False)

    def screenshot_dir(self) -> Path:
        if self._screenshot_dir is not None:
            return self._screenshot_dir
        import platformdirs

        return Path(platformdirs.user_data_dir("tweetwatch")) / "screenshots"

    def action_screenshot(self) -> None:
        directory = self.screenshot_dir()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            stamp = self._clock().strftime("%Y%m%d-%H%M%S")
            path = self.save_screenshot(f"tweetwatch-{stamp}.svg", str(directory))
        except OSError as exc:
            self.notify(f"screenshot not saved: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"screenshot saved to {path}", title="screenshot", timeout=6)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_full_status(self) -> None:
        """The status bar with nothing left out: at 80 columns the bar drops its least
        important parts (the collector's counts, the rejected count, ...)."""
        if not isinstance(self.screen, StatusScreen):
            watched = ("snapshot", "link", "paused", "window_s", "refresh_s")
            self.push_screen(StatusScreen(self._full_status, watch=watched))

    def _full_status(self) -> Text:
        """Both status bar lines with nothing left out."""
        return full_status(
            self.snapshot, self.link, window_s=self.window_s, refresh_s=self.refresh_s, paused=self.paused
        )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette lists this app's commands only. Textual's own (Keys, Theme, Maximize,
        a second Quit) open panels `?` and Escape do not close, and squeeze 80 columns."""
        for cmd in COMMANDS:
            if cmd.palette:
                yield SystemCommand(
                    cmd.description, f"key: {cmd.key_display}", partial(self.run_action, cmd.action)
                )
