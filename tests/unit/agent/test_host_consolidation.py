"""The host starts consolidating earlier sessions when the server starts, not at the first request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from cairn.memory.consolidate import LAST_RUN_KEY
from cairn.server.agent import host as host_module
from cairn.server.agent.compose import open_agent_host
from cairn.server.agent.host import AgentHost, RunPorts
from cairn.server.agent.testing import RecordingObserver, ScriptedModel
from cairn.server.agent.tools.context import FixedApprover, NoBuffers, RefusingSink
from cairn.server.settings import Settings


@pytest.fixture
async def host(tmp_path) -> AsyncIterator[AgentHost]:
    """A host with memory over an empty workspace, as the server builds it."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    settings = Settings(model="scripted/host-consolidation", memory_path=str(tmp_path / "memory.sqlite3"))
    opened = await open_agent_host(workspace, settings, skills=False)
    try:
        yield opened
    finally:
        await opened.close()


async def test_consolidation_starts_with_the_server_and_does_not_make_it_wait(host):
    """A new session waits only a few seconds for consolidation at its first request, while a
    server that just started is busy importing litellm: begun at start, it is done by then."""
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


async def test_the_first_request_after_start_waits_for_the_startup_consolidation(host, monkeypatch):
    """The first request after the server started waits for the consolidation begun at start
    (it runs beside litellm's import, seconds in a server that just started): stopping at the
    few seconds other new sessions wait would show yesterday's replaced value unnoted."""
    monkeypatch.setattr(host_module, "WARM_START_WAIT", 0.05)
    assert host.memory is not None
    memory = host.memory
    earlier = await memory.store.new_session()
    for said in ("The tablet API listens on port 8471.", "Make it 8479 instead of 8471."):
        await memory.store.append_message(earlier, {"role": "user", "content": said})
    consolidate_if_due = memory.consolidate_if_due

    async def slow_consolidation(current: str | None) -> object:
        await asyncio.sleep(0.5)  # longer than the wait of a later new session
        return await consolidate_if_due(current)

    monkeypatch.setattr(memory, "consolidate_if_due", slow_consolidation)
    observer = RecordingObserver()
    statuses = observer.statuses
    ports = RunPorts(
        buffers=NoBuffers(), edits=RefusingSink(), approver=FixedApprover(False), observer=observer
    )
    await host.start_consolidation()
    with ScriptedModel(turns=["Port 8479."]) as script:
        await host.run(
            "Which port does the tablet API use?", session_id=await host.new_session(), ports=ports
        )
    first = "\n".join(str(m.get("content")) for m in script.requests[0]["messages"])
    assert "8471 became 8479" in first, "the first request was assembled before consolidation finished"
    assert any("Consolidating" in status for status in statuses), statuses
    # A later new session with nothing to consolidate starts without that status line.
    monkeypatch.setattr(memory, "consolidate_if_due", consolidate_if_due)
    statuses.clear()
    with ScriptedModel(turns=["Port 8479."]):
        await host.run("And the API?", session_id=await host.new_session(), ports=ports)
    assert not any("Consolidating" in status for status in statuses), statuses
