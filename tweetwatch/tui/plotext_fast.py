"""Shortcuts around plotext's slowest steps, with the same result (tests compare them).

plotext draws a chart into a matrix of cells (marker, colour, style, background), then
`build()` writes that matrix out as one ANSI string, which Textual's wrapper parses back into
a Rich `Text`. For a 118x22 chart of three lines that was ~60% of the drawing time:

* `matrix_strips` turns the matrix into the rows Textual draws (runs of equal colours become
  one segment), skipping the ANSI round trip and Rich's rendering of the parsed text;
* `install()` puts faster equivalents in place of some of plotext's own internals (plotext is
  pinned below 6; `_build.py` looks them up as `ut.name` / `self.matrix.name` at call time):

  - `hd_group`, the grouping of sub-cell points into braille/quadrant cells, which built a
    small nested list per point and flattened it recursively: one bit mask per cell here;
  - `get_lines`, the points of the straight lines between data points (a call of
    `get_line`, `linspace`, `join` and `all_numerical` per pair of points): one loop, the
    same float arithmetic;
  - `get_matrix_data` (data to canvas coordinates) and `remove_outsiders` (points off the
    canvas): one loop, no lambda or `range` object per point;
  - `brush` (points without repeats) without its copies of the lists on the way, `join`
    (flattening) without a call per list of plain values, and `get_hd_marker` as a dict
    lookup instead of plotext's memo class;
  - `matrix_class.set_matrices` (a lambda and `in_canvas` call per cell for its background)
    and `matrix_class.insert_element` (four method calls per cell written).

  Each takes the inputs plotext gives it when drawing lines of numbers; anything else
  (None or strings in the data, NaN, lists of unequal length, ...) goes to the original,
  kept in an `_ORIGINAL_*` constant (`uninstall()` puts them all back).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from itertools import groupby
from typing import Any

import plotext._matrix as plotext_matrix
import plotext._utility as plotext_utility
from rich.ansi import AnsiDecoder
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

_ORIGINAL_HD_GROUP: Callable[..., Any] = plotext_utility.hd_group
_ORIGINAL_GET_LINES: Callable[..., Any] = plotext_utility.get_lines
_ORIGINAL_GET_MATRIX_DATA: Callable[..., Any] = plotext_utility.get_matrix_data
_ORIGINAL_REMOVE_OUTSIDERS: Callable[..., Any] = plotext_utility.remove_outsiders
_ORIGINAL_BRUSH: Callable[..., Any] = plotext_utility.brush
_ORIGINAL_JOIN: Callable[..., Any] = plotext_utility.join
_ORIGINAL_GET_HD_MARKER: Callable[..., Any] = plotext_utility.get_hd_marker
_ORIGINAL_SET_MATRICES: Callable[..., Any] = plotext_matrix.matrix_class.set_matrices
_ORIGINAL_INSERT_ELEMENT: Callable[..., Any] = plotext_matrix.matrix_class.insert_element

_SMALL = 1 << 50
"""Integer coordinates below this in size are exact as floats, with room to add to them."""


def install() -> None:
    """Put the replacements below in place of plotext's own functions (idempotent)."""
    for owner, name, _original, fast in _replacements():
        setattr(owner, name, fast)


def uninstall() -> None:
    """Put plotext's own functions back (what plotext alone would draw, for tests)."""
    for owner, name, original, _fast in _replacements():
        setattr(owner, name, original)


def _replacements() -> list[tuple[Any, str, Callable[..., Any], Callable[..., Any]]]:
    """(module or class, attribute, plotext's original, replacement)."""
    matrix_class = plotext_matrix.matrix_class
    return [
        (plotext_utility, "hd_group", _ORIGINAL_HD_GROUP, hd_group),
        (plotext_utility, "get_lines", _ORIGINAL_GET_LINES, get_lines),
        (plotext_utility, "get_matrix_data", _ORIGINAL_GET_MATRIX_DATA, get_matrix_data),
        (plotext_utility, "remove_outsiders", _ORIGINAL_REMOVE_OUTSIDERS, remove_outsiders),
        (plotext_utility, "brush", _ORIGINAL_BRUSH, brush),
        (plotext_utility, "join", _ORIGINAL_JOIN, join),
        (plotext_utility, "get_hd_marker", _ORIGINAL_GET_HD_MARKER, get_hd_marker),
        (matrix_class, "set_matrices", _ORIGINAL_SET_MATRICES, set_matrices),
        (matrix_class, "insert_element", _ORIGINAL_INSERT_ELEMENT, insert_element),
    ]


def _small_ints(values: list[Any]) -> bool:
    """Only `int`s (not bools), each of size below `_SMALL`; `values` not empty."""
    return set(map(type, values)) == {int} and -_SMALL < min(values) and max(values) < _SMALL


def hd_group(
    x: Sequence[Any], y: Sequence[Any], xf: Sequence[int], yf: Sequence[int]
) -> tuple[list[Any], list[Any], list[tuple[int, ...]]]:
    """Cells of the sub-cell points (x[i], y[i]) with the marker pattern of each, in order
    of first appearance: what `plotext._utility.hd_group` returns, for the inputs plotext
    gives it when one line has one marker."""
    n = len(x)
    if (
        n == 0
        or len(y) != n
        or len(xf) != n
        or len(yf) != n
        or xf[0] not in (1, 2)
        or yf[0] not in (1, 2, 3, 4)
        or xf.count(xf[0]) != n
        or yf.count(yf[0]) != n
        or set(map(type, x)) != {int}
        or set(map(type, y)) != {int}
    ):
        return _ORIGINAL_HD_GROUP(x, y, xf, yf)  # type: ignore[no-any-return]
    fx, fy = xf[0], yf[0]
    cells: dict[tuple[int, int], int] = {}
    get = cells.get
    top = fy - 1
    for xi, yi in zip(x, y):
        key = (xi // fx, yi // fy)
        # plotext lists a cell's dots top row first, left to right
        cells[key] = get(key, 0) | 1 << ((top - yi % fy) * fx + xi % fx)
    patterns = _patterns(fx, fy)
    return [k[0] for k in cells], [k[1] for k in cells], [patterns[m] for m in cells.values()]


@cache
def _patterns(fx: int, fy: int) -> tuple[tuple[int, ...], ...]:
    """Bit mask -> plotext's 0/1 tuple for a cell of fx by fy dots."""
    size = fx * fy
    return tuple(tuple((mask >> i) & 1 for i in range(size)) for mask in range(1 << size))


def get_lines(x: list[Any], y: list[Any], *other: list[Any]) -> list[list[Any]]:
    """The points of the lines from (x[i], y[i]) to (x[i+1], y[i+1]), with the markers,
    colours and styles (`other`) of each: what `plotext._utility.get_lines` returns, for
    integer canvas coordinates and lists of one length."""
    n = len(x)
    if (
        type(x) is not list
        or type(y) is not list
        or n == 0
        or len(y) != n
        or not other
        or any(type(o) is not list or len(o) != n for o in other)
        or not _small_ints(x)
        or not _small_ints(y)
    ):
        return _ORIGINAL_GET_LINES(x, y, *other)  # type: ignore[no-any-return]
    xl: list[int] = []
    yl: list[int] = []
    counts: list[int] = []
    x0, y0 = x[0], y[0]
    for x1, y1 in zip(x[1:], y[1:]):
        # get_line: a + 1 points from linspace(x0, x1, a + 1) truncated by int(), the last
        # one left out (it starts the next line)
        ax, ay = abs(x1 - x0), abs(y1 - y0)
        a = ax if ax > ay else ay
        counts.append(a)
        if a:
            xl.extend(_line_steps(x0, x1, a))
            yl.extend(_line_steps(y0, y1, a))
        x0, y0 = x1, y1
    xl.append(x[-1])
    yl.append(y[-1])
    lines: list[list[Any]] = [xl, yl]
    for values in other:
        out: list[Any] = []
        for value, count in zip(values, counts):
            if count:
                out += [value] * count
        out.append(values[-1])
        lines.append(out)
    return lines


def _line_steps(start: int, end: int, steps: int) -> Sequence[int]:
    """One axis of plotext's `get_line`: the first `steps` of `steps + 1` points from
    `start` to `end` (`linspace`), truncated by `int()`; `steps` >= |end - start|, > 0."""
    delta = end - start
    if delta == steps or delta == -steps:  # slope exactly +-1.0: start + k * slope is start +- k
        return range(start, end, 1 if delta > 0 else -1)
    if delta == 0:
        return [start] * steps
    slope = delta / steps
    return [int(start + k * slope) for k in range(steps)]


_SCALE = 10**8
_UNSCALE = 10 ** (-8)
"""plotext's `round(n, 8)`: `n *= 10 ** d` ... `r * 10 ** (-d)`."""


def get_matrix_data(data: list[Any], lim: Sequence[Any], bins: int) -> list[Any]:
    """Canvas coordinates of `data` for axis limits `lim` and `bins` cells: what
    `plotext._utility.get_matrix_data` returns, for numbers (NaN kept as it is)."""
    if (
        type(bins) is not int
        or type(data) is not list
        or not data
        or type(lim) not in (list, tuple)
        or len(lim) < 2
        or not {type(lim[0]), type(lim[1])} <= {int, float}
        or not set(map(type, data)) <= {int, float}
    ):
        return _ORIGINAL_GET_MATRIX_DATA(data, lim, bins)  # type: ignore[no-any-return]
    low, span, steps = lim[0], lim[1] - lim[0], bins - 1
    floor, ceil = math.floor, math.ceil
    out: list[Any] = []
    for el in data:
        if el != el:  # NaN: not `numerical`, left as it is
            out.append(el)
            continue
        # math.floor(round(change(el), 8)) with plotext's `round` and `change`, written out
        n = (0.5 + steps * (el - low) / span) * _SCALE
        f = floor(n)
        out.append(floor((f if n - f < 0.5 else ceil(n)) * _UNSCALE))
    return out


def remove_outsiders(x: list[Any], y: list[Any], width: int, height: int, *other: list[Any]) -> list[list[Any]]:
    """The points (and their `other` values) with 0 <= x < width and 0 <= y < height: what
    `plotext._utility.remove_outsiders` returns, for integer coordinates. plotext gives it
    colours and styles longer than x (they are not grouped with the markers): like plotext,
    the first len(x) are used."""
    n = len(x)
    if (
        type(x) is not list
        or type(y) is not list
        or type(width) is not int
        or type(height) is not int
        or n == 0
        or len(y) != n
        or not other
        or any(type(o) is not list or len(o) < n for o in other)
        or set(map(type, x)) != {int}
        or set(map(type, y)) != {int}
    ):
        return _ORIGINAL_REMOVE_OUTSIDERS(x, y, width, height, *other)  # type: ignore[no-any-return]
    kept = [i for i, (xi, yi) in enumerate(zip(x, y)) if 0 <= xi < width and 0 <= yi < height]
    if not kept:
        return [[]] * (2 + len(other))  # as plotext's `transpose([], n)` gives it
    if len(kept) == n:
        return [x[:], y[:], *(values[:n] for values in other)]
    return [[values[i] for i in kept] for values in (x, y, *other)]


def brush(*lists: Sequence[Any]) -> list[list[Any]]:
    """The points (x[i], y[i], marker[i], ...) without repeats, as lists again: what
    `plotext._utility.brush` returns, in the same order (that of a set of the tuples, made
    as plotext makes it), without its copies of the lists on the way."""
    if not lists or any(type(values) is not list and type(values) is not tuple for values in lists):
        return _ORIGINAL_BRUSH(*lists)  # type: ignore[no-any-return]
    points = set(zip(*lists))  # zip stops at the shortest list, as plotext's slices do
    if not points:
        return [[]] * len(lists)  # as plotext's `transpose([], n)` gives it
    return list(map(list, zip(*points)))


def join(data: Any) -> list[Any]:
    """`data` flattened (lists in it replaced by their elements, recursively): what
    `plotext._utility.join` returns, one level of lists without a call per list."""
    out: list[Any] = []
    for row in data:
        if type(row) == list:  # noqa: E721 (plotext's test)
            if row and list in set(map(type, row)):
                out += join(row)
            else:
                out += row
        else:
            out.append(row)
    return out


class _HdMarkers(dict[Any, Any]):
    """plotext's `get_hd_marker` of each code asked for so far."""

    def __missing__(self, code: Any) -> Any:
        marker = self[code] = _ORIGINAL_GET_HD_MARKER(code)
        return marker


get_hd_marker: Callable[[Any], Any] = _HdMarkers().__getitem__
"""`plotext._utility.get_hd_marker` (a memo of its own in a Python `__call__`): a dict
lookup, plotext's function for a code not seen yet."""


def set_matrices(self: Any) -> None:
    """`plotext._matrix.matrix_class.set_matrices`: empty cells, the canvas area in the
    canvas colour and the rest in the axes colour; a row list made once and copied."""
    space, no_color = plotext_utility.space, plotext_utility.no_color
    cols, rows = self.cols, self.Rows
    self.marker = [[space] * cols for _ in rows]
    self.fullground = [[no_color] * cols for _ in rows]
    canvas, axes, canvas_cols, canvas_rows = self.canvas_color, self.axes_color, self.Cols_canvas, self.Rows_canvas
    inside = [canvas if col in canvas_cols else axes for col in self.Cols]
    outside = [axes] * len(inside)
    self.background = [inside[:] if row in canvas_rows else outside[:] for row in rows]
    self.style = [[no_color] * cols for _ in rows]


def insert_element(
    self: Any,
    col: int,
    row: int,
    marker: Any,
    fullground: Any = None,
    style: Any = None,
    background: Any = None,
    check_canvas: bool = False,
) -> None:
    """`plotext._matrix.matrix_class.insert_element`, its `legal` and `set_*` calls inlined."""
    if (
        col in self.Cols
        and row in self.Rows
        and (check_canvas is False or (col in self.Cols_canvas and row in self.Rows_canvas))
    ):
        self.marker[row][col] = marker
        if fullground is not None:
            self.fullground[row][col] = fullground
        if background is not None:
            self.background[row][col] = background
        if style is not None:
            self.style[row][col] = style


def matrix_strips(matrix: Any) -> list[Strip]:
    """plotext's built matrix (`figure.monitor.matrix` after `_build_matrix()`), one `Strip`
    per row, top first: the rows of `Text.from_ansi(figure.build())`, as segments."""
    strips: list[Strip] = []
    styles = _STYLES
    for row in range(matrix.rows - 1, -1, -1):
        markers = matrix.marker[row]
        segments = []
        start = 0
        for colours, run in groupby(zip(matrix.fullground[row], matrix.style[row], matrix.background[row])):
            end = start + len(list(run))
            try:
                style = styles[colours]
            except KeyError:
                style = styles[colours] = style_of(colours)
            except TypeError:  # an RGB colour given as a list
                style = style_of(colours)
            segments.append(_new_tuple(Segment, ("".join(markers[start:end]), style, None)))
            start = end
        strips.append(Strip(segments))
    return strips


_STYLES: dict[tuple[Any, Any, Any], Style | None] = {}
"""`style_of` of the colours seen so far."""
_new_tuple = tuple.__new__
"""`Segment(text, style)` without the Python-level `__new__` of a NamedTuple."""


def style_of(colours: tuple[Any, Any, Any]) -> Style | None:
    """The Rich style of plotext's (colour, style, background) cell triple."""
    try:
        return _style(colours)
    except TypeError:  # an RGB colour given as a list
        return _style(tuple(tuple(c) if isinstance(c, list) else c for c in colours))


@cache
def _style(colours: tuple[Any, Any, Any]) -> Style | None:
    """The Rich style of plotext's (colour, style, background) triple, as Rich parses the
    escape sequence plotext writes for it."""
    ansi = plotext_utility.colors_to_ansi(*colours)
    if not ansi:
        return None
    spans = AnsiDecoder().decode_line(ansi + "x").spans
    return spans[0].style if spans else None  # type: ignore[return-value]
