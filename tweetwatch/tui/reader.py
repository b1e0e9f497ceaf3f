"""The one door between the dashboard and the data: something that reads a Snapshot."""

from __future__ import annotations

from typing import Protocol

from tweetwatch.store.snapshot import KeywordDetail, Snapshot


class SnapshotReader(Protocol):
    def read_snapshot(self, window_s: int) -> Snapshot:
        """Read the namespace for a window; raises `StoreUnavailable` when Redis is away.

        Called from a worker thread, never from the UI thread.
        """
        ...

    def read_keyword(self, topic: str, word: str) -> KeywordDetail:
        """Drill-down for one keyword: per-minute counts and recent posts containing it.

        Called from a worker thread while the keyword view is open; raises `StoreUnavailable`.
        """
        ...
