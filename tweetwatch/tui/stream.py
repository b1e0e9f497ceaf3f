"""Stream panel: what the window's posts are like.

Shares of retweets, quotes, replies and posts with links; sentiment per topic (VADER mean
compound and positive / neutral / negative shares); top languages, hashtags and mentions.
All figures cover the whole minutes that overlap the window (the per-minute `tally`, `ht`
and `mn` buckets).
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Snapshot
from tweetwatch.tui import format as fmt
from tweetwatch.tui.counters import mood_text, topic_label

NAME_MAX = 18
SHARES = (("retweets", "RT"), ("quotes", "quote"), ("replies", "reply"), ("links", "link"))


def percent(share: float | None) -> str:
    return fmt.DASH if share is None else f"{share * 100:.0f}%"


def shares_line(snapshot: Snapshot) -> Text:
    mix = snapshot.mix
    text = Text()
    for kind, label in SHARES:
        if text.plain:
            text.append("  ")
        text.append(f"{label} ", style="dim")
        text.append(percent(mix.share(kind)), style="bold")
    return text


def sentiment_table(snapshot: Snapshot) -> Table:
    table = Table(box=None, expand=True, pad_edge=False, header_style="bold", padding=(0, 1, 0, 0))
    table.add_column("sentiment", no_wrap=True, overflow="ellipsis", ratio=2)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("pos", justify="right", no_wrap=True)
    table.add_column("neu", justify="right", no_wrap=True)
    table.add_column("neg", justify="right", no_wrap=True)
    rows = [(Text("all", style="bold"), snapshot.sentiment)]
    rows += [(topic_label(t.name, i), t.sentiment) for i, t in enumerate(snapshot.topics)]
    for label, mood in rows:
        shares = mood.shares() if mood is not None else None
        pos, neu, neg = shares if shares is not None else (None, None, None)
        table.add_row(label, mood_text(mood), percent(pos), percent(neu), percent(neg))
    return table


def top_lists(snapshot: Snapshot) -> Table:
    mix = snapshot.mix
    grid = Table(box=None, expand=True, pad_edge=False, header_style="bold", padding=(0, 1, 0, 0))
    grid.add_column("lang", no_wrap=True, overflow="ellipsis", ratio=2)
    grid.add_column("", justify="right", no_wrap=True, style="dim")
    grid.add_column("#tag", no_wrap=True, overflow="ellipsis", ratio=4)
    grid.add_column("", justify="right", no_wrap=True, style="dim")
    grid.add_column("@mention", no_wrap=True, overflow="ellipsis", ratio=4)
    grid.add_column("", justify="right", no_wrap=True, style="dim")
    total_langs = sum(n for _c, n in mix.languages) or 1
    for i in range(max(len(mix.languages), len(mix.hashtags), len(mix.mentions), 1)):
        cells: list[Text | str] = []
        if i < len(mix.languages):
            code, n = mix.languages[i]
            cells += [Text(clean_text(code, 8)), f"{n * 100 / total_langs:.0f}%"]
        else:
            cells += ["", ""]
        for items in (mix.hashtags, mix.mentions):
            if i < len(items):
                name, n = items[i]
                cells += [Text(clean_text(name, NAME_MAX)), fmt.count(n)]
            else:
                cells += [Text(fmt.DASH, style="dim") if i == 0 else "", ""]
        grid.add_row(*cells)
    return grid


def stream_renderable(snapshot: Snapshot | None) -> RenderableType:
    if snapshot is None:
        return Text("waiting for data…", style="dim")
    return Group(shares_line(snapshot), sentiment_table(snapshot), top_lists(snapshot))


class StreamPanel(Static):
    snapshot: reactive[Snapshot | None] = reactive(None)

    def on_mount(self) -> None:
        self.border_title = "stream mix"
        self.update(stream_renderable(self.snapshot))

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None:
            self.border_title = f"stream mix · {fmt.window_label(snapshot.window_s)}"
            self.border_subtitle = f"{fmt.count(snapshot.mix.tweets)} posts"
        self.update(stream_renderable(snapshot))
