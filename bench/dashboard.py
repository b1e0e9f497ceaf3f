"""Dashboard costs: snapshot read (round trips, ms), render time, idle CPU, first frame.

    python bench/dashboard.py
    python bench/dashboard.py --only render --snapshot /tmp/dash1h.pkl   # render only, fill once

1. Fills a fresh embedded Valkey with one hour of demo stream time (about 100 tweets/s).
2. Times `Store.read_snapshot(3600)` on the warm server and counts its round trips.
3. Times the render at 120x40 on its own: from handing the app a new Snapshot with changed
   data to the last frame written (escape sequences encoded as for a terminal), p50/p95/max
   over 50 refreshes, for each main view (see `time_render`).
4. Runs `tweetwatch dashboard` in a pseudo-terminal with unchanged data at a 1 s refresh for
   30 s and reports its CPU use and the bytes it wrote to the terminal.
5. Times `tweetwatch` (embedded server start included) from exec to the first frame.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import select
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from tweetwatch.pipeline.collector import Collector  # noqa: E402
from tweetwatch.pipeline.text import Topic  # noqa: E402
from tweetwatch.sources.demo import DemoSource  # noqa: E402
from tweetwatch.store.embedded import EmbeddedServer  # noqa: E402
from tweetwatch.store.redis_store import Store, open_client  # noqa: E402
from tweetwatch.store.snapshot import Snapshot  # noqa: E402

PARTS = ("read", "render", "idle", "first")
TOPICS = (Topic("trump", ("trump", "realdonaldtrump")), Topic("biden", ("biden", "joebiden")))


class HourOfDemo:
    label = "demo"

    def lines(self, stop: threading.Event):  # noqa: ANN201
        clock = [time.time() - 3600]
        demo = DemoSource(topics=[(t.name, t.keywords) for t in TOPICS], rate=100, seed=9,
                          clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s),
                          limit=360_000)
        return demo.lines(stop)


def fill(store: Store) -> None:
    collector = Collector(HourOfDemo(), store, TOPICS, is_demo=True)
    collector.aggregator.set_sentiment(False)
    collector.start()
    collector.wait()


def time_reads(store: Store) -> Snapshot:
    calls: list[bool] = []
    original = store.client.pipeline

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(True)
        return original(*args, **kwargs)

    store.read_snapshot(3600)  # plan the read from the current clock
    store.client.pipeline = counting  # type: ignore[method-assign]
    samples = []
    for _ in range(50):
        calls.clear()
        started = time.perf_counter()
        snapshot = store.read_snapshot(3600)
        samples.append((time.perf_counter() - started) * 1000)
    store.client.pipeline = original  # type: ignore[method-assign]
    samples.sort()
    print(f"snapshot read 1h : median {samples[25]:.1f} ms, p90 {samples[45]:.1f} ms, "
          f"{len(calls)} round trip(s), {snapshot.total:,} tweets in the namespace")
    return snapshot


def evolve(snapshot: Snapshot, i: int) -> Snapshot:
    """The `i`-th refresh after `snapshot` in a busy stream: every part of the data moves.

    Totals, window counts, rates and keyword counts grow; the last series bucket grows and
    every 10th refresh the series shifts by a bucket; every 5th refresh two keywords swap
    ranks (so the cloud's words change); a new post enters the feed each time; the stream
    mix's post count, retweet share and hashtag counts grow.
    """
    def bump_words(words: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
        bumped = [(w, n + i * (len(words) - k)) for k, (w, n) in enumerate(words)]
        if i % 5 == 0 and len(bumped) > 4:
            (a, na), (b, nb) = bumped[2], bumped[3]
            bumped[2], bumped[3] = (b, na), (a, nb)
        return tuple(bumped)

    series = snapshot.series
    shift = i // 10
    counts = {}
    for key, values in series.counts.items():
        values = values[shift:] + values[:shift]  # the window slides forward
        counts[key] = values[:-1] + (values[-1] + 7 * i,)
    topics = tuple(
        replace(t, count_total=t.count_total + 40 * i, count_window=t.count_window + 40 * i,
                rate_per_s=t.rate_per_s + (i % 7) / 10, unique_authors=t.unique_authors + 13 * i,
                top_keywords=bump_words(t.top_keywords), cloud_words=bump_words(t.cloud_words))
        for t in snapshot.topics
    )
    feed = snapshot.feed
    if feed:
        newest = feed[0]
        fresh = replace(newest, id=f"{newest.id}-{i}", created_ms=newest.created_ms + 1000 * i,
                        author=f"{newest.author}{i}", text=f"{i} {newest.text}")
        feed = (fresh, *feed[:-1])
    mix = snapshot.mix
    mix = replace(mix, tweets=mix.tweets + 100 * i, retweets=mix.retweets + 60 * i,
                  hashtags=tuple((tag, n + i) for tag, n in mix.hashtags))
    clock = snapshot.stream_clock + timedelta(seconds=i) if snapshot.stream_clock else None
    return replace(
        snapshot, total=snapshot.total + 100 * i, total_window=snapshot.total_window + 100 * i,
        rate_per_s=snapshot.rate_per_s + (i % 7) / 10, topics=topics,
        series=replace(series, start_epoch=series.start_epoch + shift * series.bucket_s, counts=counts),
        feed=feed, mix=mix, stream_clock=clock, read_at=snapshot.read_at + timedelta(seconds=i),
    )


RENDER_VIEWS: dict[str, tuple[str, ...]] = {
    "chart + table (default)": (),
    "feed (v)": ("v",),
    "stream mix (v v)": ("v", "v"),
    "tiered cloud (c)": ("c",),
    "cloud layout (c c)": ("c", "c"),
}


def time_render(snapshot: Snapshot, refreshes: int = 50, size: tuple[int, int] = (120, 40)) -> None:
    """Render time: from handing a new Snapshot to the app to the last terminal write it causes.

    The app runs under Textual's test harness at `size`, with a driver that is not headless
    (so each frame is turned into the escape sequences a terminal would receive, and their
    bytes counted) but writes nowhere. Each refresh does what the read worker does after its
    read — pre-draw the chart (in a thread), post `SnapshotReady` with changed data — and the
    first figure is the time from there to the end of the last frame written in the next
    0.25 s (the chart drawing, the handler, Textual's frame pacing — up to one 1/60 s tick —,
    layout, every panel's render, compositing, escape sequences). It is split into "chart
    drawing" (until the post) and "UI thread" (after it); the process CPU time over the whole
    span is beside them. Reads are not included: see `snapshot read 1h`.
    """
    from textual.drivers.headless_driver import HeadlessDriver

    from tweetwatch.tui.app import DashboardApp
    from tweetwatch.tui.messages import SnapshotReady

    class Reader:
        def read_snapshot(self, window_s: int) -> Snapshot:
            return snapshot

    class TerminalLikeDriver(HeadlessDriver):
        """Headless input and size, but the app renders frames as for a real terminal."""

        written = 0
        last_write = 0.0
        last_cpu = 0.0

        @property
        def is_headless(self) -> bool:
            return False

        def write(self, data: str) -> None:
            TerminalLikeDriver.written += len(data.encode())
            TerminalLikeDriver.last_write = time.perf_counter()
            TerminalLikeDriver.last_cpu = time.process_time()

    class BenchApp(DashboardApp):
        CSS_PATH = str(ROOT / "tweetwatch" / "tui" / "app.tcss")  # relative paths follow the subclass

        def _build_driver(self, headless, inline, mouse, size):  # noqa: ANN001, ANN202
            self._driver = TerminalLikeDriver(self, debug=False, mouse=mouse, size=size)
            return self._driver

    async def run(keys: tuple[str, ...]) -> tuple[list[float], list[float], list[float], list[float], int]:
        app = BenchApp(Reader(), refresh_s=3600, window_s=snapshot.window_s)
        times: list[float] = []
        ui_times: list[float] = []
        draw_times: list[float] = []
        cpu: list[float] = []
        async with app.run_test(size=size) as pilot:
            await pilot.pause(0.5)
            for key in keys:
                await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause(0.5)  # cloud layouts: the first one imports wordcloud
            for i in range(1, 5):  # warm-up: first-use imports and caches
                app.post_message(SnapshotReady(app._seq, evolve(snapshot, 1000 + i)))
                await pilot.pause()
                await app.workers.wait_for_complete()
            await pilot.pause(0.2)
            TerminalLikeDriver.written = 0
            for i in range(1, refreshes + 1):
                new = evolve(snapshot, i)
                started, started_cpu = time.perf_counter(), time.process_time()
                TerminalLikeDriver.last_write, TerminalLikeDriver.last_cpu = started, started_cpu
                # What the read worker does after its read: draw the chart off the UI thread.
                drawing = await asyncio.to_thread(app._predraw, new)
                posted = time.perf_counter()
                app.post_message(SnapshotReady(app._seq, new, drawing))
                # Sleep rather than `pilot.pause()`, whose own messages to every widget would
                # be counted; 0.25 s is ample for every frame the new data causes.
                await asyncio.sleep(0.25)
                times.append((TerminalLikeDriver.last_write - started) * 1000)
                ui_times.append((TerminalLikeDriver.last_write - posted) * 1000)
                draw_times.append((posted - started) * 1000)
                cpu.append((TerminalLikeDriver.last_cpu - started_cpu) * 1000)
            written = TerminalLikeDriver.written
        return times, ui_times, draw_times, cpu, written // refreshes

    w, h = size
    for label, keys in RENDER_VIEWS.items():
        times, ui_times, draw_times, cpu, per_frame = asyncio.run(run(keys))
        for figures in (times, ui_times, draw_times, cpu):
            figures.sort()
        n = len(times)
        print(f"render {w}x{h} {label:<24}: p50 {times[n // 2]:.1f} ms, p95 {times[int(n * 0.95)]:.1f} ms, "
              f"max {times[-1]:.1f} ms; of it chart drawing p50 {draw_times[n // 2]:.1f} ms, UI thread p50 "
              f"{ui_times[n // 2]:.1f} ms, p95 {ui_times[int(n * 0.95)]:.1f} ms (CPU p50 {cpu[n // 2]:.1f} ms); "
              f"{per_frame:,} bytes/refresh ({n} refreshes, changed data)")


def idle_dashboard(url: str, namespace: str, state: str) -> None:
    from test_terminal import spawn_in_pty

    env = dict(os.environ, TERM="xterm-256color", TWEETWATCH_STATE_DIR=state)
    proc, master = spawn_in_pty([sys.executable, "-m", "tweetwatch", "dashboard", "--redis", url,
                                 "--namespace", namespace, "--refresh", "1"], env, cols=120, rows=40)
    written = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # warm up
        if select.select([master], [], [], 0.2)[0]:
            os.read(master, 65536)
    cpu0 = _cpu(proc.pid)
    started = time.monotonic()
    while time.monotonic() - started < 30:
        if select.select([master], [], [], 0.2)[0]:
            written += len(os.read(master, 65536))
    cpu = _cpu(proc.pid) - cpu0
    elapsed = time.monotonic() - started
    os.write(master, b"q")
    proc.wait(20)
    os.close(master)
    print(f"idle dashboard   : {cpu / elapsed * 100:.2f}% of a core, {written / elapsed:,.0f} bytes/s "
          f"to the terminal (unchanged data, 1 s refresh, 30 s)")


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_frame() -> None:
    from test_terminal import read_until, spawn_in_pty

    samples = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as state:
            env = dict(os.environ, TERM="xterm-256color", TWEETWATCH_STATE_DIR=state)
            started = time.perf_counter()
            proc, master = spawn_in_pty([sys.executable, "-m", "tweetwatch"], env)
            read_until(master, b"counters", 30)
            samples.append(time.perf_counter() - started)
            os.write(master, b"q")
            proc.wait(20)
            os.close(master)
    print(f"first frame      : {min(samples):.2f} s best, {max(samples):.2f} s worst of 3 "
          "(`tweetwatch`, embedded server start included)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=PARTS,
                        help="run only these parts (repeatable; default: all)")
    parser.add_argument("--refreshes", type=int, default=50, help="renders timed per view")
    parser.add_argument("--snapshot", type=Path,
                        help="with --only render: pickle of the filled 1 h snapshot, written on the "
                             "first run and reused after (skips the fill)")
    args = parser.parse_args()
    parts = set(args.only or PARTS)
    if parts == {"render"} and args.snapshot is not None and args.snapshot.exists():
        time_render(pickle.loads(args.snapshot.read_bytes()), args.refreshes)
        return 0
    if parts & {"read", "render", "idle"}:
        with tempfile.TemporaryDirectory() as state:
            server = EmbeddedServer(Path(state) / "valkey")
            server.ensure_running()
            try:
                store = Store(open_client(server.url, "bench"), "dash")
                started = time.perf_counter()
                fill(store)
                print(f"filled 1 h       : {time.perf_counter() - started:.1f} s")
                snapshot = time_reads(store) if "read" in parts else store.read_snapshot(3600)
                if args.snapshot is not None:
                    args.snapshot.write_bytes(pickle.dumps(snapshot))
                if "render" in parts:
                    time_render(snapshot, args.refreshes)
                if "idle" in parts:
                    idle_dashboard(server.url, "dash", state)
            finally:
                server.stop_if_last()
    if "first" in parts:
        first_frame()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
