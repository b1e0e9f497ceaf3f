"""Live feed: the newest posts from the capped `latest` stream (time, author, topics, text).

Newest first. While the dashboard is paused the feed is frozen and can be scrolled (focus it
with tab, then arrows / page keys, or the mouse wheel); on new data it jumps back to the top.
Every field is network text: sanitized, and rendered as `Text`, never markup.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.reactive import reactive
from textual.widgets import Static

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import FeedEntry, Snapshot
from tweetwatch.tui import columns
from tweetwatch.tui.palette import topic_color

AUTHOR_MAX = 16
TEXT_MAX = 400
ONE_LINE_WIDTH = 90
"""At this content width and up each post takes one line; below, two (meta, then text)."""
RT_MARK = "RT"
TIME_W = 8
RT_W = 2
TOPICS_MAX = 20
WIDE_JUSTIFY = ("left", "left", "left", "left", "left")


def entry_time(entry: FeedEntry) -> str:
    return datetime.fromtimestamp(entry.created_ms / 1000, UTC).strftime("%H:%M:%S")


def topic_tags(entry: FeedEntry, order: dict[str, int]) -> Text:
    text = Text()
    for name in entry.topics:
        if text.plain:
            text.append(",", style="dim")
        index = order.get(name)
        text.append(clean_text(name, 12), style=topic_color(index) if index is not None else "dim")
    return text


def post_text(entry: FeedEntry) -> str:
    """The post's text as shown: the three entities X escapes (`&amp;`, `&lt;`, `&gt;`, in
    v1.1 and v2 alike) as characters, a retweet's `RT ` prefix dropped (the RT column says
    it), then cleaned for the terminal."""
    text = entry.text
    if entry.is_retweet and text.startswith("RT "):
        text = text[3:]
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return clean_text(text, TEXT_MAX)


@lru_cache(maxsize=512)
def _entry_cells(entry: FeedEntry, order: tuple[tuple[str, int], ...]) -> tuple[Text, Text, Text, Text | str, Text]:
    """A post's cells for the one-line layout, sanitized once per post (posts are immutable,
    and a refresh mostly shows the posts of the one before). Callers must not modify them."""
    return (
        Text(entry_time(entry), style="dim"),
        Text("@" + clean_text(entry.author, AUTHOR_MAX), style="bold"),
        topic_tags(entry, dict(order)),
        Text(RT_MARK, style="yellow") if entry.is_retweet else "",
        Text(post_text(entry)),
    )


@lru_cache(maxsize=512)
def _entry_line(entry: FeedEntry, order: tuple[tuple[str, int], ...], widths: tuple[int, ...]) -> Text:
    """A post's line at these column widths: a refresh only lays out the posts that are new
    (or all of them when a column's width changes). Callers must not modify it."""
    return columns.row(_entry_cells(entry, order), widths, WIDE_JUSTIFY, gap=1)


def feed_lines(snapshot: Snapshot | None, width: int) -> list[Text]:
    if snapshot is None:
        return [Text("waiting for data…", style="dim")]
    if not snapshot.feed:
        return [Text("no posts yet", style="dim")]
    order = {t.name: i for i, t in enumerate(snapshot.topics)}
    return entries_lines(snapshot.feed, order, width)


def entries_renderable(entries: tuple[FeedEntry, ...], order: dict[str, int], width: int) -> Text:
    """`entries_lines` as one Text."""
    return Text("\n", no_wrap=True, overflow="crop").join(entries_lines(entries, order, width))


def entries_lines(entries: tuple[FeedEntry, ...], order: dict[str, int], width: int) -> list[Text]:
    """Posts as one line each (wide) or two lines each (narrow), newest first as given.

    Laid out by hand (see `columns.py`): a line per row, cut with an ellipsis.
    """
    lines: list[Text] = []
    if width >= ONE_LINE_WIDTH:
        order_key = tuple(sorted(order.items()))
        cells = [_entry_cells(e, order_key) for e in entries]
        author_w = min(max((c[1].cell_len for c in cells), default=1), AUTHOR_MAX + 1)
        tags_w = min(max((c[2].cell_len for c in cells), default=1), TOPICS_MAX)
        text_w = max(width - TIME_W - author_w - tags_w - RT_W - 4, 1)
        widths = (TIME_W, author_w, tags_w, RT_W, text_w)
        lines = [_entry_line(e, order_key, widths) for e in entries]
    else:
        for entry in entries:
            meta = Text.assemble(
                (entry_time(entry), "dim"), " ", ("@" + clean_text(entry.author, AUTHOR_MAX), "bold"), " "
            )
            meta.append_text(topic_tags(entry, order))
            if entry.is_retweet:
                meta.append(" " + RT_MARK, style="yellow")
            meta.truncate(width, overflow="ellipsis")
            body = Text("  " + post_text(entry))
            body.truncate(width, overflow="ellipsis")
            lines.extend((meta, body))
    return lines


def lines_per_entry(width: int) -> int:
    return 1 if width >= ONE_LINE_WIDTH else 2


class FeedBody(Static):
    """Posts put in by the caller (the drill-down view); its parent scrolls. Lines are laid
    out to the parent's width; one that is a little wider (a scrollbar appeared) is cut,
    not wrapped onto a line of its own."""

    DEFAULT_CSS = """
    FeedBody { text-wrap: nowrap; text-overflow: ellipsis; }
    """


class FeedList(columns.TextLines):
    """The live feed's content; its parent scrolls. Built when drawn, so a hidden feed
    costs nothing per refresh, and its height is known without rendering it."""

    DEFAULT_CSS = """
    FeedList { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: Snapshot | None = None

    def show(self, snapshot: Snapshot | None) -> None:
        old = self.snapshot
        self.snapshot = snapshot
        self.refresh_lines(layout=_entry_count(old) != _entry_count(snapshot))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        n = _entry_count(self.snapshot)
        return n * lines_per_entry(width) if n else 1

    def content_lines(self, width: int, height: int) -> list[Text]:
        return feed_lines(self.snapshot, max(width, 20))


def _entry_count(snapshot: Snapshot | None) -> int:
    return 0 if snapshot is None else len(snapshot.feed)


class FeedPanel(VerticalScroll, can_focus=True):
    ALLOW_MAXIMIZE = True  # `z` zooms it when focused (a container's default is not to)
    snapshot: reactive[Snapshot | None] = reactive(None, repaint=False)  # its list repaints what changed

    def compose(self) -> ComposeResult:
        yield FeedList(id="feed-body")

    def on_mount(self) -> None:
        self.border_title = "latest posts"
        self._redraw()

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self._redraw()
        if self.scroll_y:
            self.scroll_home(animate=False)

    def _redraw(self) -> None:
        if not self.is_mounted:
            return
        self.query_one(FeedList).show(self.snapshot)
        count = _entry_count(self.snapshot)
        columns.set_border_text(self, subtitle=f"{count} newest" if count else "")
