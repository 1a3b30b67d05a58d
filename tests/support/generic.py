"""A client that knows nothing of Cairn: the raw client with the scripted model behind the server.

It sends only standard LSP, opts in to nothing Cairn-specific (no `cairn/stream`), and declares
exactly the capabilities a test gives it, the way eglot, lsp-mode or ALE would.

async with generic_session(tmp_path, root, turns, capabilities=SHOWS_DOCUMENTS) as g:
    started = await g.command("cairn.chat", {"prompt": "hi"})
    shown = await g.server.wait_for(lambda m: m["method"] == "window/showMessage")
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.rawclient import REPO, SERVE, RawServer
from tests.support.scripts import is_background

# Capabilities of a client with the window features Cairn can use instead of `cairn/stream`.
SHOWS_DOCUMENTS = {"window": {"showDocument": {"support": True}, "workDoneProgress": True}}


class CommandError(Exception):
    """The server answered a command with a JSON-RPC error."""

    def __init__(self, error: dict) -> None:
        super().__init__(error.get("message", ""))
        self.error = error


@dataclass
class GenericSession:
    server: RawServer
    record: Path
    data_dir: Path

    async def command(self, command: str, arguments: dict | None = None, timeout: float = 60.0) -> Any:
        """Run ``command``; its result, or CommandError."""
        params: dict[str, Any] = {"command": command}
        if arguments is not None:
            params["arguments"] = [arguments]
        response = await self.server.request("workspace/executeCommand", params, timeout=timeout)
        if "error" in response:
            raise CommandError(response["error"])
        return response["result"]

    def open(self, path: Path, language: str = "python") -> str:
        uri = path.as_uri()
        self.server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": path.read_text()}},
        )
        return uri

    async def message(self, predicate=lambda params: True, timeout: float = 60.0) -> dict:
        """The params of the first ``window/showMessage`` matching ``predicate``."""
        found = await self.server.wait_for(
            lambda m: m["method"] == "window/showMessage" and predicate(m["params"]), timeout
        )
        return found["params"]

    async def server_request(self, method: str, timeout: float = 60.0) -> dict:
        """The first request the server sent the client with ``method``."""
        return await self.server.wait_for(lambda m: m["method"] == method, timeout, requests=True)

    def notifications(self, method: str) -> list[dict]:
        return [m["params"] for m in self.server.notifications if m["method"] == method]

    def requests(self) -> list[dict]:
        """The agent's requests to the scripted model."""
        if not self.record.exists():
            return []
        found = [json.loads(line) for line in self.record.read_text().splitlines() if line.strip()]
        return [r for r in found if not is_background(r)]


@contextlib.asynccontextmanager
async def generic_session(
    scratch: Path,
    root: Path | None,
    turns: list | None = None,
    *,
    capabilities: dict | None = None,
    options: dict | None = None,
    env: dict[str, str] | None = None,
    hold: set[str] | None = None,
    refuse: dict[str, dict] | None = None,
) -> AsyncIterator[GenericSession]:
    """A server with the scripted agent ``turns``, initialized by a generic client.

    ``hold``: server-to-client request methods the client leaves unanswered (the test may
    answer with ``server.reply``); ``refuse``: methods answered with the given error object."""
    scratch.mkdir(parents=True, exist_ok=True)
    record = scratch / "requests.jsonl"
    turns_file = scratch / "turns.json"
    turns_file.write_text(json.dumps(turns or []))
    data_dir = Path(os.environ["CAIRN_DATA_DIR"])
    server = await RawServer.start(
        SERVE,
        env={
            "CAIRN_MODEL": "scripted/e2e",
            "CAIRN_SCRIPT": "tests.support.scripts:agent",
            "CAIRN_TEST_TURNS": str(turns_file),
            "CAIRN_SCRIPT_RECORD": str(record),
            "PYTHONPATH": str(REPO),
            "CAIRN_DATA_DIR": str(data_dir),
            "CAIRN_NO_WARMUP": "1",
            **(env or {}),
        },
    )
    server.hold |= hold or set()
    server.refuse.update(refuse or {})
    try:
        await server.initialize(root, capabilities=capabilities or {}, options=options or {})
        yield GenericSession(server, record, data_dir)
    finally:
        with contextlib.suppress(Exception):
            await server.request("shutdown", timeout=5)
            server.notify("exit")
            await server.wait_exit(5)
        await server.kill()
