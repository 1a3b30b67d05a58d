"""The real Cairn server plus test-only commands, run as a subprocess by e2e tests.

It is built by the same composition root and served by the same runner as `cairn serve`; the
extra feature only adds commands that let tests provoke what production commands do rarely:
a handler that raises, a long cancellable task with progress, a view of document snapshots.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from pydantic import Field

from cairn.server import __main__ as server_main
from cairn.server.app import FEATURES
from cairn.server.command_args import CommandArgs, NoArgs
from cairn.server.commands import CommandSpec
from cairn.server.lsp.server import CairnServer


class SleepArgs(CommandArgs):
    seconds: float = Field(ge=0, le=600)
    marker: str | None = None


class SnapshotArgs(CommandArgs):
    uri: str


SLOW_CLOSE_ENV = "CAIRN_DEBUG_SLOW_CLOSE"  # a file that a slow closer writes once it has closed
SLEEP = CommandSpec(id="cairn.debug.sleep", arguments=SleepArgs, title="debug: sleep")
RAISE = CommandSpec(id="cairn.debug.raise", arguments=NoArgs, title="debug: raise")
SNAPSHOT = CommandSpec(id="cairn.debug.snapshot", arguments=SnapshotArgs, title="debug: snapshot")


def register_debug(server: CairnServer) -> None:
    async def sleep(args: SleepArgs) -> dict:
        marker = Path(args.marker) if args.marker else None

        async def work(progress) -> dict:
            steps = max(1, int(args.seconds / 0.05))
            try:
                for step in range(steps):
                    await asyncio.sleep(args.seconds / steps)
                    progress.report(f"step {step + 1}/{steps}", int(100 * (step + 1) / steps))
            except asyncio.CancelledError:
                if marker:
                    marker.write_text("cancelled")
                raise
            if marker:
                marker.write_text("finished")
            return {"slept": args.seconds}

        return await server.tasks.run("Sleeping", work, key=args.marker)

    async def fail(_: NoArgs) -> None:
        raise RuntimeError("boom: a handler failed on purpose")

    async def snapshot(args: SnapshotArgs) -> dict:
        snap = await server.documents.snapshot(args.uri)
        return {"uri": snap.uri, "version": snap.version, "text": snap.text}

    async def noise(_: NoArgs) -> dict:
        print("noise-from-print")
        os.system("echo noise-from-os-system")
        child = await asyncio.create_subprocess_shell(
            "echo noise-from-child; read line || echo stdin-was-empty"
        )
        return {"child_exit": await child.wait()}

    @server.feature("cairn/debug/failingNotification")
    def failing_notification(ls: CairnServer, params: object) -> None:
        raise RuntimeError("a notification handler failed on purpose")

    if slow_close_marker := os.environ.get(SLOW_CLOSE_ENV):
        # a resource that takes a while to close (a memory database finishing a write)

        async def close_slowly() -> None:
            await asyncio.sleep(0.2)
            Path(slow_close_marker).write_text("closed")

        server.on_close("debug: slow closer", close_slowly)

    server.register_command(SLEEP, sleep)
    server.register_command(
        CommandSpec(id="cairn.debug.noise", arguments=NoArgs, title="debug: noise"), noise
    )
    server.register_command(RAISE, fail)
    server.register_command(SNAPSHOT, snapshot)


def main() -> None:
    verbosity = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server_main.serve(verbosity=verbosity, features=(*FEATURES, register_debug))


if __name__ == "__main__":
    main()
