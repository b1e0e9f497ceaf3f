"""Latency: from a line entering the collector to its counts being readable in Redis.

    python bench/latency.py                 # 1,000 tweets/s for 20 s into a fresh embedded Valkey

A paced source hands lines to a real Collector at the target rate and notes when each line
entered; the store's write is wrapped to note when each batch's transaction returned (from then
on its counts are readable). Prints p50/p99/max over every tweet. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tweetwatch.pipeline.collector import Collector  # noqa: E402
from tweetwatch.pipeline.text import Topic  # noqa: E402
from tweetwatch.sources.demo import DemoSource  # noqa: E402
from tweetwatch.store.embedded import EmbeddedServer  # noqa: E402
from tweetwatch.store.redis_store import Store, open_client  # noqa: E402

TOPICS = (Topic("trump", ("trump", "realdonaldtrump")), Topic("biden", ("biden", "joebiden")))


class TimedSource:
    """Demo lines at a steady rate; remembers when each tweet id entered the collector."""

    label = "demo"

    def __init__(self, rate: float, seconds: float) -> None:
        self.rate = rate
        self.seconds = seconds
        self.entered: dict[str, float] = {}

    def lines(self, stop: threading.Event) -> Iterator[bytes | None]:
        import orjson

        demo = DemoSource(topics=[(t.name, t.keywords) for t in TOPICS], rate=self.rate, seed=3,
                          sleep=lambda s: None)
        start = time.perf_counter()
        for n, line in enumerate(demo.lines(stop)):
            due = start + n / self.rate
            while (delay := due - time.perf_counter()) > 0:
                time.sleep(min(delay, 0.01))
                if delay > 0.02:
                    yield None
            if due - start > self.seconds:
                return
            self.entered[orjson.loads(line)["data"]["id"]] = time.perf_counter()
            yield line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sentiment", action="store_true", help="score sentiment too (default off)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        server = EmbeddedServer(Path(state) / "valkey")
        server.ensure_running()
        store = Store(open_client(server.url, "bench"), "latency")
        readable: dict[str, float] = {}
        write = store.write

        def timed_write(delta, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
            write(delta, *a, **k)
            now = time.perf_counter()
            for ids in delta.seen_ids.values():
                for tweet_id in ids:
                    readable[tweet_id] = now

        store.write = timed_write  # type: ignore[method-assign]
        source = TimedSource(args.rate, args.seconds)
        collector = Collector(source, store, TOPICS)
        collector.aggregator.set_sentiment(args.sentiment)
        collector.start()
        collector.wait()
        server.stop_if_last()
    latencies = sorted((readable[i] - t) * 1000 for i, t in source.entered.items() if i in readable)
    missing = len(source.entered) - len(latencies)
    q = statistics.quantiles(latencies, n=100)
    print(f"tweets           : {len(latencies):,} at {args.rate:,.0f}/s (missing {missing})")
    print(f"latency p50      : {q[49]:.0f} ms")
    print(f"latency p99      : {q[98]:.0f} ms")
    print(f"latency max      : {latencies[-1]:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
