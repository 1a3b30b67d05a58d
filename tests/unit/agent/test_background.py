"""One registry of background work: keyed tasks, cancel by key, the host joins the server's."""

from __future__ import annotations

import asyncio

import pytest

from cairn.server.agent.background import BackgroundTasks, IdleTimer
from cairn.server.agent.compose import open_agent_host
from cairn.server.settings import Settings


async def test_keyed_tasks_are_listed_cancelled_by_key_and_forgotten_when_done():
    tasks = BackgroundTasks()
    forever = tasks.spawn(asyncio.Event().wait(), "wait", key="run-1")
    quick = tasks.spawn(asyncio.sleep(0), "quick", key="run-2")
    with pytest.raises(ValueError):
        tasks.spawn(asyncio.sleep(0), "again", key="run-1")
    await quick
    await asyncio.sleep(0)  # done callbacks run on the next turn of the loop
    assert set(tasks.keyed) == {"run-1"}
    assert tasks.cancel("run-2") == 0 and tasks.cancel("run-1") == 1
    with pytest.raises(asyncio.CancelledError):
        await forever
    await asyncio.sleep(0)
    assert not tasks.keyed and len(tasks) == 0


async def test_an_idle_timer_waits_in_the_registry_and_only_its_wait_is_cancelled():
    tasks, timer, ran = BackgroundTasks(), IdleTimer(), []

    async def work() -> None:
        ran.append(True)

    timer.arm(60, work, tasks)
    assert len(tasks) == 1
    timer.cancel_pending()
    for _ in range(3):  # the cancellation, then the registry's done callback
        await asyncio.sleep(0)
    assert len(tasks) == 0 and not ran
    timer.arm(0, work, tasks)
    await asyncio.sleep(0.01)
    assert ran == [True]


async def test_the_host_joins_the_registry_it_is_built_with(tmp_path):
    shared = BackgroundTasks()
    host = await open_agent_host(tmp_path, Settings(), memory=False, skills=False, background=shared)
    own = await open_agent_host(tmp_path, Settings(), memory=False, skills=False)
    assert host.background is shared and own.background is not shared
    await host.close()
    await own.close()
