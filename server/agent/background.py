"""Background tasks that are referenced until done, logged when they fail, and cancellable.

asyncio keeps only weak references to tasks: a fire-and-forget task can be garbage-collected
mid-flight, and its exception is reported late or never. The process has one registry: the
server's, which the agent host is built with (``open_agent_host(background=...)``) and which the
server's task runner files its keyed runs in; `cairn ask` gives its host one of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)


class BackgroundTasks:
    """A set of running tasks."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.keyed: dict[str, asyncio.Task[Any]] = {}  # running tasks that have a key

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(
        self, coro: Awaitable[Any], name: str, *, key: str | None = None, log_failure: bool = True
    ) -> asyncio.Task[Any]:
        """Start ``coro``; keep it referenced until done; log its failure (unless the caller
        awaits the task and handles its failure itself: ``log_failure=False``). A ``key`` names
        it for :meth:`cancel` while it runs (one running task per key)."""
        if key is not None and key in self.keyed:
            raise ValueError(f"task {key!r} is already running")
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        if key is not None:
            self.keyed[key] = task

        def finished(done: asyncio.Task[Any]) -> None:
            self._tasks.discard(done)
            if key is not None and self.keyed.get(key) is done:
                del self.keyed[key]
            if log_failure and not done.cancelled() and done.exception() is not None:
                logger.error("Background task %s failed", name, exc_info=done.exception())

        task.add_done_callback(finished)
        return task

    def cancel(self, key: str | None = None) -> int:
        """Cancel the keyed task ``key`` (or every keyed task); returns how many were cancelled."""
        tasks = (
            [self.keyed[key]] if key in self.keyed else [] if key is not None else list(self.keyed.values())
        )
        running = [task for task in tasks if not task.done()]
        for task in running:
            task.cancel()
        return len(running)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def close(self, grace: float = 0.0) -> None:
        """Let the tasks finish within ``grace`` seconds, then cancel and await the rest."""
        if self._tasks and grace > 0:
            await asyncio.wait(list(self._tasks), timeout=grace)
        self.cancel_all()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class IdleTimer:
    """Runs a coroutine once nothing has re-armed or cancelled the timer for ``delay`` seconds.

    Only the waiting is cancelled by :meth:`cancel_pending`; work that has started runs on."""

    def __init__(self) -> None:
        self._task: asyncio.Task[Any] | None = None
        self._working = False

    def arm(self, delay: float, work: Callable[[], Awaitable[Any]], tasks: BackgroundTasks) -> None:
        self.cancel_pending()

        async def wait_then_work() -> None:
            await asyncio.sleep(delay)
            self._working = True
            try:
                await work()
            finally:
                self._working = False

        self._task = tasks.spawn(wait_then_work(), "idle timer")

    def cancel_pending(self) -> None:
        if self._task is not None and not self._working:
            self._task.cancel()
