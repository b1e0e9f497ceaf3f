"""Bounded in-process memory of recently counted tweet ids.

Redis holds the authoritative per-minute sets of counted ids (shared by every process); this
local memory catches repeats inside a batch and while Redis is unreachable.
"""

from __future__ import annotations

from collections import OrderedDict


class RecentIds:
    def __init__(self, window_ms: int = 15 * 60 * 1000, max_ids: int = 1_000_000) -> None:
        self.window_ms = window_ms
        self.max_ids = max_ids
        self._by_minute: OrderedDict[int, set[str]] = OrderedDict()
        self._count = 0
        self._newest_ms = 0

    def claim(self, ids_by_minute: dict[int, list[str]]) -> dict[int, set[str]]:
        """Ids (grouped by the epoch minute of created_at) not seen before, per minute; from
        now on they are remembered. Repeats inside the batch come back once."""
        fresh_by_minute: dict[int, set[str]] = {}
        by_minute = self._by_minute
        for minute, ids in ids_by_minute.items():
            fresh = set(ids)
            bucket = by_minute.get(minute)
            if bucket is None:
                by_minute[minute] = set(fresh)
            else:
                fresh -= bucket
                bucket |= fresh
            fresh_by_minute[minute] = fresh
            self._count += len(fresh)
            if minute * 60000 > self._newest_ms:
                self._newest_ms = minute * 60000
        self._trim()
        return fresh_by_minute

    def _trim(self) -> None:
        oldest_kept = (self._newest_ms - self.window_ms) // 60000
        for minute in sorted(self._by_minute):
            if minute >= oldest_kept and self._count <= self.max_ids:
                break
            self._count -= len(self._by_minute.pop(minute))
