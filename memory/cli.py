"""`cairn memory show|search|forget|consolidate`: the same store the server uses.

The workspace defaults to the current directory and the database to the per-workspace file in
the user data directory (``--memory-path`` overrides, like the ``memoryPath`` setting).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from cairn.memory.ports import TextModel
from cairn.memory.store import MemoryStore

ModelFactory = Callable[[], TextModel]
# Opens the workspace's store for (workspace root, --memory-path); `cairn` passes the agent
# host's composition (the same redaction and store as the server).
MemoryOpener = Callable[[Path, str | None], AbstractAsyncContextManager[MemoryStore]]


def add_parsers(
    subparsers: argparse._SubParsersAction,
    model_factory: ModelFactory | None = None,
    open_memory: MemoryOpener | None = None,
) -> None:
    """Register ``memory`` and its sub-commands. ``model_factory`` builds the TextModel
    consolidation uses for wording (without it consolidation runs model-free); ``open_memory``
    opens the store (default: directly, with the process's redactor)."""
    memory = subparsers.add_parser("memory", help="show, search, forget or consolidate memory")
    _add_common(memory, defaults=True)
    # The same options after the action (`cairn memory show --workspace X`) override.
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common, defaults=False)
    memory.set_defaults(func=lambda args: (memory.print_help(sys.stderr), 2)[1], open_memory=open_memory)
    actions = memory.add_subparsers(dest="memory_command", metavar="ACTION")

    show = actions.add_parser("show", parents=[common], help="print the workspace's memory as markdown")
    show.set_defaults(func=_run, action="show")

    search = actions.add_parser("search", parents=[common], help="search long-term memory (or --history)")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--history", action="store_true", help="search the raw transcript")
    search.set_defaults(func=_run, action="search")

    forget = actions.add_parser("forget", parents=[common], help="delete one memory by id")
    forget.add_argument("id", type=int)
    forget.set_defaults(func=_run, action="forget")

    consolidate = actions.add_parser("consolidate", parents=[common], help="verify, merge and cap memory now")
    consolidate.set_defaults(func=_run, action="consolidate", model_factory=model_factory)


def _add_common(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--workspace",
        type=Path,
        default=default(None),
        help="workspace folder (default: the current directory)",
    )
    parser.add_argument(
        "--memory-path", default=default(None), help="use this SQLite file instead of the per-workspace one"
    )
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="print JSON instead of markdown"
    )


def _run(args: argparse.Namespace) -> int:
    from cairn.memory.migrate import MemoryStoreError

    try:
        return asyncio.run(_dispatch(args))
    except MemoryStoreError as exc:
        sys.stderr.write(f"cairn memory: {exc}\n")
        return 1


@contextlib.asynccontextmanager
async def _open_store(root: Path, memory_path: str | None) -> AsyncIterator[MemoryStore]:
    from cairn.memory.location import memory_db_path
    from cairn.memory.redaction import process_redactor

    # The values of *KEY*/*TOKEN*/... variables never get stored.
    async with await MemoryStore.open(
        memory_db_path(root, memory_path), workspace_root=root, redactor=process_redactor()
    ) as store:
        yield store


async def _dispatch(args: argparse.Namespace) -> int:
    from cairn.memory.location import memory_db_path

    root = (args.workspace or Path.cwd()).resolve()
    path = memory_db_path(root, args.memory_path)
    if not path.exists():
        # Every action only reads or changes memory that exists: opening would create an empty
        # database (and its data dir) for a mistyped --workspace and hide the mistake.
        sys.stderr.write(f"cairn memory: no memory for {root} yet (it would be at {path})\n")
        return 1 if args.action == "forget" else 0
    opener = getattr(args, "open_memory", None) or _open_store
    async with opener(root, args.memory_path) as store:
        return await ACTIONS[args.action](store, args, root)


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


async def _show(store, args, root) -> int:
    from cairn.memory.render import render_memories, render_sessions

    memories = await store.list_memories()
    if args.json:
        _out(json.dumps([asdict(m) for m in memories], indent=2))
    else:
        _out(render_memories(memories, title=f"Memory of {root.name}"))
        _out(render_sessions(await store.sessions(limit=10)))
    return 0


async def _search(store, args, root) -> int:
    from cairn.memory.render import memory_line

    if args.history:
        hits = await store.search_history(args.query, limit=args.limit)
        if args.json:
            _out(json.dumps([asdict(h) for h in hits], indent=2))
        else:
            _out(
                "\n".join(f"- session {h.session_id[:8]} #{h.seq} {h.role}: {h.snippet}" for h in hits)
                or "no matches"
            )
        return 0
    found = await store.recall(args.query, limit=args.limit, include_stale=True)
    if args.json:
        _out(json.dumps([asdict(m) for m in found], indent=2))
    else:
        _out("\n".join(memory_line(m) for m in found) or "no matches")
    return 0


async def _forget(store, args, root) -> int:
    if await store.forget(args.id):
        _out(f"forgot memory #{args.id}")
        return 0
    sys.stderr.write(f"cairn memory: no memory with id {args.id}\n")
    return 1


async def _consolidate(store, args, root) -> int:
    from cairn.memory.consolidate import ConsolidationBusy, consolidate

    factory = getattr(args, "model_factory", None)
    model = factory() if factory else None

    def progress(message: str, fraction: float) -> None:
        sys.stderr.write(f"[{fraction:4.0%}] {message}\n")

    try:
        report = await consolidate(
            store, workspace_root=root, model=model, now=datetime.now(UTC), progress=progress
        )
    except ConsolidationBusy as exc:
        sys.stderr.write(f"cairn memory: {exc}; try again later\n")
        return 1
    _out(json.dumps(asdict(report), indent=2) if args.json else report.summary())
    return 0


ACTIONS = {"show": _show, "search": _search, "forget": _forget, "consolidate": _consolidate}
