"""Look at the dashboard without Redis: `python -m tweetwatch.tui.preview`.

A SnapshotReader that invents a slowly changing stream (two topics, a few keywords),
so the layout, keys and refresh loop can be tried by hand, e.g. in a tmux pane.
Not used by the real CLI.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime

from tweetwatch.store.snapshot import ALL, Series, Snapshot, TopicStats
from tweetwatch.tui.app import DashboardApp

WORDS = ("vote", "debate", "polls", "rally", "media", "jobs", "florida", "ohio", "tax", "wall",
         "health", "climate", "unity", "economy")
TOPICS = ("trump", "biden")


class PreviewReader:
    """Fake stream: rates follow slow sine waves plus noise; stream time follows wall time."""

    def __init__(self, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self._totals = dict.fromkeys(TOPICS, 0)
        self._started = time.time()

    def _rate(self, topic_index: int, t: float) -> float:
        return 4 + 3 * math.sin(t / (40 + 25 * topic_index) + topic_index)

    def read_snapshot(self, window_s: int) -> Snapshot:
        now = time.time()
        bucket_s = 1 if window_s <= 300 else 10 if window_s <= 900 else 60
        n = window_s // bucket_s
        start = int(now) - window_s + 1
        counts: dict[str, tuple[int, ...]] = {}
        for i, topic in enumerate(TOPICS):
            counts[topic] = tuple(
                max(0, round(bucket_s * self._rate(i, start + k * bucket_s) + self._rng.gauss(0, 1)))
                for k in range(n)
            )
        counts[ALL] = tuple(sum(c) + bucket_s for c in zip(*counts.values()))
        topics = []
        for i, topic in enumerate(TOPICS):
            window = sum(counts[topic])
            self._totals[topic] += round(self._rate(i, now))
            words = sorted(((w, self._rng.randint(5, 500)) for w in WORDS), key=lambda p: (-p[1], p[0]))
            topics.append(
                TopicStats(topic, (topic,), self._totals[topic] + window, window,
                           self._rate(i, now), window // 3, tuple(words[:10]))
            )
        clock = datetime.fromtimestamp(int(now), UTC)
        return Snapshot(
            namespace="preview",
            source="demo",
            is_demo=True,
            window_s=window_s,
            stream_clock=clock,
            read_at=datetime.now(UTC),
            total=sum(t.count_total for t in topics),
            control=0,
            rejected=self._rng.randint(0, 3),
            duplicates=0,
            total_window=sum(counts[ALL]),
            rate_per_s=sum(t.rate_per_s for t in topics),
            topics=tuple(topics),
            series=Series(start, bucket_s, counts),
            round_trip_ms=self._rng.uniform(0.3, 2.0),
            collector_status="preview: invented data",
        )


def main() -> None:
    DashboardApp(PreviewReader()).run()


if __name__ == "__main__":
    main()
