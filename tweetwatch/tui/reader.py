"""The one door between the dashboard and the data: something that reads a Snapshot."""

from __future__ import annotations

from typing import Protocol

from tweetwatch.store.snapshot import Snapshot


class SnapshotReader(Protocol):
    def read_snapshot(self, window_s: int) -> Snapshot:
        """Read the namespace for a window; raises `StoreUnavailable` when Redis is away.

        Called from a worker thread, never from the UI thread.
        """
        ...
