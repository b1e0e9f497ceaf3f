"""Memory plateau: replay a synthetic stream that spans several retention periods.

    python bench/memory.py                                   # 6 h of stream time at 25/s, 1 h retention
    python bench/memory.py --hours 36 --retention 24h        # the full-size run (~3.2 M posts)

A real Collector (sentiment off) reads demo posts whose clock advances 25 posts per second of
stream time, as fast as it can, into a fresh embedded Valkey with the given retention. After
every write it samples the server's `used_memory` and the process RSS; it prints both at the
end of each third of the run. Retention follows the stream clock, so once the stream is
longer than the retention both should be flat. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tweetwatch.config import parse_duration  # noqa: E402
from tweetwatch.pipeline.collector import Collector  # noqa: E402
from tweetwatch.pipeline.text import Topic  # noqa: E402
from tweetwatch.sources.demo import virtual_time_source  # noqa: E402

from common import rss_mb  # noqa: E402
from tweetwatch.store.embedded import EmbeddedServer  # noqa: E402
from tweetwatch.store.redis_store import Store, open_client  # noqa: E402

TOPICS = (Topic("trump", ("trump", "realdonaldtrump")), Topic("biden", ("biden", "joebiden")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=6)
    parser.add_argument("--rate", type=float, default=25)
    parser.add_argument("--retention", default="1h")
    args = parser.parse_args()
    retention_s = parse_duration(args.retention, maximum=7 * 86400)
    with tempfile.TemporaryDirectory() as state:
        server = EmbeddedServer(Path(state) / "valkey")
        server.ensure_running()
        store = Store(open_client(server.url, "bench"), "memory", retention_s=retention_s)
        source = virtual_time_source([(t.name, t.keywords) for t in TOPICS], rate=args.rate, seed=1,
                                     limit=int(args.hours * 3600 * args.rate))
        start = source.clock()
        samples: list[tuple[float, int, float, float]] = []
        write = store.write

        def sampled_write(delta, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
            write(delta, *a, **k)
            used = store.client.info("memory")["used_memory"] / 1e6
            samples.append(((source.clock() - start) / 3600, int(delta.counters["total"]), used, rss_mb(os.getpid())))

        store.write = sampled_write  # type: ignore[method-assign]
        collector = Collector(source, store, TOPICS)
        collector.aggregator.set_sentiment(False)
        collector.start()
        collector.wait()
        server.stop_if_last()
    total = collector.stats.tweets
    print(f"posts            : {total:,} over {args.hours:g} h of stream time, retention {args.retention}")
    for third in (1, 2, 3):
        hours, _, used, rss = samples[len(samples) * third // 3 - 1]
        print(f"after third {third}    : stream {hours:5.2f} h  server used_memory {used:7.1f} MB  process RSS {rss:7.1f} MB")
    first, last = samples[len(samples) * 2 // 3 - 1], samples[-1]
    print(f"last third adds  : server {(last[2] - first[2]) / first[2] * 100:+.1f}%, RSS {(last[3] - first[3]) / first[3] * 100:+.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
