"""An `Approver` for the terminal (``cairn ask``): asks on the controlling terminal.

Library code never writes to stdout (in the server it carries JSON-RPC), so the question goes
to the terminal device itself, or to stderr when given streams explicitly. Without a terminal
the answer is no: a command is never run because nobody was there to refuse it.
"""

from __future__ import annotations

import asyncio
from typing import TextIO

from cairn.server.agent.tools.context import ApprovalRequest

YES = frozenset({"y", "yes"})


class TerminalApprover:
    """Asks ``[y/N]`` for each request; reads the answer in a worker thread.

    ``stream_in``/``stream_out`` default to ``/dev/tty``; when it cannot be opened every
    request is declined.
    """

    def __init__(self, stream_in: TextIO | None = None, stream_out: TextIO | None = None) -> None:
        self._in = stream_in
        self._out = stream_out
        self._lock = asyncio.Lock()  # one question at a time

    async def ask(self, request: ApprovalRequest) -> bool:
        async with self._lock:
            return await asyncio.to_thread(self._ask_sync, request)

    def _ask_sync(self, request: ApprovalRequest) -> bool:
        if self._in is not None and self._out is not None:
            return self._prompt(self._in, self._out, request)
        try:
            with open("/dev/tty", "r+", encoding="utf-8") as tty:
                return self._prompt(tty, tty, request)
        except OSError:
            return False

    @staticmethod
    def _prompt(stream_in: TextIO, stream_out: TextIO, request: ApprovalRequest) -> bool:
        stream_out.write(f"\n{request.title}\n  $ {request.command}\n  {request.detail}\nAllow? [y/N] ")
        stream_out.flush()
        answer = stream_in.readline()
        return answer.strip().lower() in YES
