"""Where the frequency chart gets drawn: new data arrives drawn by the read worker and goes on
screen in the same frame; anything else (first drawing, resize, `m`) is drawn by the chart's
own worker; the UI thread never runs plotext."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from tui_fakes import FakeReader, make_snapshot, settle, text_of

from tweetwatch.store.snapshot import Snapshot
from tweetwatch.tui.app import DashboardApp
from tweetwatch.tui.chart import FrequencyChart, chart_data
from tweetwatch.tui import chart as chart_module

MakeApp = Callable[..., DashboardApp]


def busier(snapshot: Snapshot, step: int) -> Snapshot:
    """`snapshot` with every series bucket raised by `step` (new data, same shape)."""
    series = snapshot.series
    counts = {key: tuple(v + 7 * step for v in values) for key, values in series.counts.items()}
    return replace(snapshot, total=snapshot.total + step, series=replace(series, counts=counts))


def every_read_new(reader: FakeReader) -> None:
    """Each read gives busier data than the one before (so each refresh changes the chart)."""
    reads = iter(range(1, 1000))
    reader.build = lambda window_s: busier(make_snapshot(window_s), next(reads))


class DrawLog:
    """Which threads ran plotext (`chart.draw`) and how often the chart's worker started."""

    def __init__(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        self.threads: list[str] = []
        self.worker_starts = 0
        original_draw = chart_module.draw
        original_start = FrequencyChart._start

        def draw(job):  # type: ignore[no-untyped-def]
            self.threads.append(threading.current_thread().name)
            return original_draw(job)

        def start(chart, job):  # type: ignore[no-untyped-def]
            self.worker_starts += 1
            original_start(chart, job)

        monkeypatch.setattr(chart_module, "draw", draw)
        monkeypatch.setattr(FrequencyChart, "_start", start)


async def test_new_data_arrives_drawn_by_the_read_worker(reader: FakeReader, make_app: MakeApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    log = DrawLog(monkeypatch)
    every_read_new(reader)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = app.query_one(FrequencyChart)
        assert chart._drawn is not None
        first_starts = log.worker_starts
        assert first_starts >= 1  # the first drawing (and any while the layout settled)
        for _ in range(3):
            await pilot.press("r")
            await settle(pilot)
            assert chart._drawn[0].data == chart_data(app.snapshot)  # the new data is on screen
        assert log.worker_starts == first_starts  # ... and the chart's own worker never ran
        assert len(log.threads) == first_starts + 3
        assert threading.main_thread().name not in log.threads
        assert "tweets/s" in text_of(chart)


async def test_resize_and_mood_are_drawn_by_the_charts_worker(make_app: MakeApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    log = DrawLog(monkeypatch)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = app.query_one(FrequencyChart)
        starts = log.worker_starts
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert chart._drawn is not None and chart._drawn[0].width == chart.size.width
        assert log.worker_starts > starts
        starts = log.worker_starts
        await pilot.press("m")
        await settle(pilot)
        assert chart._drawn[0].mood
        assert log.worker_starts == starts + 1
        assert threading.main_thread().name not in log.threads


async def test_hidden_chart_is_not_predrawn(reader: FakeReader, make_app: MakeApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    log = DrawLog(monkeypatch)
    every_read_new(reader)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        drawn = len(log.threads)
        await pilot.press("v")  # the feed replaces the chart
        await settle(pilot)
        for _ in range(2):
            await pilot.press("r")
            await settle(pilot)
        assert len(log.threads) == drawn


async def test_a_new_border_title_keeps_the_rows(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = app.query_one(FrequencyChart)
        text_of(chart)
        lines = chart._lines()
        chart.border_title = "something else"
        assert chart._lines() is lines  # same drawing: the strips are kept
        chart.mood = True
        await settle(pilot)
        assert chart._lines() is not lines


async def test_plotext_failing_in_the_read_worker_stops_nothing(reader: FakeReader, make_app: MakeApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    every_read_new(reader)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)

        def broken(job):  # type: ignore[no-untyped-def]
            raise ValueError("plotext fell over")

        monkeypatch.setattr(chart_module, "draw", broken)
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running and app.snapshot.total == make_snapshot().total + 2  # the read went on
        assert "chart unavailable" in text_of(app.query_one(FrequencyChart))
