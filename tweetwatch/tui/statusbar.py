"""Status bar: where the data comes from, how fresh it is, and how the dashboard is set.

Line 1 describes the data: on the left the collector, its state first (after a `Redis
unreachable` warning and the DEMO badge); on the right, anchored to the edge, the source,
the Redis link and the rejected count. Line 2: the clock and the dashboard's own settings
(lag, window, refresh interval, PAUSED). Two fixed lines, so the layout never jumps.

What does not fit is left out in whole parts, the least important first (`Part.priority`):
at 80 columns an X stream in backoff reads `collector reading · reconnecting in 59 s (429
too many connections) · …`, not `reconnecting in 5…`. A part is never cut inside a number;
the one that would say why may be cut after a word. `i` opens `StatusScreen`, every part of both lines,
kept up to date (`full_status`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Static

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Snapshot
from tweetwatch.tui import columns
from tweetwatch.tui import format as fmt

SEPARATOR = " │ "
"""Between fields (collector, source, Redis, ...)."""
DETAIL_SEPARATOR = " · "
"""Between the parts of one field: the collector's state and its details, as it publishes them."""
ELLIPSIS = "…"
SOURCE_MAX = 16
COLLECTOR_STATUS_MAX = 40
"""An old collector's whole status line (one from before `state` was published)."""
COLLECTOR_PART_MAX = 120
"""One part of the collector's state or detail; the bar leaves out what does not fit."""
COLLECTOR_PARTS_MAX = 12
ERROR_MAX = 120
SILENT_AFTER_S = 10.0
"""A collector publishes its status every 2 s: one not heard from for this long is gone
(killed, its host or its link to Redis down) even if its last word was `reading`."""

# Priorities: 0 is always shown; when a line is short of room the highest goes first, and of
# equals the rightmost. A collector in backoff must keep its wait and reason (QA: 80 columns
# showed `reconnecting in 5…` for a 59 s wait, and no reason).
KEEP = 0
REASON = 1
"""What the source is doing or why (`reconnecting in 59 s (429 ...)`), the Redis error, the
tweets held in memory while Redis is down."""
REDIS = 2
"""The Redis link while it works (down, it comes first and is kept); also the collector's
state while Redis is down, since it is then the last one read."""
SOURCE = 3
REJECTED = 4
RATE = 5
"""The collector's rate: the counters table shows the rate too."""
COUNTS = 6
"""The collector's own totals (`tweets N · control N · rejected N · duplicates N`)."""

_RATE = re.compile(r"[\d,.]+ tweets/s")
_COUNT = re.compile(r"[a-z]+ [\d,]+")
"""How the collector words its details (`Collector._status`); anything else is the source's state."""


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


@dataclass(frozen=True)
class Part:
    """One piece of a field, shown whole or not at all (or, if `cuttable`, cut after a word)."""

    text: Text
    priority: int = KEEP
    cuttable: bool = False
    """May be shown cut after a word (never after one holding a digit) rather than left out."""
    joiner: str = DETAIL_SEPARATOR
    """Put before it when a part before it in its field is shown."""


Field = tuple[Part, ...]


# ---- fitting ---------------------------------------------------------------------------

def word_prefixes(text: Text) -> Iterator[Text]:
    """`text` cut after fewer and fewer words, each ending in `…`. Never after a word with a
    digit in it: `reconnecting in 59…` would read as a whole number, `localhost:63…` as a port."""
    plain = text.plain
    for match in reversed(list(re.finditer(r" +", plain))):
        head = plain[: match.start()]
        last_word = head.rsplit(" ", 1)[-1]
        if not head.strip() or any(c.isdigit() for c in last_word):
            continue
        cut = text[: len(head)]
        cut.append(ELLIPSIS)
        yield cut


def _render_field(field: Field, shown: dict[int, Text], marker: bool = True) -> Text:
    """The shown parts of `field` (`shown`: index -> text as shown), and `…` where some were
    left out (if `marker`), unless a cut part already ends in one."""
    text = Text()
    dropped_joiner = None
    for index, part in enumerate(field):
        piece = shown.get(index)
        if piece is None:
            dropped_joiner = dropped_joiner or part.joiner
            continue
        if text.plain:
            text.append(part.joiner, style="dim")
        text.append_text(piece)
    if marker and text.plain and dropped_joiner is not None and not text.plain.endswith(ELLIPSIS):
        text.append(f"{dropped_joiner}{ELLIPSIS}", style="dim")
    return text


def _join(texts: Sequence[Text]) -> Text:
    return Text(SEPARATOR, style="dim").join(t for t in texts if t.plain)


def fit_fields(left: Sequence[Field], right: Sequence[Field] = (), width: int | None = None) -> Text:
    """`left` fields from the left edge and `right` ones against the right edge, in `width`
    cells (None: all of it, `right` right after `left`). Parts are left out whole, by
    priority, so a part is shown only if every more important one is; the most important
    one left out may come back without its field's `…`, or cut after a word, if that
    fits. A line of `KEEP` parts still too long (under 60 columns) is cut after a word."""
    fields = [*left, *right]
    keys = [(f, p) for f, field in enumerate(fields) for p in range(len(field))]
    full = {key: fields[key[0]][key[1]].text for key in keys}

    bare: set[int] = set()
    """Fields shown without their `…`: the room it takes let their last part in whole."""

    def render(shown: dict[tuple[int, int], Text]) -> tuple[Text, Text]:
        texts = [_render_field(field, {p: t for (f, p), t in shown.items() if f == index}, index not in bare)
                 for index, field in enumerate(fields)]
        return _join(texts[: len(left)]), _join(texts[len(left):])

    def length(shown: dict[tuple[int, int], Text]) -> int:
        head, tail = render(shown)
        return head.cell_len + tail.cell_len + (len(SEPARATOR) if head.plain and tail.plain else 0)

    shown = dict(full)
    if width is not None:
        dropped: list[tuple[int, int]] = []  # in priority order only: a less important part let
        # back in while a more important one is out would come and go as the text changes
        while length(shown) > width:
            droppable = [k for k in shown if fields[k[0]][k[1]].priority > KEEP]
            if not droppable:
                break
            key = max(droppable, key=lambda k: (fields[k[0]][k[1]].priority, k))
            del shown[key]
            dropped.append(key)
        if dropped:  # the most important part left out: whole, without its field's `…`
            last = dropped[-1]  # (the rest is on the status screen), or cut after a word
            bare.add(last[0])
            if length({**shown, last: full[last]}) <= width:
                shown[last] = full[last]
            else:
                bare.discard(last[0])
                cuts = word_prefixes(full[last]) if fields[last[0]][last[1]].cuttable else iter(())
                for cut in cuts:
                    if length({**shown, last: cut}) <= width:
                        shown[last] = cut
                        break
    head, tail = render(shown)
    if width is None or not head.plain or not tail.plain:
        line = _join([head, tail])
        return line if width is None or line.cell_len <= width else _cut(line, width)
    gap = width - head.cell_len - tail.cell_len - len(SEPARATOR)
    if gap < 0:
        return _cut(_join([head, tail]), width)
    return Text.assemble(head, " " * gap, Text(SEPARATOR, style="dim"), tail)


def _cut(text: Text, width: int) -> Text:
    for cut in word_prefixes(text):
        if cut.cell_len <= width:
            return cut
    return columns.fit(text, width)


# ---- the fields ------------------------------------------------------------------------

def link_field(link: LinkState) -> Field:
    if link.connected is None:
        return (Part(Text("Redis connecting…", style="dim"), REDIS),)
    if not link.connected:
        head = Part(Text("Redis unreachable — retrying", style="bold red"))
        if not link.error:
            return (head,)
        return head, Part(Text(f"({clean_text(link.error, ERROR_MAX)})", style="red"), REASON, True, " ")
    return (Part(Text.assemble(("Redis ", ""), ("●", "green"), f" {link.round_trip_ms:.1f}ms"), REDIS),)


def _split(published: str) -> list[str]:
    """A published `a · b · c` as its parts, each cleaned (it comes from Redis)."""
    parts = [clean_text(p, COLLECTOR_PART_MAX) for p in published.split(DETAIL_SEPARATOR)]
    return [p for p in parts if p.strip()][:COLLECTOR_PARTS_MAX]


def _detail_priority(item: str) -> int:
    if _RATE.fullmatch(item):
        return RATE
    if _COUNT.fullmatch(item):
        return COUNTS
    return REASON


def collector_field(snapshot: Snapshot, age: float | None = None, *, stale: bool = False) -> tuple[Field, bool]:
    """What the collector is doing, its state first, and whether that is a warning: a
    stopped or silent collector, or none at all, leaves the numbers frozen on screen. `age`:
    seconds since its last status as of the newest read (default: as of `snapshot`'s).
    `stale`: Redis is down, so this is the last read's word (shown after the Redis error)."""
    floor = REDIS if stale else KEEP

    def part(text: Text, priority: int = KEEP, cuttable: bool = False) -> Part:
        return Part(text, max(priority, floor), cuttable)

    if snapshot.collector_seen_at is None:
        if snapshot.collector_status:  # a collector from before `state` was published
            return (part(Text(clean_text(snapshot.collector_status, COLLECTOR_STATUS_MAX), style="dim")),), False
        return (part(Text("no collector has written here", style="bold yellow")),), True
    if age is None:
        age = snapshot.collector_age_s or 0.0
    state, *extras = _split(snapshot.collector_state) or ["running"]
    details = _split(snapshot.collector_detail)
    if age > SILENT_AFTER_S and state != "stopped":
        silent = Text(f"collector silent for {fmt.human_duration(age)} (last: {state})", style="bold red")
        return (part(silent),), True
    if state == "stopped":  # what it did last (`resumed: N lines counted before skipped`) after it
        style, head, warning = "bold yellow", f"collector stopped {fmt.human_duration(age)} ago", True
    else:
        style, head, warning = ("" if state == "reading" else "bold"), f"collector {state}", False
    field = [part(Text(head, style=style))]
    field += [part(Text(extra, style=style), REASON, True) for extra in extras]  # `1,234 held in memory`
    for item in details:
        priority = _detail_priority(item)
        field.append(part(Text(item, style="dim"), priority, priority == REASON))
    return tuple(field), warning


def collector_text(snapshot: Snapshot, age: float | None = None) -> tuple[Text, bool]:
    """The collector's field in full, and whether it is a warning (see `collector_field`)."""
    field, warning = collector_field(snapshot, age)
    return fit_fields([field]), warning


def left_fields(snapshot: Snapshot | None, link: LinkState) -> tuple[list[Field], list[Field]]:
    """Line 1 as (left, right) fields: the Redis warning, DEMO and the collector from the
    left edge; source, Redis and rejected against the right one."""
    left: list[Field] = []
    right: list[Field] = []
    if link.connected is False:
        left.append(link_field(link))  # first, so a narrow terminal still shows why
    if snapshot is not None:
        if snapshot.is_demo:
            left.append((Part(Text(" DEMO DATA ", style="bold reverse yellow")),))
        stale = link.connected is False
        age = None if stale else link.collector_age_s
        left.append(collector_field(snapshot, age, stale=stale)[0])
        source = Text.assemble("source ", (clean_text(snapshot.source, SOURCE_MAX), "bold"))
        right.append((Part(source, SOURCE),))
    if link.connected is not False:
        right.append(link_field(link))
    if snapshot is not None:
        right.append((Part(Text(f"rejected {fmt.count(snapshot.rejected)}"), REJECTED),))
    return left, right


def left_text(snapshot: Snapshot | None, link: LinkState, width: int | None = None) -> Text:
    """Line 1 in `width` cells (None: in full, the right fields right after the left ones)."""
    left, right = left_fields(snapshot, link)
    if not left:
        return fit_fields(right, width=width)
    return fit_fields(left, right, width)


def right_fields(
    snapshot: Snapshot | None, link: LinkState, *, window_s: int, refresh_s: float, paused: bool
) -> list[Field]:
    stream_clock = None if snapshot is None else snapshot.stream_clock
    fields: list[Field] = [
        (Part(Text(f"stream {fmt.clock_time(stream_clock)}{'Z' if stream_clock else ''}")),
         Part(Text(f"lag {fmt.human_duration(link.lag_s)}"), joiner=" ")),
        _window_field(snapshot, window_s),
        (Part(Text(f"every {fmt.interval_label(refresh_s)}"), RATE),),
    ]
    if paused:
        fields.append((Part(Text(" PAUSED ", style="bold reverse yellow")),))
    return fields


def right_text(
    snapshot: Snapshot | None, link: LinkState, *, window_s: int, refresh_s: float, paused: bool,
    width: int | None = None,
) -> Text:
    """Line 2 in `width` cells (None: in full)."""
    fields = right_fields(snapshot, link, window_s=window_s, refresh_s=refresh_s, paused=paused)
    return fit_fields(fields, width=width)


def _window_field(snapshot: Snapshot | None, window_s: int) -> Field:
    """`window 1h`, and what is left of it when the collector keeps less (`--retention 5m`):
    its older minutes are gone, so the window's figures are the retention's."""
    window = Part(Text(f"window {fmt.window_label(window_s)}"))
    retention_s = None if snapshot is None else snapshot.retention_s
    if retention_s is not None and window_s > retention_s:
        kept = Text(f"(only {fmt.window_label(retention_s)} kept)", style="bold yellow")
        return window, Part(kept, REASON, joiner=" ")
    return (window,)


def full_status(
    snapshot: Snapshot | None, link: LinkState, *, window_s: int, refresh_s: float, paused: bool
) -> Text:
    """Every part of both lines, a field a line (the collector's may wrap), for
    `StatusScreen`: what the bar leaves out at this width is read there."""
    left, right = left_fields(snapshot, link)
    lines = [fit_fields([field]) for field in left]
    lines.append(fit_fields(right))
    lines.append(right_text(snapshot, link, window_s=window_s, refresh_s=refresh_s, paused=paused))
    return Text("\n").join(line for line in lines if line.plain)


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
        left = left_text(self.snapshot, self.link, width)
        right = right_text(
            self.snapshot,
            self.link,
            window_s=self.window_s,
            refresh_s=self.refresh_s,
            paused=self.paused,
            width=width,
        )
        return [columns.fit(left, width), columns.fit(right, width)]


class StatusScreen(ModalScreen[None]):
    """The status bar in full (`i`), kept up to date while open; escape or i closes it."""

    BINDINGS = [Binding("escape,i", "dismiss", "Close status", show=False)]

    def __init__(self, status: Callable[[], Text], watch: Sequence[str] = ()) -> None:
        """
        Args:
            status: Both lines in full (`full_status`), called again whenever one of the
                app's reactives named in `watch` changes.
            watch: Names of the app reactives the status depends on.
        """
        super().__init__()
        self._status = status
        self._watch = tuple(watch)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="status-box") as box:
            box.border_title = "status"
            box.border_subtitle = "escape or i to close"
            yield Static(self._status(), id="status-full")

    def on_mount(self) -> None:
        for name in self._watch:
            self.watch(self.app, name, self._update, init=False)

    def _update(self) -> None:
        self.query_one("#status-full", Static).update(self._status())
