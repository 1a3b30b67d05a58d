"""R13 full count: reads, walks and writes race a directory-for-symlink swap; nothing escapes.

Usage: python bench/tools_race.py [--reads 100000] [--writes 20000]
Runs the same harness as tests/unit/agent_tools/test_race.py (loaded by path) with full counts
and prints them; every escape counter must be 0. Exits 0 (the figures are the result).
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[1] / "tests/unit/agent_tools/test_race.py"


def _harness():
    spec = importlib.util.spec_from_file_location("tools_race_harness", HARNESS)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load the race harness {HARNESS}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=20_000)
    args = parser.parse_args()
    race = _harness()
    if race.exchanger() is None:
        print("SKIPPED: libc has no renameat2, the swap cannot be made atomic")
        return 0
    with tempfile.TemporaryDirectory(prefix="cairn-race-") as tmp:
        started = time.perf_counter()
        reads = race.race_reads(*race.make_race_tree(Path(tmp) / "r"), args.reads)
        read_seconds = time.perf_counter() - started
        started = time.perf_counter()
        writes = race.race_writes(*race.make_race_tree(Path(tmp) / "w"), args.writes)
        write_seconds = time.perf_counter() - started
    print(f"R13 read/walk race: {args.reads} rounds in {read_seconds:.1f} s, {reads['swaps']} swaps")
    print(f"  reads inside: {reads['inside']}  refused: {reads['refused']}  OUTSIDE: {reads['outside']}")
    print(f"  walks: {reads['walks']}  walk escapes: {reads['walk_escapes']}")
    print(f"R13 write race: {args.writes} rounds in {write_seconds:.1f} s, {writes['swaps']} swaps")
    print(
        f"  written: {writes['written']}  refused: {writes['refused']}  landed inside: "
        f"{writes['landed_inside']}  LANDED OUTSIDE: {writes['landed_outside']}  "
        f"outside file intact: {bool(writes['outside_intact'])}"
    )
    failures = (
        reads["outside"]
        + reads["walk_escapes"]
        + writes["landed_outside"]
        + (1 - writes["outside_intact"])
        + (writes["landed_inside"] != writes["written"])
    )
    print(f"RESULT {'PASS' if failures == 0 else 'FAIL'}: {failures} failures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
