"""Frequency chart (plotext) and the header's rate sparkline.

The chart plots one line per topic plus the overall line, in stream time. Windows whose
buckets are a minute or longer (1 h) are shown as tweets per minute, shorter ones as
tweets per second, so the numbers stay readable either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widgets import Sparkline
from textual_plotext import PlotextPlot

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import ALL, Series, Snapshot
from tweetwatch.tui import format as fmt
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


class FrequencyChart(PlotextPlot):
    """Tweets per second (or minute) over the window, one line per topic plus all."""

    snapshot: reactive[Snapshot | None] = reactive(None)
    mood: reactive[bool] = reactive(False)
    """Show per-minute sentiment lines instead of rates (`m`)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None, ascii_only: bool = False) -> None:
        super().__init__(id=id, classes=classes)
        # No background colours of its own: the terminal's (or the widget's) show through.
        self.theme = "clear"
        self._data: ChartData | None = None
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
        self.refresh()

    def render(self) -> RenderResult:
        # Drawn here, not in the watcher, because tick density depends on the current size.
        data = self._data
        if self.mood and data is not None and data.length == 0:
            return Text("no sentiment in this window (collector run with --no-sentiment?)", style="dim")
        if data is None or data.length == 0:
            return Text("waiting for data…", style="dim")
        if self.mood and all(math.isnan(v) for line in data.lines for v in line.values):
            return Text("no sentiment in this window (collector run with --no-sentiment?)", style="dim")
        plt = self.plt
        plt.clear_figure()
        for line in data.lines:
            points = [(i, v) for i, v in enumerate(line.values) if not math.isnan(v)]
            if points:
                xs, ys = zip(*points)
                plt.plot(list(xs), list(ys), label=line.label, color=line.color, marker=self.marker)
        positions, labels = data.x_ticks(self.size.width)
        plt.xticks(positions, labels)
        plt.xlim(0, max(data.length - 1, 1))
        if self.mood:
            plt.ylim(-1, 1)
        else:
            plt.ylim(0, None)
        plt.ylabel(data.unit)
        return super().render()


class RateSparkline(Sparkline):
    """Overall rate over the window, drawn in the header."""

    snapshot: reactive[Snapshot | None] = reactive(None)

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self.data = [] if snapshot is None else list(snapshot.series.rates(ALL))
