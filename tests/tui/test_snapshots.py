"""SVG snapshots of the dashboard from injected Snapshots and a fixed clock.

Regenerate after an intended visual change with
`pytest tests/tui/test_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tui_fakes import FakeReader, make_snapshot, settle

from tweetwatch.tui.app import DashboardApp

MakeApp = Callable[..., DashboardApp]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (70, 22)], ids=["80x24", "120x40", "70x22"])
def test_dashboard(snap_compare, make_app: MakeApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=settle)


def test_paused_demo_hour(snap_compare, make_app: MakeApp, reader: FakeReader) -> None:  # type: ignore[no-untyped-def]
    reader.build = lambda w: make_snapshot(w, is_demo=True, source="demo", collector_status="")
    assert snap_compare(
        make_app(window_s=3600), terminal_size=(80, 24), press=["p"], run_before=settle
    )


def test_store_lost_after_good_data(snap_compare, make_app: MakeApp, reader: FakeReader) -> None:  # type: ignore[no-untyped-def]
    async def lose_redis(pilot):  # type: ignore[no-untyped-def]
        await settle(pilot)
        reader.failure = "Redis at localhost:6379: connection refused"
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=lose_redis)


def test_store_down_from_start(snap_compare, make_app: MakeApp, reader: FakeReader) -> None:  # type: ignore[no-untyped-def]
    reader.failure = "Redis at localhost:6379: connection refused"
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settle)


def test_help(snap_compare, make_app: MakeApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["question_mark"], run_before=settle)


def test_too_small(snap_compare, make_app: MakeApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=(50, 15), run_before=settle)


# ---- issue 4 panels: each at 80x24 and a narrow size, from injected snapshots ----------

SIZES = [(80, 24), (70, 22)]
SIZE_IDS = ["80x24", "70x22"]


async def _press(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize(
    "keys",
    [("v",), ("v", "v"), ("c",), ("m",)],
    ids=["feed", "stream", "cloud", "sentiment-chart"],
)
def test_new_panels(snap_compare, make_app: MakeApp, size: tuple[int, int], keys: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await _press(pilot, *keys)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_cloud_layout_zoomed(snap_compare, make_app: MakeApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """`c c` picks the spatial layout; `z` zooms the keywords panel so it has room for one."""

    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await _press(pilot, "c", "c", "z")
        for _ in range(100):  # the layout is computed in a worker thread
            if "laying out" not in str(pilot.app.query_one("#keywords").border_subtitle):
                break
            await pilot.pause(0.1)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_drill_down(snap_compare, make_app: MakeApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await _press(pilot, "k", "enter")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_keyword_picker(snap_compare, make_app: MakeApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["k", "down"], run_before=settle)


def test_hostile_feed(snap_compare, make_app: MakeApp, reader: FakeReader) -> None:  # type: ignore[no-untyped-def]
    from tui_fakes import HOSTILE_FEED

    reader.build = lambda w: make_snapshot(w, feed=HOSTILE_FEED)

    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await _press(pilot, "v")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


X_429 = "reconnecting in 59 s (429 too many connections) · 0 tweets/s · tweets 0 · control 0 · rejected 0 · duplicates 0"


@pytest.mark.parametrize("keys", [(), ("i",)], ids=["bar", "status-screen"])
def test_collector_in_backoff(snap_compare, make_app: MakeApp, reader: FakeReader, keys: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """An X stream in HTTP 429 backoff: the bar keeps the wait and the reason whole at 80
    columns (QA read `reconnecting in 5…`); `i` shows what it leaves out."""
    reader.build = lambda w: make_snapshot(w, source="x", collector_detail=X_429, collector_status=f"x · {X_429}")

    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await _press(pilot, *keys)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)
