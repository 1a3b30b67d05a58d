"""R9, R11, R12 full counts with real processes sharing one workspace database.

Usage: python bench/memory_concurrency.py [--rounds 4] [--per-process 300] [--pairs 100]
Prints the counts; every failure counter must be 0. Exits 0 (the figures are the result).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cairn.memory.trials.concurrency import RmwReport, run_migration_race, run_rmw_trials
from cairn.memory.trials.races import run_checkpoint_race, run_consolidation_race


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="R9 rounds of 2 processes")
    parser.add_argument("--per-process", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=100, help="R11 paired starts")
    parser.add_argument("--races", type=int, default=10, help="R12 races of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cairn-conc-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        total = RmwReport(processes=2)
        for round_ in range(args.rounds):
            one = run_rmw_trials(root / f"rmw-{round_}", processes=2, per_process=args.per_process)
            for name in ("transactions", "locked", "failed", "lost_updates", "duplicate_seqs"):
                setattr(total, name, getattr(total, name) + getattr(one, name))
        print(
            f"R9 read-modify-write, {args.rounds} rounds x 2 processes x {args.per_process} "
            f"({time.perf_counter() - started:.1f} s)"
        )
        print(f"  transactions committed: {total.transactions}")
        print(f"  'database is locked':   {total.locked}")
        print(f"  other errors:           {total.failed}")
        print(f"  lost updates:           {total.lost_updates}")
        print(f"  duplicate seqs:         {total.duplicate_seqs}")

        started = time.perf_counter()
        migration = run_migration_race(root / "migrate", pairs=args.pairs)
        print(
            f"R11 paired starts on a blank database: {migration.pairs} pairs "
            f"({time.perf_counter() - started:.1f} s)"
        )
        print(f"  failed starts:      {migration.failed_starts}")
        print(f"  double migrations:  {migration.double_migrations}")
        print(f"  not fully migrated: {migration.not_migrated}")
        for error in migration.errors[:5]:
            print(f"  error: {error}")

        started = time.perf_counter()
        races = run_checkpoint_race(root / "checkpoint", runs=args.races)
        run_consolidation_race(root / "dream", runs=args.races, report=races)
        print(
            f"R12 single-flight across 2 processes: {args.races} checkpoint races, "
            f"{args.races} consolidation races ({time.perf_counter() - started:.1f} s)"
        )
        print(f"  checkpoints written:            {races.checkpoints}")
        print(f"  model calls (both kinds):       {races.model_calls}")
        print(f"  overlapping summaries:          {races.overlapping_summaries}")
        print(f"  checkpoint gaps/overlaps:       {races.gaps_or_overlaps}")
        print(f"  wasted summarisation calls:     {races.wasted_calls}")
        print(f"  consolidations run:             {races.consolidations} of {args.races}")
        print(
            f"  double / missed consolidations: {races.double_consolidations} / {races.missed_consolidations}"
        )
    failures = total.failures + migration.failures + races.failures
    print(f"RESULT {'PASS' if failures == 0 else 'FAIL'}: {failures} failures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
