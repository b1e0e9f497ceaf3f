"""Top-10 keyword panel: one small table per topic, side by side."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Snapshot
from tweetwatch.tui import format as fmt
from tweetwatch.tui.counters import topic_label

TOP_N = 10
KEYWORD_MAX = 24


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


class KeywordsPanel(Static):
    """Renders the top keywords of every topic in `snapshot`."""

    snapshot: reactive[Snapshot | None] = reactive(None)

    def on_mount(self) -> None:
        self.border_title = "top keywords"
        self.update(keywords_grid(self.snapshot))

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self.update(keywords_grid(snapshot))
