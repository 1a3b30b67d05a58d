"""R9 and R11 across real processes.

- :func:`run_rmw_trials`: N processes append to one session at once; appending reads the
  session's last ``seq`` and writes ``seq + 1`` (a read-modify-write). Any "database is
  locked", duplicate or missing seq counts as a failure.
- :func:`run_migration_race`: pairs of processes open a blank database at the same instant;
  exactly one of each pair must apply the migrations and both must start.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cairn.memory.migrate import MIGRATIONS
from cairn.memory.store import MemoryStore
from cairn.memory.trials.crash import _child_env


@dataclass
class RmwReport:
    """R9 counts (failures must all be 0)."""

    processes: int = 0
    transactions: int = 0
    locked: int = 0
    failed: int = 0
    lost_updates: int = 0
    duplicate_seqs: int = 0

    @property
    def failures(self) -> int:
        """The sum of all failure counters."""
        return self.locked + self.failed + self.lost_updates + self.duplicate_seqs


@dataclass
class MigrationReport:
    """R11 counts (failures must all be 0)."""

    pairs: int = 0
    failed_starts: int = 0
    double_migrations: int = 0
    not_migrated: int = 0
    errors: tuple[str, ...] = ()

    @property
    def failures(self) -> int:
        """The sum of all failure counters."""
        return self.failed_starts + self.double_migrations + self.not_migrated


def spawn(*args: str) -> subprocess.Popen:
    """Start one trial worker process (stdout closed, stderr captured)."""
    return subprocess.Popen(
        [sys.executable, "-m", "cairn.memory.trials.worker", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_child_env(),
    )


def finish(procs: list[subprocess.Popen], timeout: float = 300) -> None:
    """Wait for worker processes; raise with their stderr if one failed."""
    for proc in procs:
        _, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"trial worker failed ({proc.returncode}): {err.decode()[-2000:]}")


async def _new_session(db: Path) -> str:
    async with await MemoryStore.open(db) as store:
        return await store.new_session("rmw trial")


def run_rmw_trials(workdir: Path, *, processes: int = 2, per_process: int = 300) -> RmwReport:
    """``processes`` writers x ``per_process`` read-modify-write transactions on one session."""
    workdir.mkdir(parents=True, exist_ok=True)
    db, go = workdir / "rmw.sqlite3", workdir / "rmw.go"
    session = asyncio.run(_new_session(db))
    outs = [workdir / f"rmw-{i}.json" for i in range(processes)]
    procs = [spawn("rmw", str(db), session, str(per_process), str(go), str(out)) for out in outs]
    go.touch()
    finish(procs)
    report = RmwReport(processes=processes)
    for out in outs:
        result = json.loads(out.read_text())
        report.transactions += result["done"]
        report.locked += result["locked"]
        report.failed += result["failed"]
    with sqlite3.connect(db) as conn:
        seqs = [
            s
            for (s,) in conn.execute("SELECT seq FROM messages WHERE session_id = ? ORDER BY seq", (session,))
        ]
    report.duplicate_seqs = len(seqs) - len(set(seqs))
    report.lost_updates = processes * per_process - len(set(seqs))
    if seqs and seqs != list(range(1, len(seqs) + 1)):
        report.lost_updates += 1  # a gap means a write was acknowledged then lost
    return report


def run_migration_race(workdir: Path, *, pairs: int = 10) -> MigrationReport:
    """``pairs`` paired starts of two processes on a blank database each."""
    workdir.mkdir(parents=True, exist_ok=True)
    report = MigrationReport()
    errors: list[str] = []
    names = [m.name for m in MIGRATIONS]
    for pair in range(pairs):
        db, go = workdir / f"race-{pair}.sqlite3", workdir / f"race-{pair}.go"
        outs = [workdir / f"race-{pair}-{side}.json" for side in "ab"]
        procs = [spawn("open", str(db), str(go), str(out)) for out in outs]
        go.touch()
        finish(procs, timeout=60)
        results = [json.loads(out.read_text()) for out in outs]
        report.pairs += 1
        failed = [r for r in results if not r["ok"]]
        report.failed_starts += len(failed)
        errors += [r["error"] for r in failed]
        applied = [name for r in results if r["ok"] for name in r["applied"]]
        report.double_migrations += len(applied) - len(set(applied))
        if sorted(set(applied)) != names:
            report.not_migrated += 1
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT name FROM schema_migrations ORDER BY version").fetchall()
        if [r[0] for r in rows] != names:
            report.not_migrated += 1
    report.errors = tuple(errors)
    return report
