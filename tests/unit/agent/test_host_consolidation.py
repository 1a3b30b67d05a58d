"""The host starts consolidating earlier sessions when the server starts, not at the first request."""

from __future__ import annotations

import asyncio

from cairn.memory.consolidate import LAST_RUN_KEY
from cairn.server.agent.compose import open_agent_host
from cairn.server.settings import Settings


async def test_consolidation_starts_with_the_server_and_does_not_make_it_wait(tmp_path):
    """A new session waits only a few seconds for consolidation at its first request, while a
    server that just started is busy importing litellm: begun at start, it is done by then."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    settings = Settings(model="scripted/host-start", memory_path=str(tmp_path / "memory.sqlite3"))
    host = await open_agent_host(workspace, settings, skills=False)
    try:
        assert host.memory is not None
        store = host.memory.store
        earlier = await store.new_session()
        await store.append_message(earlier, {"role": "user", "content": "The API listens on port 8471."})
        await asyncio.wait_for(host.start_consolidation(), timeout=1.0)  # returns at once
        for _ in range(200):
            if await store.get_meta(LAST_RUN_KEY) is not None:
                break
            await asyncio.sleep(0.05)
        assert await store.get_meta(LAST_RUN_KEY) is not None, "consolidation never ran"
    finally:
        await host.close()
