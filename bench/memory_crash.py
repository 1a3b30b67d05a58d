"""R8 full count: kill -9 a writer process at random moments, check the database each time.

Usage: python bench/memory_crash.py [--trials 200] [--seed 0]
Prints the counts; every failure counter must be 0. Exits 0 (the figures are the result).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cairn.memory.trials.crash import run_crash_trials


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cairn-crash-") as tmp:
        started = time.perf_counter()
        report = run_crash_trials(args.trials, Path(tmp), seed=args.seed)
        elapsed = time.perf_counter() - started
    print(f"R8 kill -9 during writes: {report.trials} trials in {elapsed:.1f} s")
    print(f"  acknowledged batches (5 memories x 3 anchors + 1 message): {report.acknowledged}")
    print(f"  committed but unacknowledged at kill (allowed):            {report.unacknowledged_present}")
    print(f"  integrity_check failures:  {report.integrity_failures}")
    print(f"  acknowledged rows lost:    {report.lost_acknowledged}")
    print(f"  half-applied batches:      {report.half_applied}")
    print(f"  FTS index mismatches:      {report.fts_mismatches}")
    for note in report.notes:
        print(f"  note: {note}")
    print(f"RESULT {'PASS' if report.failures == 0 else 'FAIL'}: {report.failures} failures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
