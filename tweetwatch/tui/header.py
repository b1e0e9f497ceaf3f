"""One-line header: title and namespace, the rate sparkline, last update and the help hint."""

from __future__ import annotations

from datetime import datetime

from rich.console import RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tweetwatch.sanitize import clean_text
from tweetwatch.store.snapshot import Snapshot
from tweetwatch.tui import format as fmt

NAMESPACE_MAX = 20


class HeaderTitle(Widget):
    """`title namespace`; the title is ours, the namespace comes from the store."""

    snapshot: reactive[Snapshot | None] = reactive(None)

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = title

    def render(self) -> RenderableType:
        text = Text(self._title, style="bold")
        if self.snapshot is not None and self.snapshot.namespace:
            text.append(" " + clean_text(self.snapshot.namespace, NAMESPACE_MAX), style="dim")
        return text


class HeaderInfo(Widget):
    """Wall-clock time of the displayed data (from the app's clock) and the help hint."""

    updated_at: reactive[datetime | None] = reactive(None)

    def render(self) -> RenderableType:
        shown = fmt.DASH if self.updated_at is None else self.updated_at.strftime("%H:%M:%S")
        return Text.assemble(("updated ", "dim"), shown, ("  ? help", "dim"))

