"""A minimal LSP client over a real server subprocess, for tests that must break the rules.

pytest-lsp's client follows the protocol; lifecycle and framing tests need to send requests
before initialize, malformed bodies and hostile headers, and to check that every byte the
server writes to stdout is a well-formed frame (R6).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "cairn.server"]
DEBUG_SERVE = [sys.executable, str(REPO / "tests" / "support" / "debug_server.py")]


class FramingViolation(AssertionError):
    """The server wrote something to stdout that is not a JSON-RPC frame."""


class RawServer:
    """A server process plus a strict reader of its stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.responses: dict[Any, dict] = {}
        self.notifications: list[dict] = []
        self.server_requests: list[dict] = []
        self._ids = itertools.count(1000)
        self._waiters: dict[Any, asyncio.Future[dict]] = {}
        self._notified = asyncio.Event()  # a notification or a server request arrived
        self._reader = asyncio.ensure_future(self._read_loop())
        self.auto_reply: dict[str, Any] = {}  # server->client request method -> result
        self.refuse: dict[str, dict] = {}  # server->client request method -> JSON-RPC error sent back
        self.hold: set[str] = set()  # server->client request methods left unanswered (see reply())

    @classmethod
    async def start(
        cls, command: Sequence[str] = SERVE, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> RawServer:
        full_env = {**os.environ, **(env or {})}
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=full_env,
            cwd=cwd,
            limit=2**24,
        )
        server = cls(process)
        server.stderr_task = asyncio.ensure_future(process.stderr.read())
        return server

    async def _read_loop(self) -> None:
        stdout = self.process.stdout
        while True:
            header = await stdout.readuntil(b"\r\n\r\n") if not stdout.at_eof() else b""
            if not header:
                return
            lines = header.decode("ascii").split("\r\n")
            length = None
            for line in lines:
                if not line:
                    continue
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
                elif name.lower() != "content-type":
                    raise FramingViolation(f"unexpected header line {line!r}")
            if length is None:
                raise FramingViolation(f"frame without Content-Length: {header!r}")
            body = await stdout.readexactly(length)
            message = json.loads(body)  # raises on anything but JSON
            self._route(message)

    def _route(self, message: dict) -> None:
        if "method" in message and "id" in message:
            self.server_requests.append(message)
            self._notified.set()
            method = message["method"]
            if method in self.hold:
                return
            if method in self.refuse:
                self.send({"jsonrpc": "2.0", "id": message["id"], "error": self.refuse[method]})
                return
            self.reply(message["id"], self.auto_reply.get(method))
        elif "method" in message:
            self.notifications.append(message)
            self._notified.set()
        else:
            self.responses[message.get("id")] = message
            waiter = self._waiters.pop(message.get("id"), None)
            if waiter and not waiter.done():
                waiter.set_result(message)

    def send(self, message: dict) -> None:
        self.send_bytes(frame(message))

    def reply(self, msg_id: Any, result: Any = None) -> None:
        """Answer the server's request ``msg_id`` (one that was held) with ``result``."""
        self.send({"jsonrpc": "2.0", "id": msg_id, "result": result})

    def send_bytes(self, data: bytes) -> None:
        self.process.stdin.write(data)

    async def request(
        self, method: str, params: Any = None, *, msg_id: Any = None, timeout: float = 10.0
    ) -> dict:
        msg_id = next(self._ids) if msg_id is None else msg_id
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[msg_id] = waiter
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return await asyncio.wait_for(waiter, timeout)

    async def response(self, msg_id: Any, timeout: float = 10.0) -> dict:
        if msg_id in self.responses:
            return self.responses[msg_id]
        waiter = self._waiters.setdefault(msg_id, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(waiter, timeout)

    def notify(self, method: str, params: Any = None) -> None:
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    async def initialize(
        self,
        root: Path | None = None,
        capabilities: dict | None = None,
        options: dict | None = None,
        process_id: int | None = None,
    ) -> dict:
        params = {
            "processId": os.getpid() if process_id is None else process_id,
            "rootUri": root.as_uri() if root else None,
            "capabilities": capabilities or {},
            "initializationOptions": options or {},
        }
        response = await self.request("initialize", params)
        self.notify("initialized", {})
        return response

    async def wait_for(self, predicate, timeout: float = 10.0, *, requests: bool = False) -> dict:
        """The first notification (or, with ``requests``, server request) matching ``predicate``,
        already received or future."""
        received = self.server_requests if requests else self.notifications
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for message in received[seen:]:
                if predicate(message):
                    return message
            seen = len(received)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching message")
            self._notified.clear()
            try:
                await asyncio.wait_for(self._notified.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_exit(self, timeout: float) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stderr_text(self) -> str:
        return (await self.stderr_task).decode(errors="replace")

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()

    def reader_error(self) -> BaseException | None:
        """The framing violation (or other failure) of the stdout reader, if any."""
        if not self._reader.done() or self._reader.cancelled():
            return None
        error = self._reader.exception()
        if isinstance(error, asyncio.IncompleteReadError) and not error.partial:
            return None  # clean EOF between frames
        return error


def frame(message: Any) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
