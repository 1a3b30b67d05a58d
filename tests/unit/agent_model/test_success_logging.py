"""litellm's per-call success logging runs only when a success callback would receive it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cairn.server.agent.model import load_litellm
from cairn.server.agent.testing import ScriptedModel

USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
def success_handler_bodies(monkeypatch) -> list[Any]:
    """Records each time litellm's success handler does its work (payload, cost, redaction)."""
    from litellm.litellm_core_utils.litellm_logging import Logging

    calls: list[Any] = []
    real = Logging._async_success_handler_body

    async def body(self, *args, **kwargs):
        calls.append(self)
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(Logging, "_async_success_handler_body", body)
    litellm = load_litellm()
    for name in ("callbacks", "success_callback", "_async_success_callback"):
        monkeypatch.setattr(litellm, name, [])  # a fresh list each test; restored after
    return calls


async def settle() -> None:
    """Let the logging tasks litellm scheduled after the stream run."""
    for _ in range(5):
        await asyncio.sleep(0.02)


async def test_no_success_logging_work_when_nothing_listens(scripted_client, success_handler_bodies):
    with ScriptedModel(turns=["one", "two"]):
        client = scripted_client()
        assert (await client.reply(USER)).text == "one"
        assert await client.complete(USER) == "two"
        await settle()
    assert success_handler_bodies == []


async def test_a_registered_success_callback_still_hears_every_call(scripted_client, success_handler_bodies):
    from litellm.integrations.custom_logger import CustomLogger

    heard: list[Any] = []

    class Listener(CustomLogger):
        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
            heard.append(response_obj)

    load_litellm().callbacks = [Listener()]
    with ScriptedModel(turns=["one", "two"]):
        client = scripted_client()
        await client.reply(USER)
        await client.complete(USER)
        await settle()
    assert len(heard) == 2
    assert len(success_handler_bodies) == 2
