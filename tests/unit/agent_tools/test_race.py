"""R13: no check-then-open race. A directory is swapped for a symlink to the outside, over and
over, while another thread reads, walks and writes through it: nothing outside is ever read or
written; the operations either see the real directory or are refused.

The harness (`race_reads`, `race_writes`) is also run with full counts by bench/tools_race.py,
so this module imports nothing from its package (the bench loads it by path).
"""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path

import pytest
from cairn.server.agent.tools.confine import ConfinedWorkspace
from cairn.server.agent.tools.errors import ToolError

ROUNDS = 1500  # the suite's reduced count; the bench runs many more
OUTSIDE_TEXT = b"OUTSIDE\n"
INSIDE_TEXT = b"inside\n"

_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def exchanger():
    """``exchange(a, b)``: atomically swap two names (renameat2 RENAME_EXCHANGE), or None."""
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return None

    def exchange(a: Path, b: Path) -> None:
        if libc.renameat2(_AT_FDCWD, bytes(a), _AT_FDCWD, bytes(b), _RENAME_EXCHANGE) != 0:
            raise OSError(ctypes.get_errno(), "renameat2")

    return exchange


def make_race_tree(base: Path) -> tuple[Path, Path]:
    """``base/ws/sub/secret.txt`` (inside) and ``base/outside/secret.txt`` (the bait)."""
    ws, outside = base / "ws", base / "outside"
    (ws / "sub").mkdir(parents=True)
    outside.mkdir()
    (ws / "sub" / "secret.txt").write_bytes(INSIDE_TEXT)
    (outside / "secret.txt").write_bytes(OUTSIDE_TEXT)
    return ws, outside


class Swapper(threading.Thread):
    """Flips ``ws/sub`` between the real directory and a symlink to ``outside``, atomically, so
    the name always exists (a writer never sees it missing and never creates it)."""

    def __init__(self, ws: Path, outside: Path) -> None:
        super().__init__(daemon=True)
        self.ws, self.outside = ws, outside
        self.exchange = exchanger()
        self.stopping = threading.Event()
        self.swaps = 0

    def run(self) -> None:
        os.symlink(self.outside, self.ws / "sub-link")
        while not self.stopping.is_set():
            self.exchange(self.ws / "sub", self.ws / "sub-link")
            self.swaps += 1
        if (self.ws / "sub").is_symlink():
            self.exchange(self.ws / "sub", self.ws / "sub-link")

    def __enter__(self) -> Swapper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.join()


def race_reads(ws: Path, outside: Path, rounds: int) -> dict[str, int]:
    """Read and walk ``sub`` ``rounds`` times while it is swapped; count every outcome."""
    counts = {"inside": 0, "refused": 0, "outside": 0, "walks": 0, "walk_escapes": 0, "swaps": 0}
    with ConfinedWorkspace(ws) as confined, Swapper(ws, outside) as swapper:
        for _ in range(rounds):
            try:
                data = confined.read_bytes("sub/secret.txt", 1024)
            except ToolError:
                counts["refused"] += 1
            else:
                counts["inside" if data == INSIDE_TEXT else "outside"] += 1
            try:
                paths = [e.path for e in confined.walk("sub")]
            except ToolError:
                continue
            counts["walks"] += 1
            counts["walk_escapes"] += paths not in ([], ["sub/secret.txt"])
    counts["swaps"] = swapper.swaps
    return counts


def race_writes(ws: Path, outside: Path, rounds: int) -> dict[str, int]:
    """Write new files under ``sub`` ``rounds`` times while it is swapped; count where they land."""
    written = refused = 0
    with ConfinedWorkspace(ws) as confined, Swapper(ws, outside) as swapper:
        for index in range(rounds):
            try:
                confined.write_bytes(f"sub/new-{index}.txt", b"data\n")
                written += 1
            except ToolError:
                refused += 1
    landed_outside = sum(1 for p in outside.iterdir() if p.name != "secret.txt")
    return {
        "written": written,
        "refused": refused,
        "landed_inside": len(list((ws / "sub").glob("new-*.txt"))),
        "landed_outside": landed_outside,
        "outside_intact": int((outside / "secret.txt").read_bytes() == OUTSIDE_TEXT),
        "swaps": swapper.swaps,
    }


@pytest.fixture
def race_tree(tmp_path: Path) -> tuple[Path, Path]:
    if exchanger() is None:
        pytest.skip("libc has no renameat2: the swap cannot be made atomic")
    return make_race_tree(tmp_path)


def test_reads_and_walks_never_cross_a_swapped_symlink(race_tree) -> None:
    counts = race_reads(*race_tree, ROUNDS)
    assert counts["outside"] == 0 and counts["walk_escapes"] == 0, counts
    assert counts["inside"] + counts["refused"] == ROUNDS
    assert counts["swaps"] > 10, "the swapper must actually have raced the reader"


def test_writes_never_land_outside_while_a_directory_is_swapped(race_tree) -> None:
    counts = race_writes(*race_tree, ROUNDS // 3)
    assert counts["landed_outside"] == 0 and counts["outside_intact"] == 1, counts
    assert counts["landed_inside"] == counts["written"]
    assert counts["swaps"] > 10
