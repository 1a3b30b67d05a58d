"""`MemoryContext` through the real loop: what the model sees on a new session's first request."""

from __future__ import annotations

from cairn.memory.redaction import Redactor
from cairn.server.agent.loop import Agent
from cairn.server.agent.memory_bridge import MemoryService
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.testing import ScriptedModel
from cairn.server.agent.tools.base import ToolRegistry
from cairn.server.agent.tools.context import ToolContext


class Quiet:
    def text(self, delta: str) -> None: ...
    def status(self, message: str) -> None: ...
    def step(self, number: int) -> None: ...


async def test_a_new_session_starts_warm_without_the_user_running_anything(tmp_path):
    model = ModelClient(ModelConfig(model="scripted/warm", request_timeout=10))
    service = await MemoryService.open(tmp_path / "memory.sqlite3", tmp_path, Redactor(), lambda: model)
    try:
        yesterday = await service.new_session("chat")
        store = service.store
        await store.append_message(
            yesterday,
            {"role": "user", "content": "Never run the migrations on prod. Pin `requests[socks]==2.31.0`."},
        )
        call = {
            "id": "c1",
            "type": "function",
            "function": {"name": "shell", "arguments": '{"command": "ss"}'},
        }
        await store.append_message(yesterday, {"role": "assistant", "content": None, "tool_calls": [call]})
        await store.append_message(
            yesterday,
            {
                "role": "tool",
                "tool_call_id": "c1",
                "name": "shell",
                "content": "listening on host-02.int.example.net:8443",
            },
        )
        await service.writer.write_now(yesterday)

        today = await service.new_session("chat")
        agent = Agent(
            model=model,
            tools=ToolRegistry(),
            tool_context=ToolContext.create(tmp_path),
            conversation=await service.conversation(today, "chat"),
            context=service.context_policy(today, model),
            observer=Quiet(),
            system_prompt="You are a test agent.",
        )
        with ScriptedModel(turns=["Use 2.31.0."]) as script:
            await agent.run("Which requests version do we pin?")
    finally:
        await service.close()
    first = script.requests[0]["messages"]
    assert first[0] == {"role": "system", "content": "You are a test agent."}  # nothing stored in it
    text = "\n".join(m["content"] for m in first[1:])
    assert "Standing instructions" in text and "Never run the migrations on prod." in text
    assert "<previous-sessions" in text and "requests[socks]==2.31.0" in text
    digest = next(m["content"] for m in first if m["content"].startswith("<previous-sessions"))
    line = next(line for line in digest.splitlines() if "host-02.int.example.net:8443" in line)
    assert "(untrusted data)" in line and "— from command" in line  # data from a command, labelled
    assert first[-1] == {"role": "user", "content": "Which requests version do we pin?"}
