"""Soak: the demo source at a high rate with a dashboard attached, for a long time.

    python bench/soak.py --minutes 30 --rate 2000     # the full soak
    python bench/soak.py --minutes 2 --retention 1m  # the short version CI runs

Starts `tweetwatch collect --source demo` (embedded server) and `tweetwatch dashboard` in a
pseudo-terminal against the same namespace, samples the collector's and dashboard's RSS and
the server's `used_memory` every 10 s, and prints the growth after warm-up (the first third)
and every WARNING/ERROR the processes logged. Exits non-zero if a process died or logged an
error; growth is reported, not judged (it depends on the machine).
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from common import rss_mb  # noqa: E402


def main() -> int:
    from test_terminal import spawn_in_pty

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--retention", default="24h",
                        help="stream-time retention; memory plateaus only once the run is longer than it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, TWEETWATCH_STATE_DIR=state, TERM="xterm-256color")
        env.pop("TWEETWATCH_CONFIG", None)
        collector = subprocess.Popen(
            [sys.executable, "-m", "tweetwatch", "collect", "--source", "demo", "--demo-rate", str(args.rate),
             "--no-sentiment", "--retention", args.retention], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sock = Path(state) / "valkey" / "valkey.sock"
        deadline = time.monotonic() + 30
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        dashboard, master = spawn_in_pty([sys.executable, "-m", "tweetwatch", "dashboard", "--source", "demo"],
                                         env, cols=120, rows=40)
        server = redis.Redis(unix_socket_path=str(sock))
        samples: list[tuple[float, float, float, float, int]] = []
        started = time.monotonic()
        end = started + args.minutes * 60
        next_sample = started
        try:
            while time.monotonic() < end:
                if select.select([master], [], [], 0.2)[0]:
                    os.read(master, 1 << 16)
                if collector.poll() is not None or dashboard.poll() is not None:
                    break
                if time.monotonic() >= next_sample:
                    next_sample += 10
                    info = server.info("memory")
                    total = int(server.hget("{tweetwatch-demo}:totals", "total") or 0)
                    samples.append((time.monotonic() - started, rss_mb(collector.pid), rss_mb(dashboard.pid),
                                    info["used_memory"] / 1e6, total))
        finally:
            alive = collector.poll() is None and dashboard.poll() is None
            os.write(master, b"q")
            dashboard.wait(30)
            collector.send_signal(signal.SIGTERM)
            _, err = collector.communicate(timeout=60)
            os.close(master)
        log = (Path(state) / "tweetwatch.log").read_text() if (Path(state) / "tweetwatch.log").exists() else ""
    problems = [line for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line]
    third = max(1, len(samples) // 3)
    warm, last = samples[third - 1], samples[-1]
    print(f"ran              : {last[0] / 60:.1f} min at {args.rate:,.0f} tweets/s target, {last[4]:,} tweets written "
          f"({last[4] / max(last[0], 1):,.0f}/s)")
    for name, index in (("collector RSS", 1), ("dashboard RSS", 2), ("server memory", 3)):
        growth = (last[index] - warm[index]) / warm[index] * 100 if warm[index] else 0.0
        print(f"{name:17}: {warm[index]:.1f} MB after warm-up -> {last[index]:.1f} MB at the end ({growth:+.1f}%)")
    print(f"processes alive  : {'yes' if alive else 'NO'}; errors logged: {len(problems)}")
    for line in problems[:10]:
        print("  " + line)
    if err.strip():
        print("collector stderr (last lines):")
        for line in err.strip().splitlines()[-3:]:
            print("  " + line)
    return 0 if alive and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
