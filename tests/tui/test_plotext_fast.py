"""The plotext shortcuts give what plotext itself gives: the same cells and colours as the
rows of `Text.from_ansi(figure.build())`, and the same braille/quadrant grouping as its `hd_group`."""

from __future__ import annotations

import io
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from textual.strip import Strip
from textual_plotext.plot import Plot

from tweetwatch.tui import plotext_fast
from tweetwatch.tui.chart import ChartData, ChartLine, DrawJob, draw


def styled(text: Text) -> str:
    """Every cell with its colours, as a true-colour terminal would get them."""
    console = Console(width=400, color_system="truecolor", record=True, file=io.StringIO(), legacy_windows=False)
    console.print(text, no_wrap=True, crop=False)
    return console.export_text(styles=True)


def as_text(strips: list[Strip]) -> Text:
    return Text("\n").join(Text.assemble(*((seg.text, seg.style) for seg in strip)) for strip in strips)


def walk(n: int, seed: int, gaps: bool = False) -> tuple[float, ...]:
    rng = random.Random(seed)
    value, out = 50.0, []
    for _ in range(n):
        value = max(0.0, value + rng.gauss(0, 8))
        out.append(math.nan if gaps and rng.random() < 0.1 else value)
    return tuple(out)


def chart(n: int, seed: int, gaps: bool = False) -> ChartData:
    lines = tuple(
        ChartLine(name, colour, walk(n, seed + k, gaps))
        for k, (name, colour) in enumerate((("all", "default"), ("trump", "cyan"), ("biden", "magenta")))
    )
    return ChartData("tweets/s", 1.0, 1_700_000_000, 1, lines)


def plotext_own(job: DrawJob) -> Text:
    """`draw` as plotext alone would do it: its own `hd_group`, and finished the way
    textual-plotext does (ANSI out, parsed back in)."""
    import plotext._utility

    captured: list[Plot] = []
    original_init = Plot.__init__

    def keep(self: Plot, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        captured.append(self)

    Plot.__init__ = keep  # type: ignore[method-assign]
    plotext._utility.hd_group = plotext_fast._ORIGINAL_HD_GROUP
    try:
        draw(job)
        text = Text.from_ansi(captured[0].build())
        return text[: len(text) - 1]  # plotext ends its last row with a newline too
    finally:
        Plot.__init__ = original_init  # type: ignore[method-assign]
        plotext_fast.install()


@pytest.mark.parametrize("marker", ["braille", "fhd", "hd", "*"])
@pytest.mark.parametrize("theme", ["clear", "pro", "textual-dark"])
@pytest.mark.parametrize(("n", "width", "height", "gaps"), [(60, 118, 22, False), (300, 78, 10, True), (2, 20, 5, False)])
def test_matrix_text_equals_plotext_ansi(marker: str, theme: str, n: int, width: int, height: int, gaps: bool) -> None:
    job = DrawJob(chart(n, seed=n + width, gaps=gaps), width, height, theme, marker, mood=False)
    fast = as_text(draw(job))
    slow = plotext_own(job)
    assert fast.plain == slow.plain
    assert styled(fast) == styled(slow)


def test_mood_chart_with_negative_values_equals_plotext_ansi() -> None:
    data = chart(60, seed=3)
    lines = tuple(ChartLine(line.label, line.color, tuple(v / 50 - 1 for v in line.values)) for line in data.lines)
    job = DrawJob(ChartData("mean compound", 1.0, 1_700_000_000, 60, lines), 100, 16, "clear", "braille", mood=True)
    assert styled(as_text(draw(job))) == styled(plotext_own(job))


points = st.lists(st.tuples(st.integers(-50, 400), st.integers(-50, 200)), min_size=1, max_size=300)


@settings(max_examples=300, deadline=None)
@given(points=points, factors=st.sampled_from([(2, 4), (2, 3), (2, 2), (1, 1)]))
def test_hd_group_equals_plotext(points: list[tuple[int, int]], factors: tuple[int, int]) -> None:
    x = [p[0] for p in points]
    y = [p[1] for p in points]
    xf = [factors[0]] * len(x)
    yf = [factors[1]] * len(y)
    assert plotext_fast.hd_group(x, y, xf, yf) == plotext_fast._ORIGINAL_HD_GROUP(x, y, xf, yf)


def test_hd_group_hands_unusual_input_to_plotext() -> None:
    # floats and mixed marker sizes are not what plotext gives it, but the answer is plotext's
    for args in (([1.5, 3.0], [2.0, 7.0], [2, 2], [4, 4]), ([1, 2], [3, 4], [2, 1], [4, 1])):
        assert plotext_fast.hd_group(*args) == plotext_fast._ORIGINAL_HD_GROUP(*args)


def test_install_replaces_plotexts_hd_group() -> None:
    import plotext._utility

    plotext_fast.install()
    assert plotext._utility.hd_group is plotext_fast.hd_group
