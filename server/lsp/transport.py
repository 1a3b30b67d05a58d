"""Byte transports for the server: stdio (the default) and a single TCP connection.

Stdio (R6, R7): the real fd 0 and fd 1 are duplicated to private descriptors, then fd 0 is
pointed at /dev/null and fd 1 at stderr. From then on a stray ``print``, a C library or a child
process that inherits the standard descriptors cannot corrupt the JSON-RPC stream or steal its
input. Reading and writing happen on daemon threads, so the event loop never blocks on a slow
client, and a thread stuck in ``read`` never keeps the process alive at exit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)

OnBytes = Callable[[bytes], None]
OnClosed = Callable[[str], None]


class Connection(Protocol):
    """What the server runner needs from a transport."""

    def start(self, loop: asyncio.AbstractEventLoop, on_bytes: OnBytes, on_closed: OnClosed) -> None: ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...

    async def drain(self, timeout: float) -> None: ...


def isolate_stdio() -> tuple[int, int]:
    """Take the process's stdin/stdout for JSON-RPC and give everyone else harmless ones.

    Returns private (input_fd, output_fd). Afterwards fd 0 reads /dev/null, fd 1 writes to
    stderr, and ``sys.stdin``/``sys.stdout`` follow suit.
    """
    in_fd = os.dup(0)  # os.dup makes non-inheritable descriptors: children never get these
    out_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, encoding="utf-8")  # lives for the process
    sys.stdout = sys.stderr
    return in_fd, out_fd


class StdioConnection:
    """JSON-RPC over two file descriptors, with reader and writer threads."""

    def __init__(self, in_fd: int, out_fd: int) -> None:
        self._in_fd = in_fd
        self._out_fd = out_fd
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._unsent = 0
        self._lock = threading.Lock()
        self._drained = threading.Event()
        self._drained.set()
        self._closed = False

    def start(self, loop: asyncio.AbstractEventLoop, on_bytes: OnBytes, on_closed: OnClosed) -> None:
        def notify(callback: Callable[..., None], *args: object) -> bool:
            try:
                loop.call_soon_threadsafe(callback, *args)
                return True
            except RuntimeError:  # loop closed: the process is exiting
                return False

        def read_loop() -> None:
            while True:
                try:
                    chunk = os.read(self._in_fd, 65536)
                except OSError as exc:
                    notify(on_closed, f"input error: {exc}")
                    return
                if not chunk:
                    notify(on_closed, "input closed")
                    return
                if not notify(on_bytes, chunk):
                    return

        def write_loop() -> None:
            while True:
                data = self._outbox.get()
                if data is None:
                    return
                try:
                    view = memoryview(data)
                    while view:
                        written = os.write(self._out_fd, view)
                        view = view[written:]
                except OSError as exc:  # EPIPE: the client is gone
                    self._closed = True
                    notify(on_closed, f"output error: {exc}")
                    return
                finally:
                    with self._lock:
                        self._unsent -= 1
                        if self._unsent == 0:
                            self._drained.set()

        threading.Thread(target=read_loop, name="lsp-stdin", daemon=True).start()
        threading.Thread(target=write_loop, name="lsp-stdout", daemon=True).start()

    def write(self, data: bytes) -> None:
        if self._closed:
            return
        with self._lock:
            self._unsent += 1
            self._drained.clear()
        self._outbox.put(data)

    def close(self) -> None:
        self._outbox.put(None)

    async def drain(self, timeout: float) -> None:
        await asyncio.to_thread(self._drained.wait, timeout)


class TcpConnection:
    """JSON-RPC over one accepted TCP connection (``cairn serve --tcp HOST:PORT``)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._task: asyncio.Task[None] | None = None

    def start(self, loop: asyncio.AbstractEventLoop, on_bytes: OnBytes, on_closed: OnClosed) -> None:
        async def read_loop() -> None:
            try:
                while chunk := await self._reader.read(65536):
                    on_bytes(chunk)
                on_closed("connection closed")
            except (ConnectionError, OSError) as exc:
                on_closed(f"connection error: {exc}")

        self._task = loop.create_task(read_loop(), name="lsp-tcp-reader")

    def write(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    def close(self) -> None:
        if self._task:
            self._task.cancel()
        self._writer.close()

    async def drain(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._writer.drain(), timeout)
        except (TimeoutError, ConnectionError, OSError):
            pass


async def accept_one(host: str, port: int) -> TcpConnection:
    """Listen on host:port, accept the first client, stop listening."""
    accepted: asyncio.Future[TcpConnection] = asyncio.get_running_loop().create_future()

    def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if accepted.done():
            writer.close()  # one editor per server process
        else:
            accepted.set_result(TcpConnection(reader, writer))

    listener = await asyncio.start_server(on_client, host, port)
    addresses = ", ".join(str(sock.getsockname()) for sock in listener.sockets)
    logger.info("Listening for one LSP client on %s", addresses)
    try:
        return await accepted
    finally:
        listener.close()
