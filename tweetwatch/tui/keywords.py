"""Top keywords of every topic: a table (count per word) or a word cloud.

`c` cycles the mode: `table` → `cloud` (tiered, readable anywhere) → `layout` (spatial,
computed by wordcloud's layout engine in a worker thread; tiered until it is ready or when
the panel is too small) → `table`.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.events import Click
from textual.geometry import Size
from textual.reactive import reactive

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Snapshot, TopicStats
from tweetwatch.tui import columns
from tweetwatch.tui import format as fmt
from tweetwatch.tui.cloud import Placement, fits_layout, layout_lines, spatial_layout, tiered_lines
from tweetwatch.tui.counters import topic_label
from tweetwatch.tui.messages import KeywordClicked
from tweetwatch.tui.palette import topic_color

TOP_N = 10
GAP = 2
"""Spaces between topics in the table."""
MIN_BLOCK = 13
"""The narrowest topic block of the table (a 9-character word, a gap, a 3-digit count):
topics that would make the blocks narrower are left out, and the border says how many
(five topics in the 32 columns of an 80x24 dashboard read `b… 48  t… 48  a… 4`)."""
JUSTIFY = ("left", "right")
KEYWORD_MAX = 24
MODES = ("table", "cloud", "layout")
TITLES = {"table": "top keywords", "cloud": "word cloud", "layout": "word cloud · layout"}
LAYOUT_ROWS = 8
"""Rows per topic for a layout when the panel's height follows its content (wide layout)."""
CLOUD_LINES = 5
"""Word lines per topic of a tiered cloud when the panel's height follows its content."""


def keywords_grid(snapshot: Snapshot | None, width: int = 80, first: int = 0) -> list[Text]:
    """The top keywords of the topics that fit (`visible_topics`) side by side in `width`
    cells: per topic a heading in its colour and `n`, then one line per word with its count
    (dim, right-aligned)."""
    if snapshot is None or not snapshot.topics:
        return [Text("waiting for data…", style="dim")]
    topics = visible_topics(snapshot, width, first)
    widths = block_widths(len(topics), width)
    blocks: list[list[Text]] = []
    for slot, (index, topic) in enumerate(topics):
        top = topic.top_keywords[:TOP_N]
        bw = widths[slot]
        counts = [fmt.count(c) for _w, c in top]
        cw = max([1, *map(len, counts)])
        ww = max(bw - cw - 1, 1)
        heading = topic_label(topic.name, index)
        heading.stylize("bold")
        lines = [columns.row([heading, Text("n", style="bold")], (ww, cw), JUSTIFY, gap=1)]
        lines += [columns.row([Text(clean_text(word, KEYWORD_MAX)), Text(c, style="dim")], (ww, cw), JUSTIFY, gap=1)
                  for (word, _n), c in zip(top, counts)]
        if not top:
            lines.append(columns.row([Text(fmt.DASH, style="dim"), ""], (ww, cw), JUSTIFY, gap=1))
        blocks.append(lines)
    height = max(len(lines) for lines in blocks)
    out: list[Text] = []
    for y in range(height):
        line = Text(no_wrap=True, overflow="crop")
        out.append(line)
        for index, lines in enumerate(blocks):
            if index:
                line.append(" " * GAP)
            line.append_text(lines[y] if y < len(lines) else Text(" " * widths[index]))
    return out


def visible_topics(snapshot: Snapshot, width: int, first: int = 0) -> list[tuple[int, TopicStats]]:
    """(index, topic) of the topics the table shows: all when they fit, else as many as fit
    from the `first` on, wrapping around (`[` and `]` move it)."""
    n = len(snapshot.topics)
    return [(i % n, snapshot.topics[i % n]) for i in range(first, first + shown_topics(n, width))]


def shown_topics(topics: int, width: int) -> int:
    """How many of `topics` the table shows side by side in `width` cells (the first ones,
    in configured order; at least one)."""
    return max(1, min(topics, (width + GAP) // (MIN_BLOCK + GAP)))


def block_widths(topics: int, width: int) -> list[int]:
    """Widths of the topics' side-by-side blocks in a `width`-cell table (GAP apart)."""
    block, extra = divmod(max(width - GAP * (topics - 1), topics), topics)
    return [block + (1 if index < extra else 0) for index in range(topics)]


def keyword_at(snapshot: Snapshot | None, width: int, x: int, y: int, first: int = 0) -> tuple[str, str] | None:
    """(topic, word) shown at cell (x, y) of `keywords_grid(snapshot, width, first)`, if any."""
    if snapshot is None or not snapshot.topics or y < 1:
        return None
    left = 0
    topics = [topic for _index, topic in visible_topics(snapshot, width, first)]
    for topic, block in zip(topics, block_widths(len(topics), width)):
        if left <= x < left + block:
            top = topic.top_keywords[:TOP_N]
            return (topic.name, top[y - 1][0]) if y - 1 < len(top) else None
        left += block + GAP
    return None


def table_height(snapshot: Snapshot | None) -> int:
    if snapshot is None or not snapshot.topics:
        return 1
    return 1 + max(max(len(t.top_keywords[:TOP_N]), 1) for t in snapshot.topics)


def cloud_words(topic: TopicStats) -> tuple[str, ...]:
    return tuple(word for word, _n in topic.words_for_cloud)


def tiered_cloud(snapshot: Snapshot | None, width: int, height: int | None = None) -> list[Text]:
    """Every topic's tiered cloud, stacked: a coloured heading, then the words (the lightest
    words are left out when `height` rows cannot hold them all)."""
    if snapshot is None or not snapshot.topics:
        return [Text("waiting for data…", style="dim")]
    parts: list[Text] = []
    n = len(snapshot.topics)
    budget = None if height is None else max(height // n - 1, 1)
    for index, topic in enumerate(snapshot.topics):
        parts.append(topic_label(topic.name, index).append(f"  ({fmt.count(topic.count_window)})", style="dim"))
        lines = tiered_lines(cloud_words(topic), width, topic_color(index))
        parts.extend(lines[:budget] if lines else [Text(fmt.DASH, style="dim")])
    return parts


class KeywordsPanel(columns.TextLines, can_focus=True):
    """Renders the top keywords of every topic in `snapshot`, as a table or a cloud."""

    snapshot: reactive[Snapshot | None] = reactive(None, repaint=False)  # repaints what changed itself
    mode: reactive[str] = reactive("table")
    first: reactive[int] = reactive(0)
    """The topic the table starts at when not all fit (`[` and `]`)."""

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

    def watch_snapshot(self, old: Snapshot | None, new: Snapshot | None) -> None:
        # Counts change every refresh; the panel's height only with the number of words
        # (table) or topics (clouds), and only then do the panels around it move.
        self.refresh_lines(layout=self._height_of(old) != self._height_of(new))

    def cycle_mode(self) -> None:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]

    def shift_topics(self, step: int) -> None:
        """Show the next (`step` 1) or previous (-1) topic's block when not all fit."""
        topics = len(self.snapshot.topics) if self.snapshot is not None else 0
        if topics > shown_topics(topics, self.content_size.width):
            self.first = (self.first + step) % topics

    def on_click(self, event: Click) -> None:
        """A click on a word of the table opens its drill-down (as `k` and the picker do)."""
        if self.mode != "table":
            return
        offset = event.get_content_offset(self)
        if offset is None:
            return
        choice = keyword_at(self.snapshot, self.content_size.width, offset.x, offset.y, self.first)
        if choice is not None:
            self.post_message(KeywordClicked(*choice))

    # -- sizes --------------------------------------------------------------------------
    def _areas(self, width: int, height: int, n: int) -> tuple[int, int, bool]:
        """(columns, rows) of each topic's layout area, and whether they sit side by side."""
        side_by_side = n > 1 and fits_layout((width - 2 * (n - 1)) // n, height - 1)
        if side_by_side:
            return (width - 2 * (n - 1)) // n, height - 1, True
        return width, max(height // max(n, 1) - 1, 0), False

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._height_of(self.snapshot)

    def _height_of(self, snapshot: Snapshot | None) -> int:
        """Rows the content needs when the panel's height follows it (wide layout)."""
        if self.mode == "table" or snapshot is None or not snapshot.topics:
            return table_height(snapshot)
        if self.mode == "layout":
            return (LAYOUT_ROWS + 1) * len(snapshot.topics)
        return (CLOUD_LINES + 1) * len(snapshot.topics)

    # -- rendering ----------------------------------------------------------------------
    def content_lines(self, width: int, height: int) -> list[Text]:
        snapshot = self.snapshot
        if self.mode == "table":
            lines = keywords_grid(snapshot, width, self.first)
            hidden = len(snapshot.topics) - shown_topics(len(snapshot.topics), width) if snapshot else 0
            cut = len(lines) - height  # keyword rows below the panel's last (60x20: 7 of 10 shown)
            hints = [f"+{hidden} topic{'s' if hidden > 1 else ''}: [ ]"] if hidden > 0 else []
            if cut > 0:
                hints.append(f"+{cut} row{'s' if cut > 1 else ''}")
            self._set_subtitle(f"{' · '.join(hints)} or z" if hints else "")
            return lines
        content_height = height
        height = max(height, 2)
        if self.mode == "cloud" or snapshot is None or not snapshot.topics:
            return tiered_cloud(snapshot, width, height)
        cols, rows, side = self._areas(width, content_height, len(snapshot.topics))
        if not fits_layout(cols, rows):
            self._set_subtitle("too small: z zooms")
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
            widths = [cols] * len(clouds)
            justify = [columns.LEFT] * len(clouds)
            out = [columns.row(headings, widths, justify, gap=GAP)]
            for row in range(rows):
                out.append(columns.row([lines[row] if row < len(lines) else "" for lines in clouds],
                                       widths, justify, gap=GAP))
            return out
        parts: list[Text] = []
        for heading, lines in zip(headings, clouds):
            parts.append(heading)
            parts.extend(lines[:rows])
            parts.extend(Text() for _ in range(rows - len(lines[:rows])))
        return parts

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
