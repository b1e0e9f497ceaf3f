"""Scale-out benchmark: `process` workers on a raw stream, 1 of them against 2.

    python bench/workers.py --redis unix:///tmp/r.sock             # 200k lines, 1 then 2 workers
    python bench/workers.py --redis URL --tweets 100000 --workers 1 2 3 --rounds 3

For each count of workers: `collect --raw-only` puts the ingest bench's cached file on the
namespace's raw stream, then that many `tweetwatch process` workers (sentiment off) count it;
the time runs from their start to the moment the consumer group has read every entry and
acknowledged it (polled every 20 ms, so a worker's idle wait before it exits is not in it).
The counts are checked against the file (every line a distinct post). Rounds alternate the
worker counts, as the host's speed moves. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest import generate  # noqa: E402
from tweetwatch.store.keys import Keys  # noqa: E402

GROUP = "tweetwatch"


def tweetwatch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tweetwatch", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)


def all_acknowledged(client: redis.Redis, stream: str) -> bool:
    """The group has been handed the stream's last entry and has nothing pending. (Its
    `entries-read` would say it too, but Redis 7.0 reports it as nil for a group created
    before the stream's first entry, as the forwarder creates it.)"""
    try:
        group = next(g for g in client.xinfo_groups(stream) if g["name"] == GROUP)
        last = client.xinfo_stream(stream)["last-generated-id"]
    except (StopIteration, redis.exceptions.ResponseError):
        return False
    return group["pending"] == 0 and group["last-delivered-id"] == last


def one_run(data: Path, lines: int, workers: int, url: str, env: dict[str, str]) -> float:
    """Lines per second that `workers` workers count `data` at."""
    namespace = f"benchw{os.getpid()}-{workers}-{time.monotonic_ns()}"
    common = ("--redis", url, "--namespace", namespace)
    tweetwatch("collect", "--raw-only", "--raw-maxlen", str(lines * 2), "--replay", str(data), *common, env=env)
    client = redis.Redis.from_url(url, decode_responses=True)
    stream = Keys(namespace).raw
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "tweetwatch", "process", *common, "--consumer", f"w{i}",
                               "--no-sentiment"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(workers)]
    try:
        while not all_acknowledged(client, stream):
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()
    summary = json.loads(tweetwatch("summary", "--json", "--window", "24h", *common, env=env).stdout)
    if summary["total"] != lines or summary["duplicates"]:
        raise SystemExit(f"wrong counts with {workers} workers: {summary['total']} posts, "
                         f"{summary['duplicates']} duplicates, for {lines} lines")
    tweetwatch("reset", "--yes", *common, env=env)
    return lines / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis", required=True, help="server URL (workers share it, as in production)")
    parser.add_argument("--tweets", type=int, default=200_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data = ROOT / "bench" / ".cache" / f"v2-{args.tweets}-1000.jsonl"
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        generate(data, args.tweets, 1000.0)
    with tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, TWEETWATCH_STATE_DIR=state)
        rates: dict[int, list[float]] = {n: [] for n in args.workers}
        for _ in range(args.rounds):
            for n in args.workers:
                rates[n].append(one_run(data, args.tweets, n, args.redis, env))
                print(f"{n} worker(s): {rates[n][-1]:,.0f} lines/s", flush=True)
    best = {n: max(r) for n, r in rates.items()}
    first = args.workers[0]
    for n in args.workers:
        print(f"{n} worker(s), best of {args.rounds}: {best[n]:,.0f} lines/s ({best[n] / best[first]:.2f}x {first})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
