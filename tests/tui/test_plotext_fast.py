"""The plotext shortcuts give what plotext itself gives: the same cells and colours as the
rows of `Text.from_ansi(figure.build())`, and each replaced plotext internal (`hd_group`,
`get_lines`, ...) the same result as plotext's own on the kind of input plotext gives it,
and on odd input too (which goes to plotext's own)."""

from __future__ import annotations

import copy
import io
import math
import random

from collections.abc import Callable
from typing import Any

import plotext._matrix
import plotext._utility
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
    """`draw` as plotext alone would do it: all its own functions (none of the replacements),
    and finished the way textual-plotext does (ANSI out, parsed back in)."""
    captured: list[Plot] = []
    original_init = Plot.__init__

    def keep(self: Plot, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        captured.append(self)

    Plot.__init__ = keep  # type: ignore[method-assign]
    plotext_fast.uninstall()
    try:
        assert_plotexts_own()
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
    fast = as_text(draw(job)[:-1])  # the last row is the legend, not plotext's
    slow = plotext_own(job)
    assert fast.plain == slow.plain
    assert styled(fast) == styled(slow)


def test_mood_chart_with_negative_values_equals_plotext_ansi() -> None:
    data = chart(60, seed=3)
    lines = tuple(ChartLine(line.label, line.color, tuple(v / 50 - 1 for v in line.values)) for line in data.lines)
    job = DrawJob(ChartData("mean compound", 1.0, 1_700_000_000, 60, lines), 100, 16, "clear", "braille", mood=True)
    assert styled(as_text(draw(job)[:-1])) == styled(plotext_own(job))


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


REPLACED = {
    (plotext._utility, "hd_group"): plotext_fast._ORIGINAL_HD_GROUP,
    (plotext._utility, "get_lines"): plotext_fast._ORIGINAL_GET_LINES,
    (plotext._utility, "get_matrix_data"): plotext_fast._ORIGINAL_GET_MATRIX_DATA,
    (plotext._utility, "remove_outsiders"): plotext_fast._ORIGINAL_REMOVE_OUTSIDERS,
    (plotext._utility, "brush"): plotext_fast._ORIGINAL_BRUSH,
    (plotext._utility, "join"): plotext_fast._ORIGINAL_JOIN,
    (plotext._utility, "get_hd_marker"): plotext_fast._ORIGINAL_GET_HD_MARKER,
    (plotext._matrix.matrix_class, "set_matrices"): plotext_fast._ORIGINAL_SET_MATRICES,
    (plotext._matrix.matrix_class, "insert_element"): plotext_fast._ORIGINAL_INSERT_ELEMENT,
}


def assert_plotexts_own() -> None:
    for (owner, name), original in REPLACED.items():
        assert getattr(owner, name) is original, name
        assert original.__module__.startswith("plotext"), name


def test_install_replaces_and_uninstall_restores_every_replacement() -> None:
    assert {(owner, name) for owner, name, _, _ in plotext_fast._replacements()} == set(REPLACED)
    for _ in range(2):  # idempotent
        plotext_fast.install()
        for owner, name, _, fast in plotext_fast._replacements():
            assert getattr(owner, name) is fast is getattr(plotext_fast, name)
    try:
        plotext_fast.uninstall()
        assert_plotexts_own()
    finally:
        plotext_fast.install()


def outcome(function: Callable[..., Any], *args: Any) -> tuple[str, str]:
    """What a call gives: its result (repr: types and order count, and NaN equals NaN) or
    the type of its exception."""
    try:
        return "result", repr(function(*args))
    except Exception as exc:  # noqa: BLE001 (the same failure is the same result)
        return "error", type(exc).__name__


def same_as_plotext(fast: Callable[..., Any], original: Callable[..., Any], *args: Any) -> None:
    mine, theirs = copy.deepcopy(args), copy.deepcopy(args)
    assert outcome(fast, *mine) == outcome(original, *theirs)
    assert repr(mine) == repr(theirs)  # neither changed its input, or both the same way


# Canvas coordinates as plotext computes them (ints), now and then something else.
NAN = math.nan
odd_values = st.sampled_from([None, NAN, 1.5, -0.5, "2021-01-01", True])
coordinate = st.integers(-50, 400)
coordinates = st.one_of(
    st.lists(coordinate, max_size=120),
    st.lists(st.one_of(coordinate, odd_values), max_size=12),
    st.sampled_from([[], [0], [3, 3], [0, 400], [-7, 5, -7]]),
)
markers = st.sampled_from(["braille", "hd", "fhd", "dot", "*"])
colours = st.sampled_from(["default", "cyan", "magenta+", (255, 0, 10), 33])
styles = st.sampled_from(["default", "bold", "italic"])


@st.composite
def lines_input(draw: st.DrawFn) -> tuple[Any, ...]:
    """x, y and the markers, colours and styles of each point, mostly of one length."""
    x = draw(coordinates)
    n = len(x)
    if draw(st.integers(0, 9)) == 0:  # lengths that do not match
        y, m, c, s = (draw(st.lists(coordinate, max_size=n + 2)) for _ in range(4))
        return x, y, m, c, s
    y = draw(st.lists(st.one_of(coordinate, odd_values) if draw(st.booleans()) else coordinate, min_size=n, max_size=n))
    m = draw(st.lists(markers, min_size=n, max_size=n) | st.just([draw(markers)] * n))
    c = draw(st.lists(colours, min_size=n, max_size=n) | st.just([draw(colours)] * n))
    s = draw(st.lists(styles, min_size=n, max_size=n) | st.just([draw(styles)] * n))
    return x, y, m, c, s


@settings(max_examples=400, deadline=None)
@given(args=lines_input())
def test_get_lines_equals_plotext(args: tuple[Any, ...]) -> None:
    same_as_plotext(plotext_fast.get_lines, plotext_fast._ORIGINAL_GET_LINES, *args)
    # the lines alone, and with one list of markers: other counts of `other`
    same_as_plotext(plotext_fast.get_lines, plotext_fast._ORIGINAL_GET_LINES, *args[:2])
    same_as_plotext(plotext_fast.get_lines, plotext_fast._ORIGINAL_GET_LINES, *args[:3])


def test_get_lines_known_cases() -> None:
    # steep, flat, diagonal, backwards, a single point, slopes with inexact floats
    # and coordinates too big for floats to hold exactly (plotext's own does those)
    big = 2**53
    for x, y in (
        ([0, 3, 3, 10, 4], [0, 17, 2, 9, 9]),
        ([5], [7]),
        ([0, 7, 14], [0, 3, 29]),
        ([1, 0], [-3, 4]),
        ([big, big + 5, big - 3], [-big, -big + 2, -big - 7]),
    ):
        n = len(x)
        args = (x, y, ["braille"] * n, ["cyan"] * n, ["default"] * n)
        assert plotext_fast.get_lines(*args) == plotext_fast._ORIGINAL_GET_LINES(*args)


def test_get_lines_every_slope() -> None:
    # lines of every slope up to 56 steps long, both ways, out from and back to x0: whether
    # a point of a line is truncated to j - 1 or j can depend on the last bit of plotext's
    # float arithmetic
    for x0 in (0, -7):
        x, y = [x0], [0]
        for a in range(2, 57):
            for d in range(-a + 1, a):
                x += [x0 + d, x0]
                y += [a, 0]
        n = len(x)
        for args in ((x, y, ["braille"] * n), (y, x, ["braille"] * n)):
            assert plotext_fast.get_lines(*args) == plotext_fast._ORIGINAL_GET_LINES(*args)


data_values = st.one_of(
    st.lists(st.integers(-1000, 1000), max_size=60),
    st.lists(st.floats(-1e6, 1e6) | st.just(NAN), max_size=60),
    st.lists(st.one_of(st.integers(-5, 5), st.floats(allow_nan=True), odd_values), max_size=8),
)
limits = st.one_of(
    st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)),
    st.tuples(st.integers(-100, 100), st.integers(-100, 100)),
    st.sampled_from([(0, 1), (0.0, 59.0), (None, 3.0), (2.0, 2.0), [-1, 1], [4], (0, True), (0, 1, 9)]),
)


@settings(max_examples=400, deadline=None)
@given(data=data_values, lim=limits, bins=st.integers(0, 500) | st.sampled_from([1.0, 2.5]))
def test_get_matrix_data_equals_plotext(data: list[Any], lim: Any, bins: Any) -> None:
    same_as_plotext(plotext_fast.get_matrix_data, plotext_fast._ORIGINAL_GET_MATRIX_DATA, data, lim, bins)


def test_get_matrix_data_rounding_cases() -> None:
    # values whose scaled coordinate lands next to a whole number (plotext rounds to 8 digits)
    data = [i / 10 for i in range(0, 101)] + [1 / 3, 2 / 3, 0.1 + 0.2, 59, 58.99999999, 59.000000001]
    for lim, bins in (([0, 10], 216), ([0.0, 59.0], 216), ([-1, 1], 88), ([0.3, 0.7], 3)):
        fast = plotext_fast.get_matrix_data(data, lim, bins)
        assert fast == plotext_fast._ORIGINAL_GET_MATRIX_DATA(data, lim, bins)
        assert {type(v) for v in fast} == {int}
    # values whose coordinate is half a rounding step below a whole number j: whether it is
    # j - 1 or j depends on the last bit of plotext's arithmetic, which must be the same
    rng = random.Random(7)
    for _ in range(300):
        low = rng.uniform(-100, 100)
        lim = [low, low + rng.uniform(0.01, 500)]
        bins = rng.randrange(2, 400)
        span, steps = lim[1] - lim[0], bins - 1
        data = [low + (j - 0.5e-8 - 0.5) * span / steps for j in range(1, bins)]
        assert plotext_fast.get_matrix_data(data, lim, bins) == plotext_fast._ORIGINAL_GET_MATRIX_DATA(data, lim, bins)


@st.composite
def outsiders_input(draw: st.DrawFn) -> tuple[Any, ...]:
    x = draw(coordinates)
    n = len(x)
    y = draw(st.lists(coordinate, min_size=n, max_size=n) if draw(st.integers(0, 9)) else st.lists(coordinate, max_size=n + 2))
    extra = draw(st.integers(-1, 30))  # plotext's colours and styles are longer than x here
    m = draw(st.lists(markers, min_size=n, max_size=n))
    c = draw(st.lists(colours, min_size=max(n + extra, 0), max_size=max(n + extra, 0)))
    s = draw(st.lists(styles, min_size=max(n + extra, 0), max_size=max(n + extra, 0)))
    return x, y, draw(st.integers(-2, 300)), draw(st.integers(-2, 120)), m, c, s


@settings(max_examples=400, deadline=None)
@given(args=outsiders_input())
def test_remove_outsiders_equals_plotext(args: tuple[Any, ...]) -> None:
    same_as_plotext(plotext_fast.remove_outsiders, plotext_fast._ORIGINAL_REMOVE_OUTSIDERS, *args)
    same_as_plotext(plotext_fast.remove_outsiders, plotext_fast._ORIGINAL_REMOVE_OUTSIDERS, *args[:4])
    x, y, width, height, *other = args
    same_as_plotext(plotext_fast.remove_outsiders, plotext_fast._ORIGINAL_REMOVE_OUTSIDERS, x, y, 1.0 * width, height, *other)


def test_remove_outsiders_edges() -> None:
    # every point on and next to the canvas edges, and colours longer than x as plotext has them
    for width, height in ((5, 3), (1, 1), (0, 4), (-1, 2)):
        points = [(x, y) for x in range(-2, width + 3) for y in range(-2, height + 3)]
        x, y = [p[0] for p in points], [p[1] for p in points]
        n = len(x)
        args = (x, y, width, height, ["⣿"] * n, ["cyan"] * (n + 4), ["bold"] * (n + 4))
        assert plotext_fast.remove_outsiders(*args) == plotext_fast._ORIGINAL_REMOVE_OUTSIDERS(*args)


@settings(max_examples=400, deadline=None)
@given(
    lists=st.lists(st.lists(st.integers(0, 6) | st.sampled_from(["a", "b", (1, 2), NAN, None]), max_size=40), max_size=6),
    as_tuple=st.booleans(),
)
def test_brush_equals_plotext(lists: list[list[Any]], as_tuple: bool) -> None:
    args = [tuple(values) if as_tuple and i == 0 else values for i, values in enumerate(lists)]
    same_as_plotext(plotext_fast.brush, plotext_fast._ORIGINAL_BRUSH, *args)


def test_brush_of_a_drawing_equals_plotext() -> None:
    n = 2000
    rng = random.Random(5)
    x = [rng.randrange(200) for _ in range(n)]
    y = [rng.randrange(80) for _ in range(n)]
    args = (x, y, ["braille"] * n, ["cyan"] * (n + 50), ["default"] * (n + 50))
    assert plotext_fast.brush(*args) == plotext_fast._ORIGINAL_BRUSH(*args)


nested = st.recursive(
    st.integers(0, 9) | st.sampled_from([None, "ab", (1, 2), {"k": 1}, NAN]),
    lambda children: st.lists(children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(data=st.lists(nested, max_size=6) | nested)
def test_join_equals_plotext(data: Any) -> None:
    same_as_plotext(plotext_fast.join, plotext_fast._ORIGINAL_JOIN, data)


hd_codes = sorted({*plotext._utility.hd_codes, *plotext._utility.fhd_codes, *plotext._utility.braille_codes})


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from(hd_codes) | st.tuples(st.integers(0, 1), st.integers(0, 1)) | st.sampled_from([(), (2,) * 4]))
def test_get_hd_marker_equals_plotext(code: tuple[int, ...]) -> None:
    same_as_plotext(plotext_fast.get_hd_marker, plotext_fast._ORIGINAL_GET_HD_MARKER, code)
    same_as_plotext(plotext_fast.get_hd_marker, plotext_fast._ORIGINAL_GET_HD_MARKER, code)  # known now


def matrices(matrix: Any) -> tuple[Any, ...]:
    return matrix.marker, matrix.fullground, matrix.style, matrix.background


@st.composite
def matrix_pair(draw: st.DrawFn) -> tuple[Any, Any]:
    """Two equal plotext matrices (size, canvas area, colours), matrices not set yet."""
    cols, rows = draw(st.integers(0, 30)), draw(st.integers(0, 12))
    area = [draw(st.integers(-3, 33)) for _ in range(4)]
    axes, canvas = draw(colours), draw(colours)
    pair = []
    for _ in range(2):
        matrix = plotext._matrix.matrix_class()
        matrix.set_size(cols, rows)
        matrix.set_canvas_area(*area)
        matrix.set_axes_color(axes)
        matrix.set_canvas_color(canvas)
        pair.append(matrix)
    return pair[0], pair[1]


@settings(max_examples=300, deadline=None)
@given(pair=matrix_pair())
def test_set_matrices_equals_plotext(pair: tuple[Any, Any]) -> None:
    fast, theirs = pair
    plotext_fast.set_matrices(fast)
    plotext_fast._ORIGINAL_SET_MATRICES(theirs)
    assert matrices(fast) == matrices(theirs)
    # rows are lists of their own (plotext writes into them cell by cell)
    for grid in matrices(fast):
        assert len({id(row) for row in grid}) == len(grid)


element = st.tuples(
    st.integers(-3, 33),
    st.integers(-3, 14),
    st.sampled_from(["x", "⣿", "─"]),
    st.none() | colours,
    st.none() | styles,
    st.none() | colours,
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(pair=matrix_pair(), elements=st.lists(element, max_size=40))
def test_insert_element_equals_plotext(pair: tuple[Any, Any], elements: list[tuple[Any, ...]]) -> None:
    fast, theirs = pair
    for matrix in pair:
        plotext_fast._ORIGINAL_SET_MATRICES(matrix)
    for col, row, marker, fullground, style, background, check_canvas in elements:
        plotext_fast.insert_element(fast, col, row, marker, fullground, style, background, check_canvas)
        plotext_fast._ORIGINAL_INSERT_ELEMENT(theirs, col, row, marker, fullground, style, background, check_canvas)
        assert matrices(fast) == matrices(theirs)
    plotext_fast.insert_element(fast, 0, 0, "y")  # plotext's defaults
    plotext_fast._ORIGINAL_INSERT_ELEMENT(theirs, 0, 0, "y")
    assert matrices(fast) == matrices(theirs)
