"""A real Cairn server process with a scripted model, driven by pytest-lsp's client.

async with cairn_session(tmp_path, turns=[...]) as s:
    result = await s.command("cairn.chat", {"prompt": "hi", "streamId": "s1"})  # the run's outcome
    s.requests()   # every request the model received (recorded by the scripted provider)

The client opts in to `cairn/stream` as the Cairn clients do (``stream=False`` for one that
does not). `cairn.chat` and `cairn.runAction` answer at once with the run's id; ``command``
then waits for the run's end and returns its outcome (`cairn.result`), unless ``wait=False``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.support.lspclient import ClientState, install, open_document
from tests.support.scripts import is_background

SERVER = [sys.executable, "-m", "cairn.server"]
REPO = Path(__file__).resolve().parents[2]
RUN_COMMANDS = ("cairn.chat", "cairn.runAction")


@dataclass
class Session:
    client: LanguageClient
    state: ClientState
    root: Path
    record: Path
    data_dir: Path

    async def command(self, command: str, arguments: dict | None = None, *, wait: bool = True) -> Any:
        """The command's result; for a run (chat, action), the run's outcome once it ended."""
        result = await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=command, arguments=[arguments] if arguments is not None else []
            )
        )
        if not (wait and command in RUN_COMMANDS and isinstance(result, dict) and "runId" in result):
            return result
        await asyncio.wait_for(self.state.stream_done[result["runId"]].wait(), 300)  # after the outcome
        return await self.command("cairn.result", {"runId": result["runId"]})

    def requests(self, include_background: bool = False) -> list[dict]:
        """The requests the model received (the agent's only, unless asked)."""
        if not self.record.exists():
            return []
        found = [json.loads(line) for line in self.record.read_text().splitlines() if line.strip()]
        return found if include_background else [r for r in found if not is_background(r)]

    def open(self, rel: str, language: str = "python") -> str:
        path = self.root / rel
        uri = path.as_uri()
        open_document(self.client, self.state, uri, path.read_text(), language)
        return uri

    def db_files(self) -> list[Path]:
        return sorted(p for p in self.data_dir.rglob("memory.sqlite3*") if p.is_file())


@contextlib.asynccontextmanager
async def cairn_session(
    root: Path,
    turns: list | None = None,
    *,
    preset: str = "visual-studio-code",
    settings: dict | None = None,
    env: dict | None = None,
    data_dir: Path | None = None,
    stream: bool = True,
) -> AsyncIterator[Session]:
    """Start the server with the agent's scripted ``turns`` and initialize it.

    Memory's background model calls (checkpoints, consolidation) are answered separately, so
    ``turns`` are exactly the agent's; ``requests()`` records both kinds."""
    scratch = root.parent / f"{root.name}-session"
    scratch.mkdir(exist_ok=True)
    record = scratch / "requests.jsonl"
    turns_file = scratch / "turns.json"
    turns_file.write_text(json.dumps(turns or []))
    data_dir = data_dir or Path(os.environ["CAIRN_DATA_DIR"])
    server_env = {
        **os.environ,
        "CAIRN_MODEL": "scripted/e2e",
        "CAIRN_SCRIPT": "tests.support.scripts:agent",
        "CAIRN_TEST_TURNS": str(turns_file),
        "PYTHONPATH": str(REPO),
        "CAIRN_SCRIPT_RECORD": str(record),
        "CAIRN_DATA_DIR": str(data_dir),
        "CAIRN_NO_WARMUP": "1",
        **(env or {}),
    }
    client = await ClientServerConfig(server_command=SERVER, server_env=server_env).start()
    state = install(client)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(preset),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"settings": settings or {}, "streamNotifications": stream},
        )
    )
    try:
        yield Session(client, state, root, record, data_dir)
    finally:
        with contextlib.suppress(Exception):
            await client.shutdown_session()
        await client.stop()
