"""R8, R9, R11 with real subprocesses (reduced counts; bench/ runs the full ones)."""

from __future__ import annotations

from cairn.memory.trials.concurrency import run_migration_race, run_rmw_trials
from cairn.memory.trials.crash import run_crash_trials


def test_r8_kill_9_during_writes_loses_nothing_acknowledged(tmp_path):
    report = run_crash_trials(10, tmp_path, seed=8)
    assert report.trials == 10
    assert report.acknowledged >= 10  # every trial was killed while writing
    assert report.failures == 0, report


def test_r9_two_processes_read_modify_write_without_locks_or_lost_updates(tmp_path):
    report = run_rmw_trials(tmp_path, processes=2, per_process=150)
    assert report.transactions == 300
    assert report.failures == 0, report


def test_r11_paired_starts_migrate_exactly_once(tmp_path):
    report = run_migration_race(tmp_path, pairs=8)
    assert report.pairs == 8
    assert report.failures == 0, report


def test_r12_checkpoints_are_single_flight_across_processes(tmp_path):
    from cairn.memory.trials.races import run_checkpoint_race

    report = run_checkpoint_race(tmp_path, runs=2, rounds=6)
    assert report.checkpoints >= 6  # both processes kept producing new ranges
    assert report.model_calls == report.checkpoints
    assert report.failures == 0, report


def test_r12_consolidation_is_single_flight_across_processes(tmp_path):
    from cairn.memory.trials.races import run_consolidation_race

    report = run_consolidation_race(tmp_path, runs=3)
    assert report.consolidations == 3 and report.model_calls == 3
    assert report.failures == 0, report
