"""An OpenAI-compatible chat-completions server on 127.0.0.1 (stdlib asyncio), scripted per
request: streams, HTTP errors with headers, hangs, truncated/stalled/malformed streams.

Used by the model layer's unit tests and by end-to-end tests of the real server process.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Plan:
    """How the fake server answers one request.

    kind: "stream" (SSE chunks), "status" (an HTTP error), "hang" (read the request, answer
    nothing), "truncate" (stream ``chunks`` then drop the connection), "eof" (stream ``chunks``
    then end the body cleanly without a finish reason), "stall" (stream ``chunks`` then go
    silent), "malformed" (stream ``chunks`` then a line of broken JSON).
    """

    kind: str = "stream"
    chunks: list[str] = field(default_factory=lambda: ["Hello", ", world"])
    tool_calls: list[dict] = field(default_factory=list)
    finish: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    usage: dict | None = None
    delay: float = 0.0
    release: Path | None = None


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict


class FakeOpenAI:
    """An OpenAI-compatible ``/v1/chat/completions`` server on 127.0.0.1 (stdlib asyncio)."""

    def __init__(self) -> None:
        self.plans: list[Plan] = []
        self.default = Plan()
        self.requests: list[Received] = []
        # decides each answer from the request body instead of the queue (scripted sessions)
        self.router: Callable[[dict], Plan] | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    def then(self, kind: str = "stream", **fields: Any) -> FakeOpenAI:
        """Queue how the next unanswered request is answered (chainable)."""
        self.plans.append(Plan(kind=kind, **fields))
        return self

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._handle, sock=sock)

    async def stop(self) -> None:
        for writer in list(self._writers):
            writer.close()
        if self._server:
            self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._serve_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append(Received(path, headers, json.loads(body or b"{}")))
        if self.router is not None:
            plan = self.router(self.requests[-1].body)
        else:
            plan = self.plans.pop(0) if self.plans else self.default
        if plan.kind == "hang":
            await asyncio.Event().wait()
        if plan.kind == "status":
            payload = json.dumps(plan.body or {"error": {"message": "error"}}).encode()
            extra = "".join(f"{k}: {v}\r\n" for k, v in plan.headers.items())
            writer.write(
                f"HTTP/1.1 {plan.status} Error\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n{extra}\r\n".encode()
                + payload
            )
            await writer.drain()
            return True
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        for index, text in enumerate(plan.chunks):
            await asyncio.sleep(plan.delay)
            if plan.release is not None and index == len(plan.chunks) - 1:
                while not plan.release.exists():
                    await asyncio.sleep(0.1)
            await self._event(writer, self._delta({"content": text}))
        for index, call in enumerate(plan.tool_calls):
            arguments = json.dumps(call["arguments"])
            half = len(arguments) // 2
            await self._event(
                writer,
                self._delta(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": call.get("id", f"call_{index}"),
                                "type": "function",
                                "function": {"name": call["name"], "arguments": arguments[:half]},
                            }
                        ]
                    }
                ),
            )
            await self._event(
                writer,
                self._delta({"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]}),
            )
        if plan.kind == "truncate":
            writer.transport.abort()  # mid-body: no terminating chunk, no finish reason
            return False
        if plan.kind == "stall":
            await asyncio.Event().wait()
        if plan.kind == "malformed":
            await self._raw(writer, b'data: {"id": "x", "choices": [{"delta": {"content": "br\n\n')
        elif plan.kind != "eof":
            await self._event(writer, self._delta({}, finish=plan.finish))
            if plan.usage:
                await self._event(
                    writer,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "model": "fake",
                        "choices": [],
                        "usage": plan.usage,
                    },
                )
            await self._raw(writer, b"data: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    @staticmethod
    def _delta(delta: dict, finish: str | None = None) -> dict:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    async def _event(self, writer: asyncio.StreamWriter, payload: dict) -> None:
        await self._raw(writer, f"data: {json.dumps(payload)}\n\n".encode())

    @staticmethod
    async def _raw(writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        await writer.drain()
