"""Frequency chart (braille lines drawn here) and the header's rate sparkline.

The chart plots one line per topic plus the overall line, in stream time. Windows whose
buckets are a minute or longer (1 h) are shown as tweets per minute, shorter ones as
tweets per second, so the numbers stay readable either way.
"""

from __future__ import annotations

import math
from itertools import groupby
from typing import Any, Self
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Sparkline

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import ALL, Series, Snapshot
from tweetwatch.tui import format as fmt
from tweetwatch.tui.columns import TextLines
from tweetwatch.tui.palette import ALL_COLOR, topic_color

LEGEND_MAX = 14
TICK_SPACING = 12
"""Roughly one x tick label per this many columns (a label is 8 wide)."""


@dataclass(frozen=True)
class ChartLine:
    label: str
    color: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class ChartData:
    """What the chart draws, computed from a Snapshot without touching plotext."""

    unit: str
    """Y axis label: `tweets/s` or `tweets/min`."""
    per_unit: float
    """Seconds per y unit (1 or 60)."""
    start_epoch: int
    bucket_s: int
    lines: tuple[ChartLine, ...]

    @property
    def length(self) -> int:
        return max((len(line.values) for line in self.lines), default=0)

    def x_ticks(self, width: int) -> tuple[list[int], list[str]]:
        """Bucket positions and `HH:MM:SS` stream-time labels that fit in `width` columns."""
        if self.length == 0:
            return [], []
        wanted = max(2, min(self.length, width // TICK_SPACING))
        last = self.length - 1
        positions = sorted({round(i * last / (wanted - 1)) for i in range(wanted)})
        labels = [fmt.epoch_time(self.start_epoch + p * self.bucket_s) for p in positions]
        return positions, labels


def mood_data(snapshot: Snapshot) -> ChartData:
    """Mean VADER compound per minute of the window, one line per topic plus all (NaN = none)."""
    mood = snapshot.mood
    lines = [ChartLine("all", ALL_COLOR, _nan_for_none(mood.means.get(ALL, ())))]
    for index, topic in enumerate(snapshot.topics):
        lines.append(
            ChartLine(clean_text(topic.name, LEGEND_MAX), topic_color(index),
                      _nan_for_none(mood.means.get(topic.name, ())))
        )
    return ChartData("mean compound", 1.0, mood.start_minute * 60, 60, tuple(lines))


def _nan_for_none(values: tuple[float | None, ...]) -> tuple[float, ...]:
    return tuple(math.nan if v is None else v for v in values)


def chart_data(snapshot: Snapshot) -> ChartData:
    series: Series = snapshot.series
    per_unit = 60.0 if series.bucket_s >= 60 else 1.0
    unit = "tweets/min" if per_unit == 60 else "tweets/s"

    def scaled(key: str) -> tuple[float, ...]:
        return tuple(r * per_unit for r in series.rates(key))

    lines = [ChartLine("all", ALL_COLOR, scaled(ALL))]
    for index, topic in enumerate(snapshot.topics):
        lines.append(
            ChartLine(clean_text(topic.name, LEGEND_MAX), topic_color(index), scaled(topic.name))
        )
    return ChartData(unit, per_unit, series.start_epoch, series.bucket_s, tuple(lines))


# ---- drawing ---------------------------------------------------------------------------

BRAILLE_BASE = 0x2800
_BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""Dot bit of (row 0..3, column 0..1) inside one braille cell."""
LEGEND_MARK = "━━"
ASCII_MARK = "*"
NO_MOOD = "no sentiment in this window (collector run with --no-sentiment?)"


def nice_ticks(low: float, high: float, most: int) -> tuple[float, float, list[float]]:
    """An axis from `low` covering `high` in round steps (1, 2, 2.5 or 5 x 10^k), with at most
    `most` ticks: (axis low, axis high, tick values)."""
    span = high - low
    if not span > 0:
        span = abs(high) or 1.0
    raw = span / max(most - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), 10 * magnitude)
    top = low + math.ceil(span / step - 1e-9) * step
    ticks = [low + k * step for k in range(round((top - low) / step) + 1)]
    return low, top, ticks


def _tick_label(value: float, step: float, decimals: int | None) -> str:
    if decimals is None:
        decimals = 0 if step >= 1 and float(step).is_integer() else 1 if step * 10 >= 1 else 2
    return f"{value:,.{decimals}f}"


def draw_chart(
    data: ChartData,
    width: int,
    height: int,
    *,
    ascii_only: bool = False,
    y_range: tuple[float, float] | None = None,
    y_decimals: int | None = None,
    base: Style | None = None,
) -> list[Strip]:
    """The chart as `height` strips of `width` cells: a legend row (unit and line colours),
    the plot with a labelled y axis, the x axis and its stream-time labels.

    Lines are drawn in braille dots (2x4 per cell; `ascii_only`: one `*` per cell), in
    order, so later lines (the topics) are drawn over earlier ones (all). NaN values are
    skipped and the line joins the points on either side. `y_range` fixes the axis (the
    sentiment chart's -1..1); otherwise it runs from 0 to a round value above the maximum.
    `base` (the widget's own style) is combined into every style here, once.
    """
    plot_rows = height - 3
    base = base or Style()
    if plot_rows < 2 or width < 20:
        return [Strip([Segment("chart: too small", base)])]
    # y axis: ticks and their labels
    finite = [v for line in data.lines for v in line.values if not math.isnan(v)]
    most = max(2, min(6, plot_rows // 2 + 1))
    if y_range is not None:
        low, high = y_range
        _low, _high, ticks = nice_ticks(low, high, most)
        ticks = [t for t in ticks if t <= high + 1e-9]
    else:
        low, high, ticks = nice_ticks(0.0, max(finite, default=0.0), most)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    labels = [_tick_label(t, step, y_decimals) for t in ticks]
    label_w = max(len(label) for label in labels)
    plot_w = width - label_w - 1
    sub_x, sub_y = (1, 1) if ascii_only else (2, 4)
    dots_w, dots_h = plot_w * sub_x, plot_rows * sub_y
    span = (high - low) or 1.0

    def dot_row(value: float) -> int:
        return round((high - value) / span * (dots_h - 1))

    # The lines, dot by dot (flat cell arrays; a dot's bit is looked up, not computed).
    bits = [0] * (plot_rows * plot_w)
    owner = [-1] * (plot_rows * plot_w)
    cell_of = [(py // sub_y) * plot_w for py in range(dots_h)]
    bit_of = [[1]] if ascii_only else [list(row) for row in _BRAILLE_BITS]
    n = data.length
    x_scale = (dots_w - 1) / (n - 1) if n > 1 else 0.0
    for index, line in enumerate(data.lines):
        points = [(round(i * x_scale), dot_row(v)) for i, v in enumerate(line.values) if not math.isnan(v)]
        if len(points) == 1:
            points.append(points[0])
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            dx, dy = x1 - x0, y1 - y0
            steps = max(abs(dx), abs(dy), 1)
            for k in range(steps + 1):
                px = x0 + (2 * dx * k + steps) // (2 * steps)  # rounded, in integers
                py = y0 + (2 * dy * k + steps) // (2 * steps)
                if 0 <= px < dots_w and 0 <= py < dots_h:
                    cell = cell_of[py] + px // sub_x
                    bits[cell] |= bit_of[py % sub_y][px % sub_x]
                    owner[cell] = index

    axis = base + Style(dim=True)
    styles = [base + Style(color=None if line.color in ("", "default") else line.color) for line in data.lines]
    label_rows: dict[int, str] = {}
    for tick, label in zip(ticks, labels):
        label_rows.setdefault(dot_row(tick) // sub_y, label)

    glyphs = [" "] + [ASCII_MARK if ascii_only else chr(BRAILLE_BASE + b) for b in range(1, 256)]
    run_styles = {-1: base, **dict(enumerate(styles))}
    strips: list[Strip] = []
    # legend row: unit, then one mark per line in its colour
    legend: list[Segment] = [Segment(data.unit, axis)]
    for line, style in zip(data.lines, styles):
        legend += [Segment("  ", base), Segment(ASCII_MARK * 2 if ascii_only else LEGEND_MARK, style),
                   Segment(" " + line.label, base)]
    if Segment.get_line_length(legend) > width:
        legend = legend[2:]  # the unit is in the border title too
    strips.append(Strip(legend).crop(0, width))
    for row in range(plot_rows):
        label = label_rows.get(row)
        segments = [Segment(label.rjust(label_w) + "┤", axis) if label is not None
                    else Segment(" " * label_w + "│", axis)]
        first = row * plot_w
        row_bits = bits[first:first + plot_w]
        row_owner = [o if b else -1 for o, b in zip(owner[first:first + plot_w], row_bits)]
        col = 0
        for who, cells in groupby(row_owner):
            length = len(list(cells))
            text = "".join([glyphs[b] for b in row_bits[col:col + length]])
            segments.append(Segment(text, run_styles[who]))
            col += length
        strips.append(Strip(segments, label_w + 1 + plot_w))
    # x axis with a tick per label, then the labels centred under their ticks
    positions, x_labels = data.x_ticks(plot_w)
    axis_chars = ["─"] * plot_w
    label_line = [" "] * width
    free_from = 0
    for position, text in zip(positions, x_labels):
        col = min(round(position * x_scale) // sub_x, plot_w - 1)
        axis_chars[col] = "┬"
        start = min(max(label_w + 1 + col - len(text) // 2, 0), width - len(text))
        if start < free_from:
            continue
        label_line[start:start + len(text)] = text
        free_from = start + len(text) + 1
    strips.append(Strip([Segment(" " * label_w + "└" + "".join(axis_chars), axis)], label_w + 1 + plot_w))
    strips.append(Strip([Segment("".join(label_line), base)], width))
    return strips


class FrequencyChart(Widget):
    """Tweets per second (or minute) over the window, one line per topic plus all.

    Drawn with the line API: the strips are computed once per (data, size) by `draw_chart`
    and handed out row by row, so a refresh costs one pass over the window's points.
    """

    DEFAULT_CSS = """
    FrequencyChart {
        width: 1fr;
        height: 1fr;
    }
    """

    snapshot: reactive[Snapshot | None] = reactive(None)
    mood: reactive[bool] = reactive(False)
    """Show per-minute sentiment lines instead of rates (`m`)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None, ascii_only: bool = False) -> None:
        super().__init__(id=id, classes=classes)
        self._strips: tuple[object, Size, list[Strip]] | None = None
        self._data: ChartData | None = None
        """(data, outer size, lines) of the last drawing."""
        self.marker = "*" if ascii_only else "braille"
        """`--ascii`: plain characters for terminals/fonts without braille glyphs."""
        self.can_focus = True

    def on_mount(self) -> None:
        self.border_title = "frequency"

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self._update_data()

    def watch_mood(self) -> None:
        self._update_data()

    def _update_data(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            self._data = None
        elif self.mood:
            self._data = mood_data(snapshot)
            self.border_title = f"sentiment/min · {fmt.window_label(snapshot.window_s)}"
        else:
            self._data = chart_data(snapshot)
            self.border_title = f"{self._data.unit} · {fmt.window_label(snapshot.window_s)}"
        self._strips = None
        self.refresh()

    def refresh(self, *args: Any, **kwargs: Any) -> Self:
        # Any repaint (new data, a theme or focus change) draws the lines again.
        self._strips = None
        return super().refresh(*args, **kwargs)

    def _message(self) -> Text | None:
        data = self._data
        if self.mood and data is not None and (
            data.length == 0 or all(math.isnan(v) for line in data.lines for v in line.values)
        ):
            return Text(NO_MOOD, style="dim")
        if data is None or data.length == 0:
            return Text("waiting for data…", style="dim")
        return None

    def _lines(self) -> list[Strip]:
        # Drawn on demand, not in the watcher, because tick density depends on the size.
        # Keyed on the outer size: `content_size` asks the compositor for the region.
        cached = self._strips
        if cached is not None and cached[0] is self._data and cached[1] == self.outer_size:
            return cached[2]
        size = self.content_size
        base = self.rich_style
        message = self._message()
        if message is not None:
            strips = [Strip(list(message.render(self.app.console))).crop(0, size.width).apply_style(base)]
        else:
            assert self._data is not None
            strips = draw_chart(
                self._data, size.width, size.height, ascii_only=self.marker == "*",
                y_range=(-1.0, 1.0) if self.mood else None, y_decimals=2 if self.mood else None,
                base=base,
            )
        width = size.width
        strips = [strip.adjust_cell_length(width, base) for strip in strips]
        strips += [Strip.blank(width, base)] * (size.height - len(strips))
        self._strips = (self._data, self.outer_size, strips)
        return strips

    def render_line(self, y: int) -> Strip:
        lines = self._lines()
        return lines[y] if y < len(lines) else Strip.blank(lines[0].cell_length if lines else 0)


SPARK_BARS = "▁▂▃▄▅▆▇█"


def sparkline_text(values: list[float], width: int, low: Color, high: Color) -> Text:
    """One line of bars, as Textual's Sparkline draws them (values split into `width`
    buckets, each shown by its maximum, coloured from `low` to `high` by height), with
    the colour taken per bar height (8 styles) instead of per bar."""
    if width <= 0:
        return Text()
    if not values:
        return Text(SPARK_BARS[0] * width, style=Style(color=low.rich_color))
    n = len(values)
    if n <= width:
        peaks = values
    else:
        peaks = [max(values[n * i // width:n * (i + 1) // width]) for i in range(width)]
    bottom, top = min(values), max(values)
    extent = (top - bottom) or 1
    levels = [min(int((p - bottom) / extent * (len(SPARK_BARS) - 1)), len(SPARK_BARS) - 1) for p in peaks]
    if n == 1:
        levels = [len(SPARK_BARS) - 1]
    styles = [Style(color=low.blend(high, k / (len(SPARK_BARS) - 1)).rich_color) for k in range(len(SPARK_BARS))]
    text = Text(no_wrap=True, overflow="crop")
    step = len(levels) / width
    bars = [levels[int(i * step)] for i in range(width)]
    for level, run in groupby(bars):
        text.append(SPARK_BARS[level] * len(list(run)), style=styles[level])
    return text


class RateSparkline(Sparkline, TextLines):
    """Overall rate over the window, drawn in the header: Textual's Sparkline (its CSS
    colours), drawn by `sparkline_text` through the line API, which costs a tenth of a
    styled segment per bar through Rich."""

    def content_lines(self, width: int, height: int) -> list[Text]:
        _, background = self.background_colors
        low = background + self.get_component_styles("sparkline--min-color").color
        high = background + self.get_component_styles("sparkline--max-color").color
        return [sparkline_text(list(self.data or ()), width, low, high)]

    snapshot: reactive[Snapshot | None] = reactive(None)

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self.data = [] if snapshot is None else list(snapshot.series.rates(ALL))
