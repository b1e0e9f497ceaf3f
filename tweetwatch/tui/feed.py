"""Live feed: the newest posts from the capped `latest` stream (time, author, topics, text).

Newest first. While the dashboard is paused the feed is frozen and can be scrolled (focus it
with tab, then arrows / page keys, or the mouse wheel); on new data it jumps back to the top.
Every field is network text: sanitized, and rendered as `Text`, never markup.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import FeedEntry, Snapshot
from tweetwatch.tui.palette import topic_color

AUTHOR_MAX = 16
TEXT_MAX = 400
ONE_LINE_WIDTH = 90
"""At this content width and up each post takes one line; below, two (meta, then text)."""
RT_MARK = "RT"


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


def feed_renderable(snapshot: Snapshot | None, width: int) -> RenderableType:
    if snapshot is None:
        return Text("waiting for data…", style="dim")
    if not snapshot.feed:
        return Text("no posts yet", style="dim")
    order = {t.name: i for i, t in enumerate(snapshot.topics)}
    return entries_renderable(snapshot.feed, order, width)


def entries_renderable(entries: tuple[FeedEntry, ...], order: dict[str, int], width: int) -> RenderableType:
    """Posts as one line each (wide) or two lines each (narrow), newest first as given."""
    if width >= ONE_LINE_WIDTH:
        table = Table(box=None, expand=True, show_header=False, pad_edge=False, padding=(0, 1, 0, 0))
        table.add_column(no_wrap=True, style="dim")
        table.add_column(no_wrap=True, max_width=AUTHOR_MAX + 1, overflow="ellipsis")
        table.add_column(no_wrap=True, max_width=20, overflow="ellipsis")
        table.add_column(no_wrap=True, width=2)
        table.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        for entry in entries:
            table.add_row(
                entry_time(entry),
                Text("@" + clean_text(entry.author, AUTHOR_MAX), style="bold"),
                topic_tags(entry, order),
                Text(RT_MARK, style="yellow") if entry.is_retweet else "",
                Text(clean_text(entry.text, TEXT_MAX)),
            )
        return table
    rows: list[RenderableType] = []
    for entry in entries:
        meta = Text.assemble(
            (entry_time(entry), "dim"), " ", ("@" + clean_text(entry.author, AUTHOR_MAX), "bold"), " "
        )
        meta.append_text(topic_tags(entry, order))
        if entry.is_retweet:
            meta.append(" " + RT_MARK, style="yellow")
        meta.truncate(width, overflow="ellipsis")
        body = Text("  " + clean_text(entry.text, TEXT_MAX), no_wrap=True, overflow="ellipsis")
        body.truncate(width, overflow="ellipsis")
        rows.extend((meta, body))
    return Group(*rows)


class FeedBody(Static):
    """The feed's content; its parent scrolls."""


class FeedPanel(VerticalScroll, can_focus=True):
    snapshot: reactive[Snapshot | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield FeedBody(id="feed-body")

    def on_mount(self) -> None:
        self.border_title = "latest posts"
        self._redraw()

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self._redraw()
        self.scroll_home(animate=False)

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if not self.is_mounted:
            return
        width = max(self.scrollable_content_region.width, 20)
        self.query_one(FeedBody).update(feed_renderable(self.snapshot, width))
        count = 0 if self.snapshot is None else len(self.snapshot.feed)
        self.border_subtitle = f"{count} newest" if count else ""
