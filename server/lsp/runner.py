"""Runs a built server over a connection until an exit condition, then closes it in order (R7).

Exit conditions: the ``exit`` notification, end of input, SIGTERM/SIGINT, a broken output pipe,
or the death of the editor process named by ``initialize``'s ``processId``. Whatever the cause,
background work is cancelled, resources (the memory database) are closed within a bounded time,
and pending output is flushed. The caller then ends the process without waiting on threads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable

from cairn import environment
from cairn.server.lsp.framing import FrameDecoder
from cairn.server.lsp.server import CairnServer
from cairn.server.lsp.transport import Connection

logger = logging.getLogger(__name__)

DRAIN_TIMEOUT = 0.5
PARENT_POLL_INTERVAL = 1.0


def _max_body() -> int:
    return int(environment.get("CAIRN_MAX_MESSAGE_BYTES"))


async def run(server: CairnServer, connection: Connection) -> int:
    """Serve until told to stop; return the process exit code."""
    loop = asyncio.get_running_loop()
    server.exit_code = loop.create_future()
    server.protocol.set_writer(connection)  # pygls frames the output; the connection moves bytes
    decoder = FrameDecoder(max_body=_max_body())

    def on_bytes(chunk: bytes) -> None:
        for body in decoder.feed(chunk):
            server.protocol.receive_body(body)

    def on_closed(reason: str) -> None:
        server.request_exit(0 if server.protocol.shutdown_received else 1, reason)

    for signum, name in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
        try:
            loop.add_signal_handler(signum, on_closed, name)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass

    connection.start(loop, on_bytes, on_closed)
    code = await server.exit_code
    await server.begin_closing()  # usually done already: it started at `shutdown`
    await connection.drain(DRAIN_TIMEOUT)
    connection.close()
    return code


def watch_parent(server: CairnServer, pid: int) -> None:
    """Exit when the editor process ``pid`` dies, even if it never sends shutdown/exit."""
    loop = asyncio.get_running_loop()

    def parent_gone() -> None:
        server.request_exit(1, f"editor process {pid} is gone")

    try:
        pidfd = os.pidfd_open(pid)  # instant notification on Linux >= 5.3
    except ProcessLookupError:
        parent_gone()
        return
    except (AttributeError, OSError):
        server.spawn(_poll_parent(pid, parent_gone), name="parent-watch")
        return

    def readable() -> None:
        loop.remove_reader(pidfd)
        os.close(pidfd)
        parent_gone()

    loop.add_reader(pidfd, readable)
    server.on_close("parent watch", lambda: _close_pidfd(loop, pidfd))


async def _close_pidfd(loop: asyncio.AbstractEventLoop, pidfd: int) -> None:
    try:
        loop.remove_reader(pidfd)
        os.close(pidfd)
    except (OSError, ValueError):
        pass


async def _poll_parent(pid: int, parent_gone: Callable[[], None]) -> None:
    while True:
        await asyncio.sleep(PARENT_POLL_INTERVAL)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            parent_gone()
            return
        except PermissionError:
            continue  # exists, owned by someone else
