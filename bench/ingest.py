"""Ingest benchmark: time `tweetwatch collect --speed max` on a large v2 JSON-lines file.

    python bench/ingest.py                      # 300k tweets into a fresh embedded Valkey
    python bench/ingest.py --tweets 1000000 --redis redis://localhost:6379/0
    python bench/ingest.py --baseline 20000     # also time the seed's per-tweet approach
    python bench/ingest.py --redis unix:///tmp/r.sock --core 1   # the collector on one core
                                                # (pin the server to another: taskset -cp 0 PID)

Generates the file once (synthetic v2 filtered-stream lines from the demo generator, cached
under bench/.cache/), then runs the real command line in a subprocess and prints tweets/s
for the whole run (process start, embedded server start and final write included) and for
the collector alone (from its own status lines). Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import reference_speed  # noqa: E402
from tweetwatch.sources.demo import virtual_time_source, write_lines  # noqa: E402

TOPICS = [("trump", ["trump", "realdonaldtrump"]), ("biden", ["biden", "joebiden"])]


def generate(path: Path, tweets: int, stream_rate: float) -> None:
    tmp = path.with_suffix(".tmp")
    write_lines(tmp, virtual_time_source(TOPICS, rate=stream_rate, seed=7, limit=tweets))
    tmp.rename(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tweets", type=int, default=300_000)
    parser.add_argument("--stream-rate", type=float, default=1000.0, help="tweets per second of stream time")
    parser.add_argument("--redis", help="server URL (default: a fresh embedded Valkey)")
    parser.add_argument("--baseline", type=int, default=0, metavar="N",
                        help="also run the per-tweet baseline on the first N lines and print the ratio")
    parser.add_argument("--no-sentiment", action="store_true", help="collect without VADER sentiment scoring")
    parser.add_argument("--core", type=int, metavar="N",
                        help="run the collector process on CPU core N only (with --redis: an embedded "
                             "server would share the core)")
    args = parser.parse_args()

    cache = ROOT / "bench" / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    data = cache / f"v2-{args.tweets}-{int(args.stream_rate)}.jsonl"
    if not data.exists():
        started = time.perf_counter()
        generate(data, args.tweets, args.stream_rate)
        print(f"generated {data.name} ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")

    with tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, TWEETWATCH_STATE_DIR=state)
        namespace = f"bench{os.getpid()}"
        cmd = [sys.executable, "-m", "tweetwatch", "collect", "--replay", str(data), "--namespace", namespace]
        if args.redis:
            cmd += ["--redis", args.redis]
        if args.no_sentiment:
            cmd += ["--no-sentiment"]
        pin = None if args.core is None else (lambda: os.sched_setaffinity(0, {args.core}))
        speed_before = reference_speed(args.core)
        cpu_before = os.times()
        started = time.perf_counter()
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, preexec_fn=pin)
        elapsed = time.perf_counter() - started
        cpu_after = os.times()
        speed_after = reference_speed(args.core)
        cpu_s = (cpu_after.children_user - cpu_before.children_user
                 + cpu_after.children_system - cpu_before.children_system)
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        summary = subprocess.run(
            [sys.executable, "-m", "tweetwatch", "summary", "--json", "--namespace", namespace]
            + (["--redis", args.redis] if args.redis else []),
            env=env, capture_output=True, text=True, cwd=ROOT,
        )
        counted = json.loads(summary.stdout)
        if args.redis:
            subprocess.run([sys.executable, "-m", "tweetwatch", "reset", "--yes", "--namespace", namespace,
                            "--redis", args.redis], env=env, capture_output=True, cwd=ROOT)
    total = counted["total"] + counted["duplicates"]
    rates = [float(r.replace(",", "")) for r in re.findall(r"· ([\d,]+) tweets/s", result.stderr)]
    steady = [r for r in rates[1:] if r > 0]  # the stopped line, the last, has no rate
    if args.baseline:
        base_rate, round_trip_us = baseline(data, args.baseline, args.redis)
        print(f"baseline        : {base_rate:,.0f} tweets/s (per tweet: json.loads, SET, INCRs; the seed's approach; "
              f"PING round trip {round_trip_us:.0f} µs median)")
        print(f"ratio           : {(total / elapsed) / base_rate:.1f}x end to end")
    print(f"tweets ingested : {counted['total']:,} (+{counted['duplicates']:,} duplicates)")
    print(f"wall time       : {elapsed:.2f} s (process start to exit, server start and final write included)")
    print(f"end to end      : {total / elapsed:,.0f} tweets/s")
    where = f"on core {args.core}" if args.core is not None else "unpinned"
    server = "" if args.redis else ", the embedded server's included"
    print(f"collector CPU   : {cpu_s:.2f} s ({cpu_s / elapsed:.2f} cores, {where}{server}): "
          f"{total / cpu_s:,.0f} tweets per CPU-second")
    if steady:
        print(f"collector steady: {sum(steady) / len(steady):,.0f} tweets/s (mean of its 2 s status lines)")
    print(f"machine speed   : {speed_before / 1000:,.1f}k / {speed_after / 1000:,.1f}k reference rounds/s "
          f"before / after (bench/common.py reference_speed; the host's load moves it by up to 1.6x)")
    return 0


def baseline(data: Path, lines: int, url: str | None) -> tuple[float, float]:
    """The seed's approach: per tweet one parse, one SET of the tweet, and the counter INCRs,
    each a round trip (no pipelining, no batching), against the same kind of server.
    Returns its tweets/s and the server's median PING round trip in µs: the baseline is
    bound by round trips, so the ratio moves with them from host to host (~150 µs on a
    gVisor sandbox, ~35 µs on a plain VM)."""
    import itertools

    import orjson
    import redis

    from tweetwatch.pipeline.text import TopicMatcher, Topic, tokenize
    from tweetwatch.store.embedded import EmbeddedServer

    matcher = TopicMatcher(tuple(Topic(n, tuple(k)) for n, k in TOPICS))
    with tempfile.TemporaryDirectory() as state:
        server = None
        if url is None:
            server = EmbeddedServer(Path(state) / "valkey")
            server.ensure_running()
            url = server.url
        client = redis.Redis.from_url(url)
        with open(data, "rb") as handle:
            chunk = list(itertools.islice(handle, lines))
        round_trip_us = _median_round_trip_us(client)
        started = time.perf_counter()
        for line in chunk:
            tweet = orjson.loads(line)["data"]
            client.set(f"baseline:tweet:{tweet['id']}", tweet["text"])
            client.incr("baseline:total")
            for topic in matcher.match(tokenize(tweet["text"])):
                client.incr(f"baseline:topic:{topic}")
        elapsed = time.perf_counter() - started
        client.delete("baseline:total")
        if server is not None:
            server.stop_if_last()
    return len(chunk) / elapsed, round_trip_us


def _median_round_trip_us(client: Any) -> float:
    times = []
    for _ in range(2000):
        started = time.perf_counter()
        client.ping()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2] * 1e6


if __name__ == "__main__":
    raise SystemExit(main())
