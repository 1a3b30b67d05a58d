"""Server-owned long work with work-done progress and real cancellation.

VS Code sends no ``workDoneToken`` with ``workspace/executeCommand``, so the server creates its
own token (``window/workDoneProgress/create``) when the client supports it — never otherwise:
pygls' ``create_async`` waits forever on a client that does not answer. The progress cancel
button only cancels a future pygls keeps per token; here it cancels the work itself.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

if TYPE_CHECKING:
    from cairn.server.lsp.server import CairnServer

logger = logging.getLogger(__name__)
T = TypeVar("T")

CREATE_TIMEOUT = 5.0  # a client that supports progress answers create at once


class ProgressReporter:
    """Handed to the work: ``report`` updates the editor's progress UI (a no-op without it)."""

    def __init__(self, server: CairnServer, token: str | None) -> None:
        self._server = server
        self.token = token

    def report(self, message: str | None = None, percentage: int | None = None) -> None:
        if self.token is None:
            return
        if percentage is not None:
            percentage = max(0, min(100, int(percentage)))
        self._server.work_done_progress.report(
            self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
        )


class TaskRunner:
    """Runs named units of work with progress; each can be cancelled by key, by the client, or
    all at once. The tasks live in the server's one registry (``server.background``), keyed."""

    def __init__(self, server: CairnServer) -> None:
        self._server = server

    @property
    def running(self) -> dict[str, asyncio.Task[Any]]:
        """The keyed tasks running now."""
        return self._server.background.keyed

    def supports_progress(self) -> bool:
        window = self._server.client_capabilities.window
        return bool(window and window.work_done_progress)

    async def run(
        self,
        title: str,
        work: Callable[[ProgressReporter], Awaitable[T]],
        *,
        key: str | None = None,
        cancellable: bool = True,
    ) -> T:
        """Run ``work`` under a progress token; returns its result or raises CancelledError."""
        key = key or uuid.uuid4().hex
        if key in self.running:
            raise ValueError(f"task {key!r} is already running")
        token = await self._create_token()
        reporter = ProgressReporter(self._server, token)
        # Awaited below, which reports its failure: the registry need not log it again.
        task = self._server.background.spawn(work(reporter), title, key=key, log_failure=False)
        outcome = "Done"
        if token is not None:
            self._server.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title=title, cancellable=cancellable)
            )
            button = self._server.work_done_progress.tokens.get(token)
            if button is not None:  # the client's cancel button cancels this future
                button.add_done_callback(lambda fut: fut.cancelled() and task.cancel())
        try:
            return await task
        except asyncio.CancelledError:
            outcome = "Cancelled"
            raise
        except Exception:
            outcome = "Failed"
            raise
        finally:
            if token is not None:
                self._server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))
                self._server.work_done_progress.tokens.pop(token, None)

    def cancel(self, key: str | None = None) -> int:
        """Cancel the task ``key`` (or every task); returns how many were cancelled."""
        return self._server.background.cancel(key)

    async def _create_token(self) -> str | None:
        if not self.supports_progress():
            return None
        token = str(uuid.uuid4())
        try:
            await asyncio.wait_for(self._server.work_done_progress.create_async(token), CREATE_TIMEOUT)
        except Exception as exc:  # includes timeouts and clients that refuse
            logger.debug("No progress for this task: %s", exc)
            return None
        return token
