"""Counter table: totals, per-topic counts, rates, unique authors and the topic ratio."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Sentiment, Snapshot
from tweetwatch.tui import columns
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


HEADERS = ("topic", "total", "window", "/s", "authors", "mood")
JUSTIFY = ("left", "right", "right", "right", "right", "right")
TOPIC_MIN = 8


def counters_rows(snapshot: Snapshot) -> list[list[Text | str]]:
    """Header, `all`, one row per topic, then the ratio of the first two topics."""
    rows: list[list[Text | str]] = [[Text(h, style="bold") for h in HEADERS]]
    rows.append([
        Text("all", style="bold"),
        fmt.count(snapshot.total),
        fmt.count(snapshot.total_window),
        fmt.rate(snapshot.rate_per_s),
        fmt.DASH,
        mood_text(snapshot.sentiment),
    ])
    for index, topic in enumerate(snapshot.topics):
        rows.append([
            topic_label(topic.name, index),
            fmt.count(topic.count_total),
            fmt.count(topic.count_window),
            fmt.rate(topic.rate_per_s),
            fmt.count(topic.unique_authors),
            mood_text(topic.sentiment),
        ])
    if len(snapshot.topics) >= 2:
        a, b = snapshot.topics[0], snapshot.topics[1]
        label = Text.assemble(topic_label(a.name), ":", topic_label(b.name), style="italic")
        rows.append([label, fmt.ratio(a.count_total, b.count_total),
                     fmt.ratio(a.count_window, b.count_window), "", "", ""])
    return rows


def counters_lines(snapshot: Snapshot | None, width: int) -> list[Text]:
    """The counter table as one line per row in `width` cells, or a placeholder."""
    if snapshot is None:
        return [Text("waiting for data…", style="dim")]
    rows = counters_rows(snapshot)
    widths = columns.widths_for(rows, total=width, flex=0, flex_min=TOPIC_MIN)
    return [columns.row(r, widths, JUSTIFY) for r in rows]


def counters_table(snapshot: Snapshot | None, width: int = 78) -> Text:
    """`counters_lines` as one Text."""
    return Text("\n", no_wrap=True, overflow="crop").join(counters_lines(snapshot, width))


class CountersPanel(columns.TextLines):
    """Renders `snapshot` (bound to the app's displayed snapshot) as a counter table."""

    snapshot: reactive[Snapshot | None] = reactive(None, repaint=False)  # repaints what changed itself

    def on_mount(self) -> None:
        self.border_title = "counters"

    def watch_snapshot(self, old: Snapshot | None, new: Snapshot | None) -> None:
        # Only a different number of rows moves the panels below.
        self.refresh_lines(layout=_row_count(old) != _row_count(new))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return _row_count(self.snapshot)

    def content_lines(self, width: int, height: int) -> list[Text]:
        return counters_lines(self.snapshot, width)


def _row_count(snapshot: Snapshot | None) -> int:
    if snapshot is None:
        return 1
    return 2 + len(snapshot.topics) + (1 if len(snapshot.topics) >= 2 else 0)
