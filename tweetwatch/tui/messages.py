"""Messages to the app: from the read worker (from its thread; `post_message` is thread-safe)
and from panels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from tweetwatch.store.snapshot import KeywordDetail, Snapshot

if TYPE_CHECKING:
    from tweetwatch.tui.chart import PreDrawn


class ReadOutcome(Message):
    """The result of one read; `seq` tells a stale read from the newest request."""

    def __init__(self, seq: int) -> None:
        super().__init__()
        self.seq = seq

    def can_replace(self, message: Message) -> bool:
        # A newer outcome already queued makes this one pointless (toolong's trick): after
        # a stall the UI applies only the latest read instead of replaying a backlog.
        return isinstance(message, ReadOutcome)


class SnapshotReady(ReadOutcome):
    def __init__(self, seq: int, snapshot: Snapshot, chart: PreDrawn | None = None) -> None:
        super().__init__(seq)
        self.snapshot = snapshot
        self.chart = chart
        """The frequency chart already drawn for `snapshot`, when the worker could."""


class SnapshotFailed(ReadOutcome):
    def __init__(self, seq: int, error: str) -> None:
        super().__init__(seq)
        self.error = error


class KeywordReady(Message):
    """A drill-down read finished (posted by the keyword view's worker)."""

    def __init__(self, seq: int, detail: KeywordDetail) -> None:
        super().__init__()
        self.seq = seq
        self.detail = detail


class KeywordFailed(Message):
    def __init__(self, seq: int, error: str) -> None:
        super().__init__()
        self.seq = seq
        self.error = error


class KeywordClicked(Message):
    """A word of the keyword table was clicked: open its drill-down."""

    def __init__(self, topic: str, word: str) -> None:
        super().__init__()
        self.topic = topic
        self.word = word
