"""Whose turn it is on an embedded model: one reply at a time, waited for before the clocks start.

The embedded model generates one reply at a time (``LocalRuntime`` holds a lock while it runs).
A call that waits for that lock inside its attempt looks like a stalled provider: no chunk for
the stall timeout, so it is retried, goes to the back of the line, and after enough of that its
whole deadline is gone. A skill-training run with four target runs in flight died that way after
twenty minutes, and an agent's call waiting behind a background checkpoint summary can too. So a
call to an embedded model first waits for its turn here, on the event loop, and only then starts
its deadline and stall clocks (see ``ModelClient.reply``).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator

# One lock per event loop and model: asyncio locks belong to the loop they are used on.
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def embedded_turn(model: str) -> AsyncIterator[None]:
    """Hold ``model``'s turn: the calls to one embedded model from this loop run one at a time,
    in the order they asked (asyncio locks are fair)."""
    turns = _TURNS.setdefault(asyncio.get_running_loop(), {})
    lock = turns.setdefault(model, asyncio.Lock())
    async with lock:
        yield
