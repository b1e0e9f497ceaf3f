"""Small helpers shared by the benchmarks."""

from __future__ import annotations


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0
