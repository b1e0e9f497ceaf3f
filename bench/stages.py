"""Where the collector's time goes, per line: its stages run in-process, no Redis.

    python bench/stages.py                  # 200k lines of the ingest bench's file
    taskset -c 1 python bench/stages.py --tweets 1000000 --repeat 3

Reads the ingest bench's cached file (bench/.cache/, generated if missing) in the
collector's chunks and runs what the collector thread runs on them: `normalize_lines`,
the dedupe claim on a local `RecentIds`, `Aggregator.build` with every aggregate on and
sentiment off, each timed apart. What it leaves out — the Redis round trips, the writer
thread, the status lines — is what `bench/ingest.py` adds on top. Use it to compare
versions of a stage: alternate runs of the two and compare minimums, the host's speed
moves by up to 1.8x. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest import TOPICS, generate  # noqa: E402
from tweetwatch.pipeline.aggregate import Aggregator, Delta  # noqa: E402
from tweetwatch.pipeline.dedupe import RecentIds  # noqa: E402
from tweetwatch.pipeline.model import Record, Tweet  # noqa: E402
from tweetwatch.pipeline.normalize import normalize_lines  # noqa: E402
from tweetwatch.pipeline.text import Topic, TopicMatcher  # noqa: E402
from tweetwatch.sources.replay import line_chunks  # noqa: E402

BATCH = 20_000
"""Records per aggregated batch (the collector's batches at --speed max are this order)."""


STAGES = ("read", "normalize", "dedupe", "aggregate")


def run(path: Path, limit: int, through: str = "aggregate") -> dict[str, float]:
    """Seconds spent per stage over the first `limit` lines of `path`; the stages after
    `through` are not run (bench/instructions.py counts each stage's instructions so)."""
    dedupe = STAGES.index(through) >= STAGES.index("dedupe")
    aggregate = through == "aggregate"
    matcher = TopicMatcher(tuple(Topic(name, tuple(words)) for name, words in TOPICS))
    aggregator = Aggregator(matcher, use_rule_tags=True, sentiment=False)
    recent = RecentIds(window_ms=15 * 60 * 1000)
    spent = dict.fromkeys(STAGES, 0.0)
    records: list[Record] = []
    pending = Delta()
    lines = 0

    def absorb(batch: list[Record]) -> None:
        nonlocal pending
        if not dedupe:
            return
        started = time.perf_counter()
        ids_by_minute: dict[int, list[str]] = {}
        for record in batch:
            if isinstance(record, Tweet):
                ids_by_minute.setdefault(record.created_ms // 60_000, []).append(record.id)
        if dedupe:
            recent.claim(ids_by_minute)
        claimed = time.perf_counter()
        if aggregate:
            pending = pending.absorb(aggregator.build(batch))
        if pending.counters["total"] > 2 * BATCH:
            pending = Delta()  # the writer would have taken it
        spent["dedupe"] += claimed - started
        spent["aggregate"] += time.perf_counter() - claimed

    chunks = line_chunks(path)
    while lines < limit:
        started = time.perf_counter()
        chunk = next(chunks, None)
        read = time.perf_counter()
        spent["read"] += read - started
        if chunk is None:
            break
        normalize_lines(chunk, records)
        spent["normalize"] += time.perf_counter() - read
        lines += len(chunk)
        if len(records) >= BATCH:
            absorb(records)
            records = []
    if records:
        absorb(records)
    spent["lines"] = lines
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tweets", type=int, default=200_000, help="lines of the ingest bench's file to run")
    parser.add_argument("--file-tweets", type=int, default=200_000,
                        help="which cached file: bench/.cache/v2-<N>-1000.jsonl (generated if missing)")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the fastest is printed too")
    args = parser.parse_args()
    path = ROOT / "bench" / ".cache" / f"v2-{args.file_tweets}-1000.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(path, args.file_tweets, 1000.0)
    gc.set_threshold(200_000, 50, 100)  # as the collector sets it
    totals = []
    for _ in range(args.repeat):
        spent = run(path, args.tweets)
        n = spent.pop("lines")
        total = sum(spent.values())
        totals.append(total / n)
        parts = ", ".join(f"{stage} {seconds / n * 1e6:.2f}" for stage, seconds in spent.items())
        print(f"{n:,} lines: {n / total:,.0f} lines/s; µs per line: {parts}, total {total / n * 1e6:.2f}")
    print(f"fastest run: {min(totals) * 1e6:.2f} µs per line ({1 / min(totals):,.0f} lines/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
