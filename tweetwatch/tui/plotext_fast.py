"""Two shortcuts around plotext's slowest steps, with the same result (tests compare them).

plotext draws a chart into a matrix of cells (marker, colour, style, background), then
`build()` writes that matrix out as one ANSI string, which Textual's wrapper parses back into
a Rich `Text`. For a 118x22 chart of three lines that was ~60% of the drawing time:

* `matrix_strips` turns the matrix into the rows Textual draws (runs of equal colours become
  one segment), skipping the ANSI round trip and Rich's rendering of the parsed text;
* `hd_group`, plotext's grouping of sub-cell points into braille/quadrant cells, builds a
  small nested list per point and flattens it recursively; the replacement keeps one bit
  mask per cell. `install()` puts it in place of `plotext._utility.hd_group` (plotext's
  own module-level function; plotext is pinned below 6). Inputs it was not written for
  (mixed marker sizes, non-integer coordinates) go to the original.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from itertools import groupby
from typing import Any

import plotext._utility as plotext_utility
from rich.ansi import AnsiDecoder
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

_ORIGINAL_HD_GROUP: Callable[..., Any] = plotext_utility.hd_group


def install() -> None:
    """Replace plotext's `hd_group` by `hd_group` below (idempotent)."""
    plotext_utility.hd_group = hd_group


def hd_group(
    x: Sequence[Any], y: Sequence[Any], xf: Sequence[int], yf: Sequence[int]
) -> tuple[list[Any], list[Any], list[tuple[int, ...]]]:
    """Cells of the sub-cell points (x[i], y[i]) with the marker pattern of each, in order
    of first appearance: what `plotext._utility.hd_group` returns, for the inputs plotext
    gives it when one line has one marker."""
    if (
        not x
        or len(x) != len(y)
        or min(xf) != max(xf)
        or min(yf) != max(yf)
        or {type(v) for v in x} != {int}
        or {type(v) for v in y} != {int}
    ):
        return _ORIGINAL_HD_GROUP(x, y, xf, yf)  # type: ignore[no-any-return]
    fx, fy = xf[0], yf[0]
    cells: dict[tuple[int, int], int] = {}
    for xi, yi in zip(x, y):
        key = (xi // fx, yi // fy)
        # plotext lists a cell's dots top row first, left to right
        cells[key] = cells.get(key, 0) | 1 << ((fy - 1 - yi % fy) * fx + xi % fx)
    patterns = _patterns(fx, fy)
    return [k[0] for k in cells], [k[1] for k in cells], [patterns[m] for m in cells.values()]


@cache
def _patterns(fx: int, fy: int) -> tuple[tuple[int, ...], ...]:
    """Bit mask -> plotext's 0/1 tuple for a cell of fx by fy dots."""
    size = fx * fy
    return tuple(tuple((mask >> i) & 1 for i in range(size)) for mask in range(1 << size))


def matrix_strips(matrix: Any) -> list[Strip]:
    """plotext's built matrix (`figure.monitor.matrix` after `_build_matrix()`), one `Strip`
    per row, top first: the rows of `Text.from_ansi(figure.build())`, as segments."""
    strips: list[Strip] = []
    for row in range(matrix.rows - 1, -1, -1):
        cells = zip(matrix.marker[row], matrix.fullground[row], matrix.style[row], matrix.background[row])
        runs = groupby(cells, _colours_of)
        strips.append(Strip([Segment("".join([cell[0] for cell in run]), _style_of(colours)) for colours, run in runs]))
    return strips


def _colours_of(cell: tuple[str, Any, Any, Any]) -> tuple[Any, Any, Any]:
    return cell[1], cell[2], cell[3]


def _style_of(colours: tuple[Any, Any, Any]) -> Style | None:
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
