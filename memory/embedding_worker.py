"""Embedding new messages in the background: the agent never waits for the model.

:class:`EmbeddingWorker` runs at most one task per store; :meth:`observe` (after messages are
stored) starts it or asks it to look once more, and the task calls
:meth:`~cairn.memory.store_vectors.VectorsMixin.embed_pending` (the model runs in a worker
thread). A message searched before its vector is written is found by its words alone.
"""

from __future__ import annotations

import asyncio
import logging

from cairn.memory.store_vectors import VectorsMixin

log = logging.getLogger(__name__)


class EmbeddingWorker:
    """Keeps a store's message vectors up to date in the background (no-op without an encoder)."""

    def __init__(self, store: VectorsMixin) -> None:
        self.store = store
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._closed = False

    def observe(self) -> None:
        """Note that messages were stored. O(1), never blocks, never raises for a background
        failure (logged). Must be called from the event loop's thread."""
        if self._closed or self.store.encoder is None:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="cairn-embed")

    async def _run(self) -> None:
        while not self._closed and not self.store.closed:
            self._again = False
            try:
                await self.store.embed_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("embedding messages failed")
                return
            if not self._again:
                return

    async def drain(self) -> None:
        """Wait until the task (if any) has nothing left to embed."""
        while self._task is not None and not self._task.done():
            await asyncio.gather(self._task, return_exceptions=True)

    async def close(self, *, timeout: float | None = 1.0) -> None:
        """Stop; a batch still running after ``timeout`` is cancelled (its thread finishes
        its batch, whose vectors are not written: the next session embeds them)."""
        self._closed = True
        task = self._task
        if task is None or task.done():
            return
        _, pending = await asyncio.wait([task], timeout=timeout)
        for waiting in pending:
            waiting.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
