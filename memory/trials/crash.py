"""R8: kill -9 during writes. Each trial starts a writer process, waits until it is writing,
kills it with SIGKILL at a random moment, then checks the database from a fresh connection:
``integrity_check``, every acknowledged batch present, no half-applied batch, FTS consistent.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cairn.memory.trials.worker import ANCHORS_PER_MEMORY, BATCH_SIZE


@dataclass
class CrashReport:
    """Counts over all trials (every failure counter must be 0)."""

    trials: int = 0
    integrity_failures: int = 0
    lost_acknowledged: int = 0
    half_applied: int = 0
    fts_mismatches: int = 0
    acknowledged: int = 0
    unacknowledged_present: int = 0  # committed but killed before the ack: allowed
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        """The sum of all failure counters."""
        return self.integrity_failures + self.lost_acknowledged + self.half_applied + self.fts_mismatches


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _check(db: Path, acked: set[int], report: CrashReport) -> None:
    conn = sqlite3.connect(db, timeout=30)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            report.integrity_failures += 1
        rows = conn.execute("SELECT provenance FROM memories").fetchall()
        per_batch = Counter(int(p.rsplit(" ", 1)[1]) for (p,) in rows)
        report.half_applied += sum(1 for n in per_batch.values() if n != BATCH_SIZE)
        anchors = conn.execute(
            "SELECT count(*) FROM memories m WHERE (SELECT count(*) FROM memory_anchors a "
            "WHERE a.memory_id = m.id) != ?",
            (ANCHORS_PER_MEMORY,),
        ).fetchone()[0]
        report.half_applied += anchors
        messages = {
            int(c.split()[1])
            for (c,) in conn.execute("SELECT content FROM messages WHERE content LIKE 'ack %'")
        }
        report.lost_acknowledged += len(acked - set(per_batch)) + len(acked - messages)
        report.unacknowledged_present = len(set(per_batch) - acked)
        fts = conn.execute("SELECT count(*) FROM memories_fts").fetchone()[0]
        if fts != len(rows):
            report.fts_mismatches += 1
        try:
            conn.execute("INSERT INTO memories_fts(memories_fts) VALUES('integrity-check')")
            conn.execute("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')")
        except sqlite3.DatabaseError as exc:
            report.fts_mismatches += 1
            report.notes.append(f"fts integrity-check: {exc}")
    finally:
        conn.close()


def run_crash_trials(trials: int, workdir: Path, *, seed: int = 0, max_delay: float = 0.08) -> CrashReport:
    """Run ``trials`` kill -9 trials on one database in ``workdir``; returns the counts."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    db, acks = workdir / "crash.sqlite3", workdir / "acks.txt"
    report = CrashReport()
    acked: set[int] = set()
    for trial in range(trials):
        acks.write_text("")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cairn.memory.trials.worker",
                "crash-writer",
                str(db),
                str(acks),
                str((trial + 1) * 1_000_000),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=_child_env(),
        )
        assert proc.stderr is not None  # piped above
        deadline = time.monotonic() + 30
        while not acks.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if proc.poll() is not None:
            raise RuntimeError(f"crash writer died by itself: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(rng.uniform(0, max_delay))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        # Only complete lines are acknowledgements (the kill can cut the last write).
        acked |= {int(line) for line in acks.read_text().split("\n")[:-1] if line}
        _check(db, acked, report)
        report.trials += 1
    report.acknowledged = len(acked)
    return report
