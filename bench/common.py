"""Small helpers shared by the benchmarks."""

from __future__ import annotations


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reference_speed(core: int | None = None, seconds: float = 0.5) -> float:
    """How fast this machine runs Python right now: rounds per second of a fixed pure-Python
    workload (a dict count of split words, an f-string, a small function call, on `core`
    when given). This machine's speed moves by up to 1.6x with the host's load, for the same
    code; a figure printed beside this one can be compared with another run's."""
    import os
    import time

    words = ("rt @someone the quick brown fox jumps over the lazy dog #tag " * 4).split()

    def one_round(i: int) -> int:
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        return len(f"{i}:{len(counts)}")

    before = os.sched_getaffinity(0)
    if core is not None:
        os.sched_setaffinity(0, {core})
    try:
        rounds, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            for i in range(500):
                one_round(i)
            rounds += 500
    finally:
        os.sched_setaffinity(0, before)
    return rounds / elapsed
