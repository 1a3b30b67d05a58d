"""Running blocking filesystem work off the event loop, stoppable when the caller is cancelled."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def run_cancellable(work: Callable[[threading.Event], T]) -> T:
    """Run ``work(stop)`` in a worker thread and return its result.

    If the awaiting task is cancelled, ``stop`` is set so the work (which checks it between
    files) ends soon instead of running on unobserved; the cancellation propagates at once.
    """
    stop = threading.Event()
    try:
        return await asyncio.to_thread(work, stop)
    except asyncio.CancelledError:
        stop.set()
        raise
