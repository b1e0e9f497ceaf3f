"""Status bar: where the data comes from, how fresh it is, and how the dashboard is set.

The left part describes the data (source, DEMO badge, Redis link, rejected count,
collector status); the right part the clock and the dashboard's own settings (lag,
window, refresh interval, PAUSED). Two fixed lines, so the layout never jumps as the text changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Snapshot
from tweetwatch.tui import columns
from tweetwatch.tui import format as fmt

SEPARATOR = " │ "
SOURCE_MAX = 16
COLLECTOR_STATUS_MAX = 40
COLLECTOR_DETAIL_MAX = 160
ERROR_MAX = 120
SILENT_AFTER_S = 10.0
"""A collector publishes its status every 2 s: one not heard from for this long is gone
(killed, its host or its link to Redis down) even if its last word was `reading`."""


@dataclass(frozen=True)
class LinkState:
    """The reader's latest outcome, kept apart from the displayed (maybe paused) snapshot."""

    connected: bool | None = None
    """None before the first read has finished."""
    round_trip_ms: float = 0.0
    lag_s: float | None = None
    error: str = ""
    collector_age_s: float | None = None
    """From the newest read, even when the snapshot on screen is older (unchanged data is not
    put on screen again, and a killed collector changes nothing but this)."""


def _join(parts: list[Text]) -> Text:
    return Text(SEPARATOR, style="dim").join(p for p in parts if p.plain)


def link_text(link: LinkState) -> Text:
    if link.connected is None:
        return Text("Redis connecting…", style="dim")
    if not link.connected:
        text = Text("Redis unreachable — retrying", style="bold red")
        if link.error:
            text.append(f" ({clean_text(link.error, ERROR_MAX)})", style="red")
        return text
    return Text.assemble(("Redis ", ""), ("●", "green"), f" {link.round_trip_ms:.1f}ms")


def collector_text(snapshot: Snapshot, age: float | None = None) -> tuple[Text, bool]:
    """What the collector is doing, its state first, and whether that is a warning: a
    stopped or silent collector, or none at all, leaves the numbers frozen on screen. `age`:
    seconds since its last status as of the newest read (default: as of `snapshot`'s)."""
    if snapshot.collector_seen_at is None:
        if snapshot.collector_status:  # a collector from before `state` was published
            return Text(clean_text(snapshot.collector_status, COLLECTOR_STATUS_MAX), style="dim"), False
        return Text("no collector has written here", style="bold yellow"), True
    if age is None:
        age = snapshot.collector_age_s or 0.0
    state = clean_text(snapshot.collector_state, COLLECTOR_STATUS_MAX) or "running"
    if state == "stopped":  # what it did last (`resumed: N lines counted before skipped`) after it
        stopped = Text(f"collector stopped {fmt.human_duration(age)} ago", style="bold yellow")
        return _with_detail(stopped, snapshot), True
    if age > SILENT_AFTER_S:
        return Text(f"collector silent for {fmt.human_duration(age)} (last: {state})", style="bold red"), True
    return _with_detail(Text(f"collector {state}", style="bold" if state != "reading" else ""), snapshot), False


def _with_detail(text: Text, snapshot: Snapshot) -> Text:
    """`text`, then the collector's published detail, dim."""
    if snapshot.collector_detail:
        text.append(f" · {clean_text(snapshot.collector_detail, COLLECTOR_DETAIL_MAX)}", style="dim")
    return text


def left_text(snapshot: Snapshot | None, link: LinkState) -> Text:
    parts: list[Text] = []
    if link.connected is False:
        parts.append(link_text(link))  # first, so a narrow terminal still shows why
    collector, warning = collector_text(snapshot, link.collector_age_s) if snapshot is not None else (Text(""), False)
    if snapshot is not None:
        if snapshot.is_demo:
            parts.append(Text(" DEMO DATA ", style="bold reverse yellow"))
        parts.append(Text.assemble("source ", (clean_text(snapshot.source, SOURCE_MAX), "bold")))
        if warning:
            parts.append(collector)  # before the rest, so 80 columns still show it
    if link.connected is not False:
        parts.append(link_text(link))
    if snapshot is not None:
        parts.append(Text(f"rejected {fmt.count(snapshot.rejected)}"))
        if not warning:
            parts.append(collector)
    return _join(parts)


def right_text(
    snapshot: Snapshot | None, link: LinkState, *, window_s: int, refresh_s: float, paused: bool
) -> Text:
    stream_clock = None if snapshot is None else snapshot.stream_clock
    parts = [
        Text(f"stream {fmt.clock_time(stream_clock)}{'Z' if stream_clock else ''}")
        + Text(f" lag {fmt.human_duration(link.lag_s)}"),
        _window_text(snapshot, window_s),
        Text(f"every {fmt.interval_label(refresh_s)}"),
    ]
    if paused:
        parts.append(Text(" PAUSED ", style="bold reverse yellow"))
    return _join(parts)


def _window_text(snapshot: Snapshot | None, window_s: int) -> Text:
    """`window 1h`, and what is left of it when the collector keeps less (`--retention 5m`):
    its older minutes are gone, so the window's figures are the retention's."""
    text = Text(f"window {fmt.window_label(window_s)}")
    retention_s = None if snapshot is None else snapshot.retention_s
    if retention_s is not None and window_s > retention_s:
        text.append(f" (only {fmt.window_label(retention_s)} kept)", style="bold yellow")
    return text


class StatusBar(columns.TextLines):
    """Bottom bar; every input is a reactive bound to the app, so it repaints by itself."""

    DEFAULT_CSS = """
    StatusBar { height: 2; }
    """

    snapshot: reactive[Snapshot | None] = reactive(None)
    link: reactive[LinkState] = reactive(LinkState)
    window_s: reactive[int] = reactive(300)
    refresh_s: reactive[float] = reactive(1.0)
    paused: reactive[bool] = reactive(False)

    def content_lines(self, width: int, height: int) -> list[Text]:
        left = left_text(self.snapshot, self.link)
        right = right_text(
            self.snapshot,
            self.link,
            window_s=self.window_s,
            refresh_s=self.refresh_s,
            paused=self.paused,
        )
        return [columns.fit(left, width), columns.fit(right, width)]
