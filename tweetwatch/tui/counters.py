"""Counter table: totals, per-topic counts, rates, unique authors and the topic ratio."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Sentiment, Snapshot
from tweetwatch.tui import format as fmt
from tweetwatch.tui.palette import topic_color

TOPIC_NAME_MAX = 18


def mood_text(sentiment: Sentiment | None) -> Text:
    """Mean VADER compound: `+0.12` green, `-0.30` red, near zero plain; `—` when not scored."""
    if sentiment is None or sentiment.mean is None:
        return Text(fmt.DASH, style="dim")
    mean = sentiment.mean
    style = "green" if mean >= 0.05 else "red" if mean <= -0.05 else ""
    return Text(f"{mean:+.2f}", style=style)


def topic_label(name: str, index: int | None = None) -> Text:
    """A topic name as plain, sanitized text (never markup), in its chart colour if indexed."""
    style = "" if index is None else topic_color(index)
    return Text(clean_text(name, TOPIC_NAME_MAX), style=style)


def counters_table(snapshot: Snapshot | None) -> RenderableType:
    """Build the counter table, or a placeholder before the first snapshot."""
    if snapshot is None:
        return Text("waiting for data…", style="dim")
    table = Table(expand=True, box=None, pad_edge=False, header_style="bold")
    table.add_column("topic", no_wrap=True, ratio=3, min_width=12)
    table.add_column("total", justify="right", no_wrap=True, ratio=2)
    table.add_column("window", justify="right", no_wrap=True, ratio=2)
    table.add_column("/s", justify="right", no_wrap=True, ratio=1)
    table.add_column("authors", justify="right", no_wrap=True, ratio=2)
    table.add_column("mood", justify="right", no_wrap=True, ratio=1)
    table.add_row(
        Text("all", style="bold"),
        fmt.count(snapshot.total),
        fmt.count(snapshot.total_window),
        fmt.rate(snapshot.rate_per_s),
        fmt.DASH,
        mood_text(snapshot.sentiment),
    )
    for index, topic in enumerate(snapshot.topics):
        table.add_row(
            topic_label(topic.name, index),
            fmt.count(topic.count_total),
            fmt.count(topic.count_window),
            fmt.rate(topic.rate_per_s),
            fmt.count(topic.unique_authors),
            mood_text(topic.sentiment),
        )
    if len(snapshot.topics) >= 2:
        a, b = snapshot.topics[0], snapshot.topics[1]
        label = Text.assemble(topic_label(a.name), ":", topic_label(b.name), style="italic")
        table.add_row(
            label,
            fmt.ratio(a.count_total, b.count_total),
            fmt.ratio(a.count_window, b.count_window),
            "",
            "",
            "",
        )
    return table


class CountersPanel(Static):
    """Renders `snapshot` (bound to the app's displayed snapshot) as a counter table."""

    snapshot: reactive[Snapshot | None] = reactive(None)

    def on_mount(self) -> None:
        self.border_title = "counters"
        self.update(counters_table(self.snapshot))

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self.update(counters_table(snapshot))
