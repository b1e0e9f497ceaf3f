"""The bounded local memory of counted ids (the Redis `seen` sets are tested with the CLI)."""

from __future__ import annotations

from tweetwatch.pipeline.dedupe import RecentIds


def test_claim_returns_each_new_id_once_per_minute() -> None:
    recent = RecentIds()
    assert recent.claim({10: ["a", "b", "a"], 11: ["c"]}) == {10: {"a", "b"}, 11: {"c"}}
    assert recent.claim({10: ["a", "d"], 11: ["c", "e"]}) == {10: {"d"}, 11: {"e"}}


def test_memory_is_bounded_by_window_and_size() -> None:
    recent = RecentIds(window_ms=5 * 60_000, max_ids=1000)
    for minute in range(100):
        recent.claim({minute: [f"{minute}:{i}" for i in range(50)]})
    assert recent.claim({99: ["99:0"]}) == {99: set()}  # still remembered
    assert recent.claim({10: ["10:0"]}) == {10: {"10:0"}}  # long forgotten: outside the window
    kept = sum(len(ids) for ids in recent._by_minute.values())
    assert kept <= 1000 and kept == recent._count
