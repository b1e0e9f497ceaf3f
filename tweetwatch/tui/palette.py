"""Topic colours shared by the chart, its legend and the tables.

Explicit colours rather than ANSI names: Textual maps the ANSI names through its theme, where
red and magenta are the same pink and plotext does not know `yellow` at all (its name for
ANSI 3 is `orange`), so the second and fifth topics looked alike and the third was drawn in
the colour of the overall line. These are distinct in true colour and in 256 colours, and
Rich turns the first six into six different bright ANSI colours for a 16-colour terminal
(`--colors 16`); the seventh and eighth share a colour there with the third and the
terminal's white. They are light enough to read on a dark background, and stay apart in
grey (`NO_COLOR`).
"""

from __future__ import annotations

ALL_COLOR = "default"
"""The overall line uses the terminal's own foreground colour."""

TOPIC_COLORS: tuple[str, ...] = (
    "#5fd7d7",  # cyan
    "#d75fd7",  # magenta
    "#d7d75f",  # yellow
    "#87d75f",  # green
    "#ff5f5f",  # red
    "#5f87ff",  # blue
    "#ffaf5f",  # orange
    "#af87ff",  # violet
)


def topic_color(index: int) -> str:
    """Colour of the topic at `index` in `Snapshot.topics` (cycles after eight topics)."""
    return TOPIC_COLORS[index % len(TOPIC_COLORS)]


def plotext_color(color: str) -> str | tuple[int, int, int]:
    """`color` as plotext takes it: an RGB tuple for `#rrggbb`, else the name."""
    if color.startswith("#") and len(color) == 7:
        return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))
    return color
