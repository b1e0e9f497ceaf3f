"""Topic colours shared by the chart legend and the tables.

Only the eight basic ANSI names are used: Rich and plotext both understand them and they
survive a 16-colour tmux over SSH, where true-colour-only palettes turn to mud.
"""

from __future__ import annotations

ALL_COLOR = "default"
"""The overall line uses the terminal's own foreground colour."""

TOPIC_COLORS: tuple[str, ...] = ("cyan", "magenta", "yellow", "green", "red", "blue")


def topic_color(index: int) -> str:
    """Colour of the topic at `index` in `Snapshot.topics` (cycles after six topics)."""
    return TOPIC_COLORS[index % len(TOPIC_COLORS)]
