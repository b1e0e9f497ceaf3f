"""Frequency chart (plotext, drawn off the UI thread) and the header's rate sparkline.

The chart plots one line per topic plus the overall line, in stream time. Windows whose
buckets are a minute or longer (1 h) are shown as tweets per minute, shorter ones as
tweets per second, so the numbers stay readable either way.
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import groupby

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import Sparkline
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import ALL, Series, Snapshot
from tweetwatch.tui import format as fmt
from tweetwatch.tui import plotext_fast
from tweetwatch.tui.columns import TextLines, set_border_text
from tweetwatch.tui.palette import ALL_COLOR, plotext_color, topic_color

log = logging.getLogger(__name__)
plotext_fast.install()

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


# ---- drawing ----------------------------------------------------------------------------

NO_MOOD = "no sentiment in this window (collector run with --no-sentiment?)"


def downsample(values: tuple[float, ...], most: int) -> tuple[float, ...]:
    """At most `most` points: the mean of equal runs of buckets (NaN where a run has no
    value). A chart `most` columns wide cannot show more, and plotext's cost grows with the
    points it is given."""
    n = len(values)
    if n <= most or most < 1:
        return values
    out: list[float] = []
    for i in range(most):
        run = [v for v in values[n * i // most:n * (i + 1) // most] if not math.isnan(v)]
        out.append(sum(run) / len(run) if run else math.nan)
    return tuple(out)


@dataclass(frozen=True)
class DrawJob:
    """Everything one drawing depends on (a new job = a new drawing)."""

    data: ChartData
    width: int
    height: int
    theme: str
    marker: str
    mood: bool
    distinct: bool = False
    """Tell the lines apart by their markers too (NO_COLOR: every colour is a grey)."""

    def marker_of(self, index: int) -> str:
        """The marker of the `index`th line."""
        if not self.distinct:
            return self.marker
        markers = DISTINCT_MARKERS.get(self.marker, (self.marker,))
        return markers[index % len(markers)]


def draw(job: DrawJob) -> list[Strip]:
    """The chart's rows drawn by plotext, on a figure of its own (safe in a worker thread)."""
    data = job.data
    plot_height = job.height - 1  # the last row is the legend
    plt = Plot()
    plt.plotsize(job.width, plot_height)
    plt._set_size(job.width, plot_height)
    plt.theme(job.theme)
    most = max(job.width - 10, 2)
    top = 0.0
    for index, line in enumerate(data.lines):
        values = downsample(line.values, most)
        points = [(i, v) for i, v in enumerate(values) if not math.isnan(v)]
        if points:
            xs, ys = zip(*points)
            plt.plot(list(xs), list(ys), color=plotext_color(line.color), marker=job.marker_of(index))
            top = max(top, *ys)  # of what is drawn: a long window's means, not its raw peaks
    shown = min(data.length, most)
    positions, labels = data.x_ticks(job.width)
    scale = (shown - 1) / max(data.length - 1, 1)
    plt.xticks([p * scale for p in positions], labels)
    plt.xlim(0, max(shown - 1, 1))
    if job.mood:
        align_y_axis(plt, plot_height, -1.0, 1.0, bounded=True)
    else:
        align_y_axis(plt, plot_height, 0.0, top)
    plt._set_sizes()  # what `plt.build()` does, minus writing the cells out as ANSI text
    plt._build_matrix()
    strips = plotext_fast.matrix_strips(plt.monitor.matrix)  # type: ignore[attr-defined]
    glyphs = [LEGEND_GLYPH.get(job.marker_of(i), job.marker_of(i)) for i in range(len(data.lines))]
    return [*strips, legend_strip(data.lines, job.width, glyphs)]


LEGEND_GLYPH = {"braille": "━"}
"""The legend's sample of a line, by marker (other markers stand for themselves)."""
DISTINCT_MARKERS = {"braille": ("braille", "•", "x", "+", "o"), "*": ("*", "+", "o", "x", "#")}
"""Markers that tell lines apart without colour, by the chart's marker (`--ascii`: `*`)."""


def legend_strip(lines: Sequence[ChartLine], width: int, glyphs: Sequence[str]) -> Strip:
    """One row naming each line in its colour, `━ all  ━ trump  ━ biden`, below the chart
    rather than over it (plotext's legend covered the newest data of a short chart and was
    left out of one with many lines). Names are cut to a common length, down to three
    characters while they stay apart (`trump_rally`, `trump_poll` are not both `tr…`), and
    then the last lines are left off for a `+N`, to fit `width`."""
    longest = max((len(line.label) for line in lines), default=0)
    for shown in range(len(lines), 0, -1):
        more = [Segment(f"+{len(lines) - shown}", _LEGEND_MORE)] if shown < len(lines) else []
        for cut in range(longest, min(longest, 3) - 1, -1):
            labels = [line.label if len(line.label) <= cut else line.label[: cut - 1] + "…" for line in lines[:shown]]
            if len(set(labels)) < len(labels):
                break  # `tr…  tr…` names nothing: fewer lines, named apart
            segments: list[Segment] = [Segment(" ")]
            for line, label, glyph in zip(lines, labels, glyphs):
                segments += [Segment(glyph, _legend_style(line.color)), Segment(f" {label}  ")]
            segments += more
            strip = Strip(segments)
            if strip.cell_length <= width:
                return strip
    return Strip([])


_LEGEND_MORE = Style(dim=True)


def _legend_style(color: str) -> Style | None:
    """The style plotext draws a line of `color` in, so the sample matches the line."""
    return plotext_fast.style_of((plotext_color(color), "default", "default"))


_NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
"""Mantissas of the value between two y labels: consecutive ones differ by 1.25x at most."""
_UNIT_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
"""Mantissas whose steps up to 1 divide 1: labels from -1 that land on 0 and 1 (sentiment)."""


def align_y_axis(plt: Plot, height: int, low: float, high: float, most: int = 5, bounded: bool = False) -> None:
    """Y limits and ticks: evenly spaced labels, each the value of the row it stands on.

    plotext spaces its ticks evenly in value and puts each on the nearest row, so a label
    could be half a row off: `10.8` beside the row worth 9.75 on a five-row chart. Here a
    label goes on every `every`-th row from the bottom, as few rows apart as keeps them to
    `most`, and the labels are multiples of a round step (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8
    times a power of ten), the smallest whose rows still reach `high`: `0, 8, 16, 24` on
    eight rows, with the top row worth 28 unlabelled. `low` is lowered to a multiple of the
    step (so a chart from -1 has a label at 0). Labels further apart are taken when the
    closest ones would leave more than a fifth of the chart empty. Call after the x ticks and labels are set:
    the data area's height depends on them. `high <= low` (no data yet) is taken as `low + 1`.
    `bounded`: no value lies outside [low, high] (sentiment, -1 to 1): steps that divide 1
    only, so the labels start at `low` itself, and none above `high` (`-1.2` and `2.0` were
    shown on some heights)."""
    if high <= low:
        high = low + 1
    rows = _canvas_rows(plt, height)
    if rows < 2:
        plt.ylim(low, high)
        return
    every, label_step, bottom = _label_rows(rows, low, high, most, bounded)
    row_step = label_step / every
    ticks = [bottom + row * row_step for row in range(0, rows, every)]
    if bounded:
        ticks = [tick for tick in ticks if tick <= high + 1e-9 * label_step]
    decimals = next((d for d in range(4) if abs(round(label_step, d) - label_step) < 1e-9 * max(label_step, 1)), 2)
    plt.ylim(bottom, bottom + row_step * (rows - 1))
    plt.yticks(ticks, [f"{tick:.{decimals}f}" for tick in ticks])


def _label_rows(rows: int, low: float, high: float, most: int, bounded: bool = False) -> tuple[int, float, float]:
    """(rows between labels, value between labels, value of the bottom row) for `align_y_axis`;
    `bounded`: the bottom row is `low` itself, and the least empty chart wins."""
    mantissas = _UNIT_STEPS if bounded else _NICE_STEPS
    slack = 1.0 if bounded else 1.25
    best: tuple[float, int, float, float] | None = None
    for every in range(max(1, math.ceil((rows - 1) / (most - 1))), rows):
        label_step = _nice_step((high - low) * every / (rows - 1), mantissas)
        while True:
            bottom = math.floor(low / label_step + 1e-9) * label_step
            if bottom + (rows - 1) * label_step / every >= high - 1e-9 * label_step:
                break
            label_step = _nice_step(label_step * 1.001, mantissas)  # the next round step
        if bounded and bottom < low - 1e-9 * label_step:
            continue
        span = (rows - 1) * label_step / every
        if best is None or span < best[0] - 1e-9:
            best = (span, every, label_step, bottom)
        if span <= slack * (high - low) + 1e-9 * label_step:  # at most a fifth empty (none if bounded): close labels win
            break
    assert best is not None
    return best[1], best[2], best[3]


def _nice_step(step: float, mantissas: tuple[float, ...] = _NICE_STEPS) -> float:
    """The smallest round value (one of `mantissas` times a power of ten) at least `step`."""
    power = 10.0 ** math.floor(math.log10(step))
    return next(m * power for m in mantissas if m * power >= step * (1 - 1e-12))


def _canvas_rows(plt: Plot, height: int) -> int:
    """Rows of the data area of a `height`-row figure: plotext's own sum (`build_plot`)
    of what takes rows: the x axes, the lower x tick labels, the title bar, the label bar."""
    monitor = plt.monitor  # type: ignore[attr-defined]  # plotext's figure, set at run time
    title_bar = monitor.title is not None or monitor.xlabel[1] is not None
    label_bar = any(label is not None for label in (*monitor.ylabel, monitor.xlabel[0]))
    return height - sum(monitor.xaxes) - 1 - title_bar - label_bar


PreDrawn = tuple[DrawJob, list[Strip]]
"""A drawing made ahead, with the job it is the drawing of."""


MIN_HEIGHT = 7
"""Rows the chart needs: the legend, the frame and x labels (4), and 3 rows of data. Below
it (many topics at 80x24) a one-row plot drew every line flat at its peak."""
TOO_SHORT = "too short for a chart: z zooms"


def _message_for(data: ChartData | None, mood: bool) -> Text | None:
    """What the chart shows instead of a drawing, if anything."""
    if mood and data is not None and (
        data.length == 0 or all(math.isnan(v) for line in data.lines for v in line.values)
    ):
        return Text(NO_MOOD, style="dim")
    if data is None or data.length == 0:
        return Text("waiting for data…", style="dim")
    return None


class ChartDrawn(Message):
    """A drawing finished in the worker thread (posted to the chart itself)."""

    def __init__(self, job: DrawJob, lines: Sequence[Text | Strip]) -> None:
        super().__init__()
        self.job = job
        self.lines = lines


class FrequencyChart(PlotextPlot, TextLines):
    """Tweets per second (or minute) over the window, one line per topic plus all.

    plotext takes ~10 ms to draw a chart, so the UI thread never draws one:

    * with new data, the read worker has already drawn it (`predraw`, at the size, theme and
      mode of the last drawing), and it arrives with the data, on screen in the same frame;
    * otherwise (a resize, `m`, the first drawing, a pre-drawing that no longer fits) it is
      drawn in a worker thread of its own, on a figure of its own, and swapped in when done;
      the last drawing stays on screen meanwhile.

    The rows reach the screen as strips through the line API (`TextLines`): Textual's generic
    path for a `Text` of this size (re-parse into `Content`, wrap, restyle every span) cost
    more than the drawing. A new border title (every refresh) does not redraw the rows
    (`content_key`).
    """

    snapshot: reactive[Snapshot | None] = reactive(None, repaint=False)  # repaints what changed itself
    mood: reactive[bool] = reactive(False)
    """Show per-minute sentiment lines instead of rates (`m`)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None, ascii_only: bool = False) -> None:
        super().__init__(id=id, classes=classes)
        # No background colours of its own: the terminal's (or the widget's) show through.
        self.theme = "clear"
        self._data: ChartData | None = None
        self._wanted: DrawJob | None = None
        self._drawn: tuple[DrawJob, Sequence[Text | Strip]] | None = None
        self._drawings = 0
        """Drawings shown so far (what the rows on screen are, for `content_key`)."""
        self._drawing = False
        self._template: DrawJob | None = None
        """The last drawing asked for while the chart is on screen (None otherwise): its size,
        theme and mode are what `predraw` draws at. Replaced whole, never changed, so the
        read worker's thread may read it."""
        self._offered: PreDrawn | None = None
        self.marker = "*" if ascii_only else "braille"
        """`--ascii`: plain characters for terminals/fonts without braille glyphs."""
        self.can_focus = True

    def on_mount(self) -> None:
        self.border_title = "frequency"

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self._update_data()

    def watch_mood(self) -> None:
        self._update_data()

    def on_resize(self) -> None:
        self._request_drawing()

    def on_hide(self) -> None:
        self._template = None  # another view is up: no pre-drawing for a chart nobody sees

    def on_show(self) -> None:
        self._request_drawing()

    def _update_data(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            self._data = None
        else:
            if self.mood:
                self._data = mood_data(snapshot)
                title = f"sentiment/min · {fmt.window_label(snapshot.window_s)}"
            else:
                self._data = chart_data(snapshot)
                title = f"{self._data.unit} · {fmt.window_label(snapshot.window_s)}"
            set_border_text(self, title=title)
        self._request_drawing()

    def _message(self) -> Text | None:
        if self.is_mounted and 0 < self.size.height < MIN_HEIGHT and self._data is not None:
            return Text(TOO_SHORT, style="dim")
        return _message_for(self._data, self.mood)

    def predraw(self, snapshot: Snapshot) -> PreDrawn | None:
        """`snapshot`'s drawing as the chart would ask for it now, or None (not on screen, or
        a message instead of a chart). Safe from any thread: the read worker calls it."""
        template = self._template
        if template is None:
            return None
        data = mood_data(snapshot) if template.mood else chart_data(snapshot)
        if _message_for(data, template.mood) is not None:
            return None
        job = replace(template, data=data)
        return job, draw(job)

    def offer(self, drawing: PreDrawn | None) -> None:
        """A pre-drawing for the snapshot about to be set (taken if it is what is wanted)."""
        self._offered = drawing

    def _request_drawing(self) -> None:
        if self._data is None or not self.is_mounted or self._message() is not None:
            self._template = self._wanted = None  # a message, not a drawing, is wanted
            self.refresh()
            return
        width, height = self.size
        if width < 10 or height < 4 or not self.display:
            self._template = self._wanted = None  # nothing can or need be drawn now
            return
        job = DrawJob(self._data, width, height, self._get_plotext_theme_name(self.app.theme),
                      self.marker, self.mood, distinct=self.app.no_color)
        self._template = job
        offered, self._offered = self._offered, None
        if job == self._wanted:
            return
        self._wanted = job
        if self._drawn is not None and self._drawn[0] == job:
            self.refresh()  # back to what is drawn already (shown again, say)
        elif offered is not None and offered[0] == job:
            self._put_on_screen(job, offered[1])
        elif not self._drawing:
            self._start(job)

    def _start(self, job: DrawJob) -> None:
        """One drawing at a time; a newer wish waits for it (see `_show`)."""
        self._drawing = True
        self.run_worker(lambda: self._draw_in_thread(job), thread=True, group="chart-draw")

    def _draw_in_thread(self, job: DrawJob) -> None:
        lines: Sequence[Text | Strip]
        try:
            lines = draw(job)
        except Exception as exc:  # plotext failing must not take the dashboard down
            log.warning("chart drawing failed: %s", exc)
            lines = [Text("chart unavailable", style="dim")]
        # A message, not `call_from_thread`: it never blocks, and once the app has exited it
        # is simply dropped (a drawing can still be running when `q` is pressed).
        self.post_message(ChartDrawn(job, lines))

    def on_chart_drawn(self, message: ChartDrawn) -> None:
        message.stop()
        self._show(message.job, message.lines)

    def _show(self, job: DrawJob, lines: Sequence[Text | Strip]) -> None:
        """A worker's drawing is done."""
        self._drawing = False
        if job == self._wanted:
            self._put_on_screen(job, lines)
        elif self._wanted is not None and (self._drawn is None or self._drawn[0] != self._wanted):
            self._start(self._wanted)

    def _put_on_screen(self, job: DrawJob, lines: Sequence[Text | Strip]) -> None:
        self._drawn = (job, lines)
        self._drawings += 1
        self.refresh_lines()

    def content_key(self) -> object:
        message = self._message()
        return (message.plain if message is not None else None, self._drawings)

    def content_lines(self, width: int, height: int) -> Sequence[Text | Strip]:
        message = self._message()
        if message is not None:  # wrapped: at 80 columns a 38-column chart cut the hint's end off
            return [Text(line, style=message.style) for line in textwrap.wrap(message.plain, max(width, 10))]
        if self._drawn is None:
            return [Text("drawing…", style="dim")]
        return self._drawn[1]


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
