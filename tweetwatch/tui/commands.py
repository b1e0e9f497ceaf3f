"""The one command table behind the key bindings, the help screen and the command palette.

Keeping them in one place (as dolphie does) means a key cannot be bound without being
documented, or documented without being bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    keys: tuple[str, ...]
    """Textual key names, e.g. `plus`, `question_mark`, `ctrl+c`."""
    key_display: str
    """How the keys are written on the help screen."""
    action: str
    """App action name (without the `action_` prefix)."""
    description: str
    palette: bool = True
    """Offer it in the command palette (ctrl+p)."""


COMMANDS: tuple[Command, ...] = (
    Command(("q", "ctrl+c"), "q  ctrl+c", "quit", "Quit"),
    Command(("p", "space"), "p  space", "toggle_pause", "Pause / resume the display"),
    Command(("r",), "r", "refresh_now", "Refresh now"),
    Command(("ctrl+l",), "ctrl+l", "redraw", "Redraw the screen"),
    Command(("plus",), "+", "slower", "Refresh less often (longer interval)"),
    Command(("minus",), "-", "faster", "Refresh more often (shorter interval)"),
    Command(("w",), "w", "cycle_window", "Cycle the time window (1m, 5m, 15m, 1h)"),
    Command(("v",), "v", "cycle_view", "Main panel: chart / live feed / stream mix"),
    Command(("c",), "c", "cycle_cloud", "Keywords: table / word cloud / cloud layout"),
    Command(("right_square_bracket",), "]", "shift_topics(1)", "Keywords: the next topic, when not all fit"),
    Command(("left_square_bracket",), "[", "shift_topics(-1)", "Keywords: the previous topic"),
    Command(("m",), "m", "toggle_mood", "Chart: rates / sentiment per minute"),
    Command(("k",), "k", "drill_down", "Drill into a keyword: trend and recent posts"),
    Command(("z",), "z", "zoom", "Zoom the focused panel (tab moves focus)"),
    Command(("s",), "s", "screenshot", "Save an SVG screenshot to the data directory"),
    Command(("i",), "i", "full_status", "The status bar in full (what it leaves out)"),
    Command(("question_mark",), "?", "help", "Show this help", palette=False),
    Command(("ctrl+p",), "ctrl+p", "command_palette", "Command palette", palette=False),
)


def bindings() -> list[Binding]:
    """Textual bindings for every command; quitting wins over any focused widget."""
    return [
        Binding(
            ",".join(cmd.keys),
            cmd.action,
            cmd.description,
            key_display=cmd.key_display,
            show=False,
            priority=cmd.action == "quit",
        )
        for cmd in COMMANDS
    ]
