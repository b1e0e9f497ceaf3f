"""Keyword drill-down: pick a keyword (`k`), then see its per-minute trend and recent posts.

The view never reads Redis itself: like the dashboard, a one-shot timer starts a thread
worker that calls `reader.read_keyword(topic, word)` and posts `KeywordReady` /
`KeywordFailed`; the handler sets the reactive `detail` and re-arms the timer. Reads happen
only while the view is open. While the dashboard is paused the view keeps what it shows,
except its first read and a read asked for with `r`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual_plotext import PlotextPlot

from tweetwatch.errors import StoreUnavailable
from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import KeywordDetail, Snapshot
from tweetwatch.tui import format as fmt
from tweetwatch.tui.chart import align_y_axis
from tweetwatch.tui.feed import FeedBody, entries_renderable
from tweetwatch.tui.messages import KeywordFailed, KeywordReady
from tweetwatch.tui.palette import plotext_color, topic_color

WORD_MAX = 24
MIN_REFRESH_S = 2.0


def picker_options(snapshot: Snapshot | None) -> list[tuple[str, str, Text]]:
    """(topic, word, label) for every top keyword of every topic, in panel order."""
    if snapshot is None:
        return []
    options: list[tuple[str, str, Text]] = []
    for index, topic in enumerate(snapshot.topics):
        for word, n in topic.top_keywords:
            label = Text.assemble(
                (clean_text(topic.name, 16).ljust(16), topic_color(index)),
                " ",
                clean_text(word, WORD_MAX).ljust(WORD_MAX),
                (f" {fmt.count(n):>8}", "dim"),
            )
            options.append((topic.name, word, label))
    return options


class KeywordPicker(ModalScreen[tuple[str, str] | None]):
    """Choose a keyword with the arrows and enter (or a click); escape cancels."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close", show=False)]

    def __init__(self, snapshot: Snapshot | None) -> None:
        super().__init__()
        self._options = picker_options(snapshot)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box") as box:
            box.border_title = "drill down: pick a keyword"
            box.border_subtitle = "enter open · escape close"
            if self._options:
                yield OptionList(*(Option(label, id=str(i)) for i, (_t, _w, label) in enumerate(self._options)),
                                 id="picker-list")
            else:
                yield Static(Text("no keywords yet", style="dim"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        topic, word, _label = self._options[int(event.option.id or 0)]
        self.dismiss((topic, word))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class KeywordTrend(PlotextPlot):
    """Posts per minute using the keyword (stream time)."""

    detail: reactive[KeywordDetail | None] = reactive(None)

    def __init__(self, *, color: str, marker: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.theme = "clear"
        self._color = color
        self._marker = marker

    def render(self) -> RenderResult:
        detail = self.detail
        if detail is None:
            return Text("reading…", style="dim")
        plt = self.plt
        plt.clear_figure()
        n = len(detail.counts)
        plt.plot(list(range(n)), list(detail.counts), color=plotext_color(self._color), marker=self._marker)
        wanted = max(2, min(n, self.size.width // 10))
        positions = sorted({round(i * (n - 1) / (wanted - 1)) for i in range(wanted)}) if n > 1 else [0]
        labels = [
            datetime.fromtimestamp((detail.start_minute + p) * 60, UTC).strftime("%H:%M") for p in positions
        ]
        plt.xticks(positions, labels)
        plt.xlim(0, max(n - 1, 1))
        plt.ylabel("posts/min")
        align_y_axis(plt, self.size.height, 0.0, float(max(detail.counts, default=0)))
        return super().render()


class KeywordScreen(Screen[None]):
    """Trend and recent posts of one keyword of one topic."""

    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back", show=False),
        Binding("r", "reread", "Read now", show=False),
    ]

    detail: reactive[KeywordDetail | None] = reactive(None)

    def __init__(self, topic: str, word: str, *, color: str = "", marker: str = "braille") -> None:
        super().__init__()
        self.topic = topic
        self.word = word
        self._color = color or "default"
        self._marker = marker
        self._seq = 0
        self._timer: Timer | None = None
        self._error = ""
        self._asked = True
        """The next answer is shown even while paused (the first one, or `r`)."""

    def compose(self) -> ComposeResult:
        yield Static(id="kw-title")
        yield KeywordTrend(color=self._color, marker=self._marker, id="kw-trend")
        with Vertical(id="kw-posts"):
            yield FeedBody(id="kw-posts-body")
        yield Static(Text("escape back · r read now · q quit", style="dim"), id="kw-hint")

    def on_mount(self) -> None:
        self.query_one("#kw-trend").border_title = "posts per minute · last hour of stream time"
        self.query_one("#kw-posts").border_title = "recent posts with it"
        self._show()
        self._request()

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def on_resize(self) -> None:
        self._show()

    # -- reading (worker -> message -> reactive, as the dashboard does) ------------------
    def _request(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._seq += 1
        self._read(self._seq)

    @work(thread=True, exclusive=True, group="keyword")
    def _read(self, seq: int) -> None:
        reader = self.app.reader  # type: ignore[attr-defined]
        try:
            detail = reader.read_keyword(self.topic, self.word)
        except StoreUnavailable as exc:
            self.post_message(KeywordFailed(seq, str(exc)))
        else:
            self.post_message(KeywordReady(seq, detail))

    def on_keyword_ready(self, message: KeywordReady) -> None:
        if message.seq != self._seq:
            return
        self._error = ""
        if self._asked or not self._paused:
            self._asked = False
            self.detail = message.detail
            self._show()  # the paused mark may have changed with the same data
        self._schedule()

    def on_keyword_failed(self, message: KeywordFailed) -> None:
        if message.seq != self._seq:
            return
        self._error = message.error
        self._show()
        self._schedule()

    def _schedule(self) -> None:
        interval = max(float(getattr(self.app, "refresh_s", MIN_REFRESH_S)), MIN_REFRESH_S)
        self._timer = self.set_timer(interval, self._request, name="keyword-refresh")

    def action_reread(self) -> None:
        self._asked = True
        self._request()

    @property
    def _paused(self) -> bool:
        return bool(getattr(self.app, "paused", False))

    def watch_detail(self) -> None:
        self._show()

    def _show(self) -> None:
        if not self.is_mounted:
            return
        detail = self.detail
        title = Text.assemble(
            ("keyword ", "dim"),
            (clean_text(self.word, WORD_MAX), "bold"),
            (" in ", "dim"),
            (clean_text(self.topic, 16), self._color if self._color != "default" else "bold"),
        )
        if detail is not None:
            window_total = sum(detail.counts)
            title.append(f"  {fmt.count(window_total)} in the last hour", style="dim")
        if self._paused:
            title.append("  paused · p resumes", style="bold")
        if self._error:
            title.append(f"  Redis unreachable — retrying ({clean_text(self._error, 80)})", style="red")
        self.query_one("#kw-title", Static).update(title)
        self.query_one(KeywordTrend).detail = detail
        self.query_one(KeywordTrend).refresh()
        body = self.query_one("#kw-posts-body", FeedBody)
        posts = self.query_one("#kw-posts")
        if detail is None:
            body.update(Text("reading…", style="dim"))
        elif not detail.recent:
            body.update(Text(f"none among the {detail.scanned} newest posts", style="dim"))
        else:
            posts.border_subtitle = f"{len(detail.recent)} of the {detail.scanned} newest posts"
            width = max(posts.scrollable_content_region.width, 20)
            body.update(entries_renderable(detail.recent, {self.topic: 0}, width))
