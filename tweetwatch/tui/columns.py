"""Fixed-width text columns: the panels' tables, laid out by hand.

Rich's `Table` measures every cell of every column (and Textual measures a widget's
renderable again to find its height), which cost the counters and keyword panels ~60 ms
per refresh at 120x40. Their shapes are known in advance (one line per row, no wrapping),
so they are laid out here in one pass: each cell is cut to its column's width with an
ellipsis and padded, and the panel is one `Text` with a line per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Self

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

LEFT, RIGHT = "left", "right"


def fit(cell: Text | str, width: int, justify: str = LEFT, style: str = "") -> Text:
    """`cell` cut to `width` cells (ending in `…` when cut) and padded to exactly `width`."""
    text = Text(cell, style=style) if isinstance(cell, str) else cell.copy()
    if width <= 0:
        return Text()
    text.truncate(width, overflow="ellipsis")
    text.align(RIGHT if justify == RIGHT else LEFT, width)
    return text


def row(cells: Sequence[Text | str], widths: Sequence[int], justify: Sequence[str], gap: int = 2) -> Text:
    """One line: the cells fitted to their widths, `gap` spaces apart."""
    line = Text(no_wrap=True, overflow="crop")
    for index, (cell, width, how) in enumerate(zip(cells, widths, justify)):
        if index:
            line.append(" " * gap)
        size = _cell_len(cell)
        if size > width:
            line.append_text(fit(cell, width, how))
        elif how == RIGHT:
            line.append(" " * (width - size))
            line.append(cell)
        else:
            line.append(cell)
            line.append(" " * (width - size))
    return line


def widths_for(rows: Sequence[Sequence[Text | str]], *, total: int, flex: int | Sequence[int],
               flex_min: int, gap: int = 2, weights: Sequence[int] | None = None) -> list[int]:
    """Column widths for `rows` within `total` cells.

    Every column gets its widest cell; when that is too wide the `flex` column(s) give up
    width, widest first, down to `flex_min`; spare width is shared among the columns in
    proportion to `weights` (default: equally; widening right-aligned numbers spreads them
    over the panel as an expanded table does).
    """
    flexible = [flex] if isinstance(flex, int) else list(flex)
    count = max((len(r) for r in rows), default=0)
    natural = [max((_cell_len(r[c]) for r in rows if c < len(r)), default=0) for c in range(count)]
    widths = list(natural)
    spare = total - sum(widths) - gap * (count - 1)
    while spare < 0:
        widest = max(flexible, key=lambda c: widths[c])
        if widths[widest] <= flex_min:
            break
        widths[widest] -= 1
        spare += 1
    if spare > 0 and count:
        weights = list(weights) if weights is not None else [1] * count
        whole = sum(weights) or 1
        given = [spare * w // whole for w in weights]
        given[flexible[0]] += spare - sum(given)
        for c in range(count):
            widths[c] += given[c]
    return widths


def _cell_len(cell: Text | str) -> int:
    return cell.cell_len if isinstance(cell, Text) else len(cell)


class _Lines(NamedTuple):
    outer: Size
    content: Sequence[Text | Strip] | None
    """The lines as given (None when a renderable was rendered whole)."""
    strips: list[Strip | None]
    """The lines as strips, converted so far."""
    width: int
    base: Style
    key: object


class TextLines(Widget):
    """A widget drawn from lines of `Text` through Textual's line API.

    Subclasses implement `content_lines(width, height)`: a list with one `Text` or `Strip`
    per row (already fitted), or any Rich renderable (rendered by Rich at `width`). The
    strips are made once per refresh and size and handed out row by row, skipping Textual's
    generic path (convert to `Content`, wrap, style every span again), which cost more than
    building the lines. Any `refresh()` (new data, focus, style change) drops them, unless
    `content_key()` says the content is the same.
    """

    _lines_cache: _Lines | None = None
    _lines_stale = False
    _lines_drawn = False
    """Whether Textual has drawn rows of `_lines_cache` (it never draws a hidden panel's)."""

    def content_lines(self, width: int, height: int) -> Sequence[Text | Strip] | RenderableType:
        raise NotImplementedError

    def content_key(self) -> object:
        """What the lines depend on besides size and style, for a subclass that can tell
        cheaply: a refresh with an equal key (only the border title changed, say) keeps the
        lines. None (the default): every refresh makes them anew."""
        return None

    def refresh(self, *args: Any, **kwargs: Any) -> Self:
        self._lines_stale = True
        return super().refresh(*args, **kwargs)

    def refresh_lines(self, *, layout: bool = False) -> None:
        """New content: repaint only the rows that differ from the ones on screen. Textual
        then renders and sends just those rows (a `refresh()` renders every row of the
        panel, borders included, and the terminal gets them all again): the chart's rows
        left of the newest bucket, a table's headings stay. Falls back to `refresh()` when
        the rows on screen are not known (not drawn since the last refresh, hidden: a
        hidden panel then costs nothing per refresh), the size or style changed, or
        `layout` says the panel's height changes (then `refresh(layout=True)`)."""
        shown = self._lines_cache
        if (
            layout
            or shown is None
            or self._lines_stale
            or not self._lines_drawn
            or shown.outer != self.outer_size
            or shown.width != self.content_size.width
            or shown.base != self.rich_style
        ):
            self.refresh(layout=layout)
            return
        fresh = self._make_lines()
        changed = _changed_rows(shown, fresh)
        self._lines_cache = fresh
        if changed:
            self._lines_drawn = False
            width = fresh.width
            super().refresh(*(Region(0, y, width, n) for y, n in changed))

    def _lines(self) -> _Lines:
        cached = self._lines_cache
        outer = self.outer_size
        if cached is not None and cached.outer == outer:
            if not self._lines_stale:
                return cached
            key = self.content_key()
            if (
                key is not None
                and key == cached.key
                and self.rich_style == cached.base
                and self.content_size.width == cached.width
            ):
                self._lines_stale = False
                return cached
        cached = self._lines_cache = self._make_lines()
        self._lines_stale = False
        return cached

    def _make_lines(self) -> _Lines:
        width, height = self.content_size
        base = self.rich_style
        key = self.content_key()
        content = self.content_lines(max(width, 1), height)
        if isinstance(content, list):
            return _Lines(self.outer_size, content, [None] * len(content), width, base, key)
        console = self.app.console
        lines = console.render_lines(content, console.options.update(width=max(width, 1), height=None),
                                     pad=False, new_lines=False)
        strips: list[Strip | None] = [styled_strip(s, Segment.get_line_length(s), base, width) for s in lines]
        return _Lines(self.outer_size, None, strips, width, base, key)

    def render_line(self, y: int) -> Strip:
        _outer, content, strips, width, base, _key = self._lines()
        self._lines_drawn = True
        if y >= len(strips):
            return Strip.blank(width, base)
        strip = strips[y]
        if strip is None:  # converted when first shown: a scrolled feed draws only what is visible
            assert content is not None
            line = content[y]
            if isinstance(line, Strip):
                strip = styled_strip(line, line.cell_length, base, width)
            else:
                strip = styled_strip(line.render(self.app.console), line.cell_len, base, width)
            strips[y] = strip
        return strip


def set_border_text(widget: Widget, *, title: str | None = None, subtitle: str | None = None) -> None:
    """Set the border title / subtitle given, only where it differs: Textual repaints the
    whole widget whenever one is set, even to the same text, which would undo repainting
    only the changed rows."""
    if title is not None and widget.border_title != title:
        widget.border_title = title
    if subtitle is not None and widget.border_subtitle != subtitle:
        widget.border_subtitle = subtitle


def _changed_rows(shown: _Lines, fresh: _Lines) -> list[tuple[int, int]]:
    """Runs of rows `(first, count)` where `fresh` differs from `shown`; rows that are the
    same take over `shown`'s strips (converted once, and Textual's per-strip caches with
    them)."""
    old_rows: Sequence[Text | Strip | None] = shown.content if shown.content is not None else shown.strips
    new_rows: Sequence[Text | Strip | None] = fresh.content if fresh.content is not None else fresh.strips
    changed: list[tuple[int, int]] = []
    for y in range(max(len(old_rows), len(new_rows))):
        if y < len(old_rows) and y < len(new_rows) and _same_row(old_rows[y], new_rows[y]):
            fresh.strips[y] = shown.strips[y]
            continue
        first, count = changed[-1] if changed else (-1, 0)
        if first + count == y:  # the row below a changed run: the run grows
            changed[-1] = (first, count + 1)
        else:
            changed.append((y, 1))
    return changed


def _same_row(old: Text | Strip | None, new: Text | Strip | None) -> bool:
    """Whether two rows draw the same. `Text.__eq__` leaves out the base style, so it is
    compared here as well."""
    if old is new:
        return True
    if isinstance(old, Text) and isinstance(new, Text):
        return old.plain == new.plain and old.style == new.style and old.spans == new.spans
    if isinstance(old, Strip) and isinstance(new, Strip):
        return old == new
    return False


def styled_strip(segments: Iterable[Segment], length: int, base: Style, width: int) -> Strip:
    """`Strip(segments, length).apply_style(base).adjust_cell_length(width, base)` made as
    one Strip (a Strip is costly to make: it sets up seven caches), the styles added in one
    pass: every line of every panel goes through here on each refresh."""
    if not base:  # apply_style leaves the segments as they are
        styled = list(segments)
    else:
        add = base.__add__
        styled = [Segment(text, None if control else add(style), control) for text, style, control in segments]
    if length > width:
        return Strip(styled, length).adjust_cell_length(width, base)
    if length < width:
        styled.append(Segment(" " * (width - length), base))
    return Strip(styled, width)
