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

    def claim(self, items: list[tuple[str, int]]) -> set[str]:
        """Ids (with created_ms) not seen before; they are remembered from now on."""
        fresh: set[str] = set()
        by_minute = self._by_minute
        for tweet_id, created_ms in items:
            minute = created_ms // 60000
            bucket = by_minute.get(minute)
            if bucket is None:
                bucket = by_minute[minute] = set()
            elif tweet_id in bucket:
                continue
            bucket.add(tweet_id)
            fresh.add(tweet_id)
            self._count += 1
            if created_ms > self._newest_ms:
                self._newest_ms = created_ms
        self._trim()
        return fresh

    def _trim(self) -> None:
        oldest_kept = (self._newest_ms - self.window_ms) // 60000
        for minute in sorted(self._by_minute):
            if minute >= oldest_kept and self._count <= self.max_ids:
                break
            self._count -= len(self._by_minute.pop(minute))
