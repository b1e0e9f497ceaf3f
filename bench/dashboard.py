"""Dashboard costs: snapshot read (round trips, ms), render time, idle CPU, first frame.

    python bench/dashboard.py

1. Fills a fresh embedded Valkey with one hour of demo stream time (about 100 tweets/s).
2. Times `Store.read_snapshot(3600)` on the warm server and counts its round trips.
3. Times a full render of the dashboard at 120x40 from that snapshot (Textual's headless
   driver, `app.run_test`), as the mean of repeated refreshes with changing data.
4. Runs `tweetwatch dashboard` in a pseudo-terminal with unchanged data at a 1 s refresh for
   30 s and reports its CPU use and the bytes it wrote to the terminal.
5. Times `tweetwatch` (embedded server start included) from exec to the first frame.
Not a test: it prints figures.
"""

from __future__ import annotations

import asyncio
import os
import select
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from tweetwatch.pipeline.collector import Collector  # noqa: E402
from tweetwatch.pipeline.text import Topic  # noqa: E402
from tweetwatch.sources.demo import DemoSource  # noqa: E402
from tweetwatch.store.embedded import EmbeddedServer  # noqa: E402
from tweetwatch.store.redis_store import Store, open_client  # noqa: E402

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


def time_reads(store: Store) -> None:
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


def time_render(store: Store) -> None:
    from tweetwatch.tui.app import DashboardApp

    snapshot = store.read_snapshot(3600)

    class Reader:
        def __init__(self) -> None:
            self.n = 0

        def read_snapshot(self, window_s: int):  # noqa: ANN201
            self.n += 1
            from dataclasses import replace
            return replace(snapshot, total=snapshot.total + self.n)  # changed data: a real repaint

    async def run() -> list[float]:
        app = DashboardApp(Reader(), refresh_s=60, window_s=3600)
        times: list[float] = []
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            for _ in range(20):
                started = time.perf_counter()
                await pilot.press("r")
                await app.workers.wait_for_complete()
                await pilot.pause()
                times.append((time.perf_counter() - started) * 1000)
        return times

    times = sorted(asyncio.run(run()))
    print(f"render 120x40    : median {times[10]:.1f} ms per refresh with changed data (read + repaint)")


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
    with tempfile.TemporaryDirectory() as state:
        server = EmbeddedServer(Path(state) / "valkey")
        server.ensure_running()
        store = Store(open_client(server.url, "bench"), "dash")
        started = time.perf_counter()
        fill(store)
        print(f"filled 1 h       : {time.perf_counter() - started:.1f} s")
        time_reads(store)
        time_render(store)
        idle_dashboard(server.url, "dash", state)
        server.stop_if_last()
    first_frame()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
