"""X stream reading: how long a huge line (then a normal post) takes to get through `XSource`.

    python bench/x_long_lines.py                    # 0 (baseline), 1, 4, 16 and 20 MB lines, 120 s limit each
    python bench/x_long_lines.py --sizes 4 --limit 60

A local fake X API (tests/fake_x_api.py, a real HTTP server) sends one post whose text is N MB
(N * 1,000,000 characters), then a normal post; the figure is the time from `XSource.lines()`
starting (rules sync and connection included: see the 0 MB baseline) to the normal post coming
out of it. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fake_x_api import FakeXApi, hold, post  # noqa: E402

from tweetwatch.pipeline.text import Topic  # noqa: E402
from tweetwatch.secret import Secret  # noqa: E402
from tweetwatch.sources.x import XSource  # noqa: E402

TOKEN = "AAAAbench-token-0123456789-zzzz"


def measure(megabytes: int, limit_s: float) -> tuple[float | None, list[bytes]]:
    """Seconds until the post after the huge one is yielded (None past `limit_s`); the lines
    yielded, each cut to 60 bytes."""
    with FakeXApi(TOKEN, keepalive_interval=0.5) as api, tempfile.TemporaryDirectory() as tmp:
        api.connections = [[post(1, "trump " + "x" * (megabytes * 1_000_000), ["trump"]),
                            post(2, "trump small", ["trump"]), hold()]]
        source = XSource(Secret(TOKEN), [Topic("trump", ("trump",))], api.url, state_dir=Path(tmp),
                         stall_timeout=limit_s, backoff_scale=0.01)
        stop = threading.Event()
        started = time.monotonic()
        yielded: list[bytes] = []
        for item in source.lines(stop):
            if item is not None:
                yielded.append(item[:60])
                if b'"id": "2"' in item:
                    stop.set()
                    return time.monotonic() - started, yielded
            if time.monotonic() - started > limit_s:
                stop.set()
        return None, yielded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 1, 4, 16, 20], metavar="MB")
    parser.add_argument("--limit", type=float, default=120.0, metavar="SECONDS")
    args = parser.parse_args()
    for size in args.sizes:
        seconds, yielded = measure(size, args.limit)
        figure = f"{seconds:.2f} s" if seconds is not None else f"> {args.limit:.0f} s (gave up)"
        first = yielded[0] if yielded else b"nothing"
        print(f"{size:3d} MB line, then a post: {figure}; {len(yielded)} lines, the first {first!r}", flush=True)


if __name__ == "__main__":
    main()
