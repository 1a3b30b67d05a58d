"""Subprocess side of the reliability trials: ``python -m cairn.memory.trials.worker MODE ...``.

Each mode opens the store the way the server does and performs one kind of work, writing what
it did (acknowledged ids, counts, errors) to a result file the parent reads after the process
ends or is killed. Nothing is printed to stdout.

Modes:
- ``crash-writer DB ACKS FIRST``: write multi-row batches forever, appending each acknowledged batch
  number to ACKS (the parent kills the process with SIGKILL at a random moment).
- ``rmw DB SESSION COUNT GO OUT``: after GO exists, COUNT read-modify-write transactions.
- ``open DB GO OUT``: after GO exists, open (and so migrate) the store once.
- ``checkpoint DB SESSION GO OUT CALLS``: race a checkpoint writer against another process.
- ``consolidate DB WORKSPACE GO OUT CALLS``: race a consolidation against another process.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from cairn.memory.records import Anchor, MemoryInsert
from cairn.memory.store import MemoryStore

BATCH_SIZE = 5
ANCHORS_PER_MEMORY = 3


def _wait_for(go: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not go.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"start signal {go} never came")
        time.sleep(0.001)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def batch_steps(batch: int) -> list[MemoryInsert]:
    """The multi-row write of one crash-trial batch (5 memories x 3 anchors, FTS rows)."""
    return [
        MemoryInsert(
            kind="fact",
            text=f"batch {batch} item {item} " + "payload " * 20,
            source="derived",
            provenance=f"crash trial batch {batch}",
            anchors=tuple(Anchor(f"src/b{batch}/f{item}_{a}.py") for a in range(ANCHORS_PER_MEMORY)),
        )
        for item in range(BATCH_SIZE)
    ]


async def crash_writer(db: Path, acks: Path, first_batch: int) -> None:
    store = await MemoryStore.open(db)
    session = await store.new_session("crash trial")
    with acks.open("a", buffering=1) as ack:
        batch = first_batch
        while True:
            batch += 1
            await store.apply_memory_plan(batch_steps(batch))
            await store.append_message(session, {"role": "user", "content": f"ack {batch}"})
            ack.write(f"{batch}\n")  # only after both commits returned


async def rmw(db: Path, session: str, count: int, go: Path, out: Path) -> None:
    store = await MemoryStore.open(db)
    done = locked = failed = 0
    _wait_for(go)
    try:
        for i in range(count):
            try:
                await store.append_message(
                    session, {"role": "user", "content": f"pid {os.getpid()} step {i}"}
                )
                if i % 25 == 0:
                    async with store.lease("trial", ttl=5) as _held:
                        pass
                done += 1
            except Exception as exc:  # counted and reported, never hidden
                if "locked" in str(exc):
                    locked += 1
                else:
                    failed += 1
    finally:
        await store.close()
    _write_json(out, {"done": done, "locked": locked, "failed": failed})


async def open_once(db: Path, go: Path, out: Path) -> None:
    _wait_for(go)
    try:
        store = await MemoryStore.open(db)
    except Exception as exc:
        _write_json(out, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    applied = store.migrations_applied
    await store.close()
    _write_json(out, {"ok": True, "applied": applied})


def main(argv: list[str]) -> int:
    mode, args = argv[0], argv[1:]
    if mode == "crash-writer":
        asyncio.run(crash_writer(Path(args[0]), Path(args[1]), int(args[2])))
    elif mode == "rmw":
        asyncio.run(rmw(Path(args[0]), args[1], int(args[2]), Path(args[3]), Path(args[4])))
    elif mode == "open":
        asyncio.run(open_once(Path(args[0]), Path(args[1]), Path(args[2])))
    elif mode in ("checkpoint", "consolidate"):
        from cairn.memory.trials import races

        runner = races.checkpoint_worker if mode == "checkpoint" else races.consolidate_worker
        asyncio.run(runner(*args))
    else:
        sys.stderr.write(f"unknown mode {mode!r}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
