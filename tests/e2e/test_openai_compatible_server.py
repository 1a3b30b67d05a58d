"""The `openai/` + apiBase path through the real server process, against a fake
OpenAI-compatible server on 127.0.0.1: a tool call, then 429, timeout and truncated-stream faults."""

from __future__ import annotations

import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.session import cairn_session

pytestmark = pytest.mark.asyncio


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "notes.txt").write_text("The deploy window is Tuesday 14:00 UTC.\n")
    return root


def env(fake_openai: FakeOpenAI, timeout: str = "30") -> dict:
    return {
        "CAIRN_MODEL": "openai/fake-model",
        "CAIRN_API_BASE": fake_openai.api_base,
        "CAIRN_API_KEY": "sk-placeholder-key-0000000000",
        "CAIRN_REQUEST_TIMEOUT": timeout,
        "CAIRN_ACTION_PROTOCOL": "native",
    }  # an unknown model defaults to JSON actions


async def test_tool_call_and_answer_over_http(fake_openai, workspace):
    fake_openai.then(
        "stream",
        chunks=[],
        tool_calls=[{"name": "read_file", "arguments": {"path": "notes.txt"}}],
        finish="tool_calls",
    )
    fake_openai.then("stream", chunks=["The window is ", "Tuesday 14:00 UTC."])
    async with cairn_session(workspace, env=env(fake_openai)) as s:
        result = await s.command("cairn.chat", {"prompt": "When is the deploy window?", "streamId": "o"})
    assert result["status"] == "done" and result["text"] == "The window is Tuesday 14:00 UTC."
    assert [r.path for r in fake_openai.requests] == ["/v1/chat/completions"] * 2
    assert fake_openai.requests[0].headers["authorization"] == "Bearer sk-placeholder-key-0000000000"
    tool_message = next(m for m in fake_openai.requests[1].body["messages"] if m["role"] == "tool")
    assert "Tuesday 14:00 UTC" in tool_message["content"]


async def test_429_then_timeout_then_success(fake_openai, workspace):
    fake_openai.then(
        "status", status=429, headers={"Retry-After": "1"}, body={"error": {"message": "slow down"}}
    )
    fake_openai.then("hang")
    fake_openai.then("stream", chunks=["Recovered."])
    async with cairn_session(workspace, env=env(fake_openai, timeout="9")) as s:
        result = await s.command("cairn.chat", {"prompt": "Hello", "streamId": "r"})
    assert result["status"] == "done" and result["text"] == "Recovered."
    assert len(fake_openai.requests) == 3


async def test_truncated_streams_end_with_one_clear_error(fake_openai, workspace):
    for _ in range(12):
        fake_openai.then("truncate", chunks=["Half an ans"])
    async with cairn_session(workspace, env=env(fake_openai, timeout="4")) as s:
        result = await s.command("cairn.chat", {"prompt": "Hello", "streamId": "t"})
        errors = [e for e in s.state.streams["t"] if e["kind"] == "error"]
    assert result["status"] == "error" and len(errors) == 1
    assert "cut off" in result["error"] or "did not answer" in result["error"]
