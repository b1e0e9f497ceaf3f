"""Stream panel: what the window's posts are like.

Shares of retweets, quotes, replies and posts with links; sentiment per topic (VADER mean
compound and positive / neutral / negative shares); top languages, hashtags and mentions.
All figures cover the whole minutes that overlap the window (the per-minute `tally`, `ht`
and `mn` buckets).
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Snapshot
from tweetwatch.tui import columns
from tweetwatch.tui import format as fmt
from tweetwatch.tui.counters import mood_text, topic_label

NAME_MAX = 18
SHARES = (("retweets", "RT"), ("quotes", "quote"), ("replies", "reply"), ("links", "link"))


def percent(share: float | None) -> str:
    """`41%`; a share that is there but rounds to nothing is `<1%`, not `0%`."""
    if share is None:
        return fmt.DASH
    shown = f"{share * 100:.0f}"
    return "<1%" if shown == "0" and share > 0 else f"{shown}%"


def posts_text(snapshot: Snapshot) -> Text:
    posts = Text()
    posts.append(fmt.count(snapshot.mix.tweets), style="bold")
    posts.append(" posts", style="dim")
    return posts


def posts_fit(snapshot: Snapshot, width: int) -> bool:
    """Whether the window's post count fits before the shares in the first row. Where it does
    not (80 columns), it goes in the border instead of taking a row from the top lists."""
    return _fits(posts_text(snapshot), shares_line(snapshot), width)


def _fits(posts: Text, shares: Text, width: int) -> bool:
    return posts.cell_len + 2 + shares.cell_len <= width


def head_line(snapshot: Snapshot, width: int) -> Text:
    """The share of each kind of post, after the window's post count when that fits."""
    posts, shares = posts_text(snapshot), shares_line(snapshot)
    return Text.assemble(posts, "  ", shares) if _fits(posts, shares, width) else shares


def shares_line(snapshot: Snapshot) -> Text:
    mix = snapshot.mix
    text = Text()
    for kind, label in SHARES:
        if text.plain:
            text.append("  ")
        text.append(f"{label} ", style="dim")
        text.append(percent(mix.share(kind)), style="bold")
    return text


SENTIMENT_JUSTIFY = ("left", "right", "right", "right", "right")
TOPS_JUSTIFY = ("left", "right", "left", "right", "left", "right")


def sentiment_lines(snapshot: Snapshot, width: int) -> list[Text]:
    rows: list[list[Text | str]] = [[Text(h, style="bold") for h in ("sentiment", "mean", "pos", "neu", "neg")]]
    moods = [(Text("all", style="bold"), snapshot.sentiment)]
    moods += [(topic_label(t.name, i), t.sentiment) for i, t in enumerate(snapshot.topics)]
    for label, mood in moods:
        shares = mood.shares() if mood is not None else None
        pos, neu, neg = shares if shares is not None else (None, None, None)
        rows.append([label, mood_text(mood), percent(pos), percent(neu), percent(neg)])
    widths = columns.widths_for(rows, total=width, flex=0, flex_min=6, gap=1, weights=(1, 0, 0, 0, 0))
    return [columns.row(r, widths, SENTIMENT_JUSTIFY, gap=1) for r in rows]


def top_lines(snapshot: Snapshot, width: int) -> list[Text]:
    """Top languages (share), hashtags and mentions (count), side by side."""
    mix = snapshot.mix
    bold = "bold"
    rows: list[list[Text | str]] = [[Text("lang", style=bold), "", Text("#tag", style=bold), "",
                                     Text("@mention", style=bold), ""]]
    total_langs = sum(n for _c, n in mix.languages) or 1
    for i in range(max(len(mix.languages), len(mix.hashtags), len(mix.mentions), 1)):
        cells: list[Text | str] = []
        if i < len(mix.languages):
            code, n = mix.languages[i]
            cells += [Text(clean_text(code, 8)), Text(percent(n / total_langs), style="dim")]
        else:
            cells += ["", ""]
        for items in (mix.hashtags, mix.mentions):
            if i < len(items):
                name, n = items[i]
                cells += [Text(clean_text(name, NAME_MAX)), Text(fmt.count(n), style="dim")]
            else:
                cells += [Text(fmt.DASH, style="dim") if i == 0 else "", ""]
        rows.append(cells)
    widths = columns.widths_for(rows, total=width, flex=(0, 2, 4), flex_min=4, gap=1, weights=(2, 0, 4, 0, 4, 0))
    return [columns.row(r, widths, TOPS_JUSTIFY, gap=1) for r in rows]


def stream_lines(snapshot: Snapshot | None, width: int) -> list[Text]:
    if snapshot is None:
        return [Text("waiting for data…", style="dim")]
    return [head_line(snapshot, width), *sentiment_lines(snapshot, width), *top_lines(snapshot, width)]


class StreamPanel(columns.TextLines):
    """Built when drawn, so while another view is shown it costs nothing per refresh."""

    snapshot: reactive[Snapshot | None] = reactive(None, repaint=False)  # repaints what changed itself

    def on_mount(self) -> None:
        self.border_title = "stream mix"

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self._set_border_text()
        self.refresh_lines()

    def on_resize(self) -> None:
        self._set_border_text()

    def _set_border_text(self) -> None:
        """The window in the title; the post count in the subtitle only where the first row
        has no room for it. It moves with every read of a live stream, and Textual repaints
        a whole widget when its border text changes: in the row, only that row is resent."""
        snapshot = self.snapshot
        if snapshot is None:
            return
        in_row = posts_fit(snapshot, self.content_size.width)
        columns.set_border_text(self, title=f"stream mix · {fmt.window_label(snapshot.window_s)}",
                                subtitle="" if in_row else posts_text(snapshot).plain)

    def content_lines(self, width: int, height: int) -> list[Text]:
        return stream_lines(self.snapshot, width)
