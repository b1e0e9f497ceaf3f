"""Top keywords of every topic: a table (count per word) or a word cloud.

`c` cycles the mode: `table` → `cloud` (tiered, readable anywhere) → `layout` (spatial,
computed by wordcloud's layout engine in a worker thread; tiered until it is ready or when
the panel is too small) → `table`.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Snapshot, TopicStats
from tweetwatch.tui import format as fmt
from tweetwatch.tui.cloud import Placement, fits_layout, layout_lines, spatial_layout, tiered_lines
from tweetwatch.tui.counters import topic_label
from tweetwatch.tui.palette import topic_color

TOP_N = 10
KEYWORD_MAX = 24
MODES = ("table", "cloud", "layout")
TITLES = {"table": "top keywords", "cloud": "word cloud", "layout": "word cloud · layout"}
LAYOUT_ROWS = 8
"""Rows per topic for a layout when the panel's height follows its content (wide layout)."""
CLOUD_LINES = 5
"""Word lines per topic of a tiered cloud when the panel's height follows its content."""


def topic_keywords(index: int, name: str, top: tuple[tuple[str, int], ...]) -> Table:
    table = Table(box=None, expand=True, pad_edge=False, show_header=True, header_style="bold")
    table.add_column(topic_label(name, index), no_wrap=True, overflow="ellipsis", ratio=1)
    table.add_column("n", justify="right", no_wrap=True, style="dim")
    for word, n in top[:TOP_N]:
        table.add_row(Text(clean_text(word, KEYWORD_MAX)), fmt.count(n))
    if not top:
        table.add_row(Text(fmt.DASH, style="dim"), "")
    return table


def keywords_grid(snapshot: Snapshot | None) -> RenderableType:
    """All topics' keyword tables in one row of columns."""
    if snapshot is None or not snapshot.topics:
        return Text("waiting for data…", style="dim")
    grid = Table.grid(expand=True, padding=(0, 2, 0, 0))
    for _ in snapshot.topics:
        grid.add_column(ratio=1)
    grid.add_row(*(topic_keywords(i, t.name, t.top_keywords) for i, t in enumerate(snapshot.topics)))
    return grid


def cloud_words(topic: TopicStats) -> tuple[str, ...]:
    return tuple(word for word, _n in topic.words_for_cloud)


def tiered_cloud(snapshot: Snapshot | None, width: int, height: int | None = None) -> RenderableType:
    """Every topic's tiered cloud, stacked: a coloured heading, then the words (the lightest
    words are left out when `height` rows cannot hold them all)."""
    if snapshot is None or not snapshot.topics:
        return Text("waiting for data…", style="dim")
    parts: list[RenderableType] = []
    n = len(snapshot.topics)
    budget = None if height is None else max(height // n - 1, 1)
    for index, topic in enumerate(snapshot.topics):
        parts.append(topic_label(topic.name, index).append(f"  ({fmt.count(topic.count_window)})", style="dim"))
        lines = tiered_lines(cloud_words(topic), width, topic_color(index))
        parts.extend(lines[:budget] if lines else [Text(fmt.DASH, style="dim")])
    return Group(*parts)


class KeywordsPanel(Widget, can_focus=True):
    """Renders the top keywords of every topic in `snapshot`, as a table or a cloud."""

    snapshot: reactive[Snapshot | None] = reactive(None)
    mode: reactive[str] = reactive("table")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._layouts: dict[tuple[tuple[str, ...], int, int], tuple[Placement, ...]] = {}
        self._pending: set[tuple[tuple[str, ...], int, int]] = set()

    def on_mount(self) -> None:
        self.border_title = TITLES[self.mode]

    def watch_mode(self, mode: str) -> None:
        self.border_title = TITLES[mode]
        self.border_subtitle = ""
        self.refresh(layout=True)

    def watch_snapshot(self) -> None:
        self.refresh(layout=True)

    def cycle_mode(self) -> None:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]

    # -- sizes --------------------------------------------------------------------------
    def _areas(self, width: int, height: int, n: int) -> tuple[int, int, bool]:
        """(columns, rows) of each topic's layout area, and whether they sit side by side."""
        side_by_side = n > 1 and fits_layout((width - 2 * (n - 1)) // n, height - 1)
        if side_by_side:
            return (width - 2 * (n - 1)) // n, height - 1, True
        return width, max(height // max(n, 1) - 1, 0), False

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        snapshot = self.snapshot
        if self.mode == "table" or snapshot is None or not snapshot.topics:
            return super().get_content_height(container, viewport, width)
        if self.mode == "layout":
            return (LAYOUT_ROWS + 1) * len(snapshot.topics)
        return (CLOUD_LINES + 1) * len(snapshot.topics)

    # -- rendering ----------------------------------------------------------------------
    def render(self) -> RenderableType:
        snapshot = self.snapshot
        width = max(self.content_size.width, 1)
        if self.mode == "table":
            return keywords_grid(snapshot)
        height = max(self.content_size.height, 2)
        if self.mode == "cloud" or snapshot is None or not snapshot.topics:
            return tiered_cloud(snapshot, width, height)
        cols, rows, side = self._areas(width, self.content_size.height, len(snapshot.topics))
        if not fits_layout(cols, rows):
            self._set_subtitle("too small for a layout: z zooms")
            return tiered_cloud(snapshot, width, height)
        clouds: list[list[Text]] = []
        missing = False
        for index, topic in enumerate(snapshot.topics):
            key = (cloud_words(topic), cols, rows)
            placements = self._layouts.get(key)
            if placements is None:
                missing = True
                self._request_layout(key)
                clouds.append(tiered_lines(key[0], cols, topic_color(index)))
            else:
                clouds.append(layout_lines(placements, cols, rows, topic_color(index)))
        self._set_subtitle("laying out…" if missing else "")
        headings = [topic_label(t.name, i) for i, t in enumerate(snapshot.topics)]
        if side:
            grid = Table.grid(expand=True, padding=(0, 2, 0, 0))
            for _ in clouds:
                grid.add_column(width=cols, no_wrap=True)
            grid.add_row(*headings)
            for row in range(rows):
                grid.add_row(*(lines[row] if row < len(lines) else Text() for lines in clouds))
            return grid
        parts: list[RenderableType] = []
        for heading, lines in zip(headings, clouds):
            parts.append(heading)
            parts.extend(lines[:rows])
            parts.extend(Text() for _ in range(rows - len(lines[:rows])))
        return Group(*parts)

    def _set_subtitle(self, text: str) -> None:
        """Border text decided while rendering is applied after this frame."""
        if self.border_subtitle != text:
            self.call_after_refresh(setattr, self, "border_subtitle", text)

    def _request_layout(self, key: tuple[tuple[str, ...], int, int]) -> None:
        if key in self._pending:
            return
        self._pending.add(key)
        self._compute_layout(key)

    @work(thread=True, group="cloud-layout")
    def _compute_layout(self, key: tuple[tuple[str, ...], int, int]) -> None:
        """wordcloud's engine takes ~50 ms (seconds for its first import): off the UI thread."""
        words, cols, rows = key
        placements = tuple(spatial_layout(words, cols, rows))
        self.app.call_from_thread(self._layout_ready, key, placements)

    def _layout_ready(self, key: tuple[tuple[str, ...], int, int], placements: tuple[Placement, ...]) -> None:
        self._pending.discard(key)
        if len(self._layouts) > 16:
            self._layouts.clear()
        self._layouts[key] = placements
        self.refresh()
