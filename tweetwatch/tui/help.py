"""Help screen generated from the command table, so it always matches the bindings."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tweetwatch.tui.commands import COMMANDS, Command


def help_table(commands: tuple[Command, ...] = COMMANDS) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for cmd in commands:
        table.add_row(Text(cmd.key_display), Text(cmd.description))
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every key; escape or ? closes it."""

    BINDINGS = [Binding("escape,question_mark", "dismiss", "Close help", show=False)]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:  # scrolls (arrows, PageDown, End) below 24 rows
            box.border_title = "keys"
            box.border_subtitle = "escape or ? to close"
            yield Static(help_table(), id="help-keys")
            yield Static(
                Text(
                    "Panels freeze while paused; reads continue, and the newest data "
                    "appears on resume. Everything works from the keyboard.",
                    style="dim",
                ),
                id="help-notes",
            )
