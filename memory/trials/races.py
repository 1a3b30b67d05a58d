"""R12: checkpoint summarisation and consolidation are single-flight across processes.

Two processes share one database. For checkpoints both append to the same session and
observe it after every round (each round grows the uncovered tail past the rolling share);
every model call is logged with the message range it saw. Each
range must be summarised once: model calls never overlap, stored checkpoints tile the
transcript without gaps or overlaps, and no model call is wasted. For consolidation both
processes start ``consolidate_if_due`` at the same instant on a workspace with an
unconsolidated session: exactly one runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cairn.memory.checkpoints import CheckpointWriter, trigger_tokens
from cairn.memory.consolidate import consolidate_if_due
from cairn.memory.store import MemoryStore
from cairn.memory.testing import FakeTextModel
from cairn.memory.trials.concurrency import finish, spawn
from cairn.memory.trials.worker import _wait_for, _write_json

WINDOW = 100_000
MESSAGES_PER_ROUND = 4
NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


class LoggingModel(FakeTextModel):
    """Appends the seq range of every summarisation request to a shared file."""

    def __init__(self, calls: Path, delay: float) -> None:
        super().__init__(lambda messages: "## Next action\nContinue.")
        self.calls_file = calls
        self.delay = delay

    async def complete(self, messages, *, max_tokens=None):
        seqs = [int(s) for s in re.findall(r"^\[(\d+)\]", messages[-1]["content"], re.MULTILINE)]
        with self.calls_file.open("a") as handle:  # O_APPEND: whole lines from both processes
            handle.write(
                json.dumps({"pid": os.getpid(), "first": min(seqs, default=0), "last": max(seqs, default=0)})
                + "\n"
            )
        await asyncio.sleep(self.delay)  # widen the window in which the other process races
        return await super().complete(messages, max_tokens=max_tokens)


async def checkpoint_worker(db: str, session: str, go: str, out: str, calls: str, rounds: str = "6") -> None:
    """One process of the checkpoint race."""
    store = await MemoryStore.open(Path(db))
    writer = CheckpointWriter(store, LoggingModel(Path(calls), 0.02), lease_wait=60)
    # Each round alone grows the uncovered tail past the trigger.
    tokens = trigger_tokens(WINDOW, writer.output_reserve) // MESSAGES_PER_ROUND + 1
    _wait_for(Path(go))
    try:
        for round_ in range(int(rounds)):
            for i in range(MESSAGES_PER_ROUND):
                await store.append_message(
                    session,
                    {"role": "user", "content": f"pid {os.getpid()} round {round_} msg {i}"},
                    tokens=tokens,
                )
            writer.observe(session, WINDOW)
            await asyncio.sleep(0.01)
        await writer.drain()
    finally:
        await writer.close()
        await store.close()
    _write_json(Path(out), {"model_calls": writer.model_calls})


async def consolidate_worker(db: str, workspace: str, go: str, out: str, calls: str) -> None:
    """One process of the consolidation race."""
    store = await MemoryStore.open(Path(db))
    model = LoggingModel(Path(calls), 0.05)
    _wait_for(Path(go))
    try:
        report = await consolidate_if_due(store, workspace_root=Path(workspace), model=model, now=NOW)
    finally:
        await store.close()
    _write_json(Path(out), {"ran": report is not None})


@dataclass
class RaceReport:
    """R12 counts (failures must all be 0)."""

    runs: int = 0
    model_calls: int = 0
    checkpoints: int = 0
    overlapping_summaries: int = 0
    gaps_or_overlaps: int = 0
    wasted_calls: int = 0
    consolidations: int = 0
    double_consolidations: int = 0
    missed_consolidations: int = 0

    @property
    def failures(self) -> int:
        """The sum of all failure counters."""
        return (
            self.overlapping_summaries
            + self.gaps_or_overlaps
            + self.wasted_calls
            + self.double_consolidations
            + self.missed_consolidations
        )


async def _seed(db: Path, long_note: bool) -> str:
    async with await MemoryStore.open(db) as store:
        session = await store.new_session("race")
        if long_note:  # gives the consolidating process one rewording call to make
            # ... and a finished session it has not covered, so a consolidation is due.
            await store.append_message(session, {"role": "user", "content": "Ship the release."})
            await store.remember(
                "The release checklist says run `make dist`, then upload "
                "dist/*.whl, then tag the commit, then announce it in the "
                "channel, and finally close the milestone for the version.",
                source="agent",
                session_id=session,
            )
        return session


def _paired_run(
    workdir: Path,
    name: str,
    long_note: bool,
    mode: str,
    worker_args: Callable[[str, Path, Path, Path], list[str]],
) -> tuple[Path, str, list[dict], list[Path]]:
    """Seed a database, start two ``mode`` workers at the same instant, wait for both.

    ``worker_args(session, go, out, calls)`` gives the arguments after the database path.
    Returns the database, the session, the logged model calls and the workers' result files.
    """
    db, go, calls = workdir / f"{name}.sqlite3", workdir / f"{name}.go", workdir / f"{name}.calls"
    session = asyncio.run(_seed(db, long_note=long_note))
    outs = [workdir / f"{name}-{side}.json" for side in "ab"]
    procs = [spawn(mode, str(db), *worker_args(session, go, out, calls)) for out in outs]
    go.touch()
    finish(procs)
    logged = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    return db, session, logged, outs


def run_checkpoint_race(
    workdir: Path, *, runs: int = 2, rounds: int = 6, report: RaceReport | None = None
) -> RaceReport:
    """``runs`` races of two checkpoint writers on one session each."""
    report = report or RaceReport()
    workdir.mkdir(parents=True, exist_ok=True)
    for run in range(runs):
        db, session, logged, _ = _paired_run(
            workdir,
            f"cp-{run}",
            False,
            "checkpoint",
            lambda session, go, out, calls: [session, str(go), str(out), str(calls), str(rounds)],
        )
        with sqlite3.connect(db) as conn:
            ranges = conn.execute(
                "SELECT first_seq, last_seq FROM checkpoints WHERE session_id = ? ORDER BY last_seq",
                (session,),
            ).fetchall()
        report.runs += 1
        report.model_calls += len(logged)
        report.checkpoints += len(ranges)
        spans = sorted((c["first"], c["last"]) for c in logged)
        report.overlapping_summaries += sum(1 for a, b in zip(spans, spans[1:]) if b[0] <= a[1])
        expected_first = 1
        for first, last in ranges:
            if first != expected_first or last < first:
                report.gaps_or_overlaps += 1
            expected_first = last + 1
        report.wasted_calls += max(0, len(logged) - len(ranges))
    return report


def run_consolidation_race(workdir: Path, *, runs: int = 3, report: RaceReport | None = None) -> RaceReport:
    """``runs`` paired starts of ``maybe_consolidate`` on one database each."""
    report = report or RaceReport()
    workdir.mkdir(parents=True, exist_ok=True)
    for run in range(runs):
        _, _, logged, outs = _paired_run(
            workdir,
            f"dream-{run}",
            True,
            "consolidate",
            lambda session, go, out, calls: [str(workdir), str(go), str(out), str(calls)],
        )
        ran = sum(json.loads(out.read_text())["ran"] for out in outs)
        report.runs += 1
        report.consolidations += ran
        report.model_calls += len(logged)
        report.double_consolidations += max(0, ran - 1) + max(0, len(logged) - 1)
        report.missed_consolidations += 1 if ran == 0 else 0
    return report
