"""Instructions per line of each collector stage, counted by valgrind: a figure the host's load
does not move.

    python bench/instructions.py                # 10,000 lines of the ingest bench's file
    python bench/instructions.py --lines 20000

The seconds that bench/stages.py and bench/ingest.py print move by up to 2x on this shared
machine from one minute to the next, so a change of a few percent cannot be told from noise
by timing it. `valgrind --tool=callgrind` counts the instructions the process executes, the
same from run to run within about 0.1%. This runs bench/stages.py's stages under it, each
time through one more stage (normalize, then dedupe, then aggregate), on `--lines` lines and
on none (both after the same warm-up), and prints the differences per line. Instructions are
not seconds (cache misses and branches count too), but a change that saves instructions in
this pure-Python code saves time. Needs valgrind (Debian's package); one run takes ~3 min.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WARM_UP_LINES = 2_000
"""Run before the counted lines in both runs: imports, memos and compiled patterns are paid
for by then, and the difference is the per-line work alone."""


def count(path: Path, lines: int, through: str) -> int:
    """Instructions of a child run of the stages through `through`, over `lines` lines."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, __file__, "--child", str(path), str(lines), through],
        capture_output=True, text=True, check=True,
    )
    found = re.search(r"Collected : ([\d,]+)", result.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no count:\n{result.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def child(path: str, lines: int, through: str) -> None:
    import gc

    from stages import run

    gc.set_threshold(200_000, 50, 100)  # as the collector sets it
    run(Path(path), WARM_UP_LINES, through)
    run(Path(path), lines, through)


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000, help="lines counted (after the warm-up)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt install valgrind)", file=sys.stderr)
        return 1
    from ingest import generate
    from stages import STAGES

    path = ROOT / "bench" / ".cache" / "v2-200000-1000.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(path, 200_000, 1000.0)
    per_line: dict[str, float] = {}
    for through in STAGES[1:]:  # reading is in every run: it is counted with normalize
        per_line[through] = (count(path, args.lines, through) - count(path, 0, through)) / args.lines
    parts, before = [], 0.0
    for stage, cumulative in per_line.items():
        parts.append(f"{stage} {cumulative - before:,.0f}")
        before = cumulative
    print(f"{args.lines:,} lines, instructions per line: {', '.join(parts)} (read with normalize); "
          f"total {before:,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
