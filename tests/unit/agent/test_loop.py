"""The agent loop through the real litellm path with the scripted model (in-process)."""

from __future__ import annotations

import pytest

from cairn.server.agent.context_window import TruncatingContext
from cairn.server.agent.conversation import InMemoryConversation
from cairn.server.agent.errors import ContextWindowExceeded, IncompleteReply, StepLimitReached
from cairn.server.agent.loop import Agent
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.testing import RecordingObserver, ScriptedModel
from cairn.server.agent.tools.base import Tool, ToolRegistry, ToolResult
from cairn.server.agent.tools.catalog import workspace_registry
from cairn.server.agent.tools.context import ToolContext

pytestmark = pytest.mark.asyncio


def make_agent(tmp_path, *, max_steps: int = 20, context=None, window: int | None = None, tools=None):
    calls: list[dict] = []

    async def lookup(ctx: ToolContext, key: str) -> ToolResult:
        """Look a key up.

        Args:
            key: The key.
        """
        calls.append({"key": key})
        return ToolResult(f"value of {key} is 42")

    model = ModelClient(ModelConfig(model="scripted/loop", request_timeout=10, context_window=window))
    conversation = InMemoryConversation()
    agent = Agent(
        model=model,
        tools=tools or ToolRegistry([Tool.from_function(lookup)]),
        tool_context=ToolContext.create(tmp_path),
        conversation=conversation,
        context=context or TruncatingContext(model.count_tokens),
        observer=RecordingObserver(),
        system_prompt="You are a test agent.",
        max_steps=max_steps,
    )
    return agent, conversation, calls


def call(key: str) -> dict:
    return {"tool_calls": [{"name": "lookup", "arguments": {"key": key}}]}


async def test_tools_then_answer_and_every_step_stored(tmp_path):
    agent, conversation, calls = make_agent(tmp_path)
    with ScriptedModel(turns=[call("a"), {"chunks": ["It is ", "42."]}]) as script:
        result = await agent.run("What is a?")
    assert result.text == "It is 42." and result.steps == 2 and result.tool_calls == ["lookup"]
    assert calls == [{"key": "a"}]
    roles = [m["role"] for m in await conversation.history()]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert agent.observer.texts == ["It is ", "42."] and agent.observer.steps == [1, 2]
    assert script.requests[1]["messages"][-1]["role"] == "tool"


async def test_a_repeating_model_is_made_to_answer_without_tools(tmp_path):
    agent, conversation, calls = make_agent(tmp_path)
    with ScriptedModel(turns=[call("a"), call("a"), call("a"), "The answer is 42."]) as script:
        result = await agent.run("What is a?")
    assert result.text == "The answer is 42."
    assert calls == [{"key": "a"}], "a repeated call must not run the tool again"
    # The user sees each repeat for what it was, not a step with nothing in it.
    assert "lookup (repeated, not run)" in agent.observer.statuses
    last = script.requests[-1]
    assert not last["tools"], "the forced answer is requested without tools"
    assert last["messages"][-1]["content"].startswith("Stop calling tools")
    assert not any(
        str(m.get("content") or "").startswith("Stop calling") for m in await conversation.history()
    )


async def test_step_limit_ends_the_run_with_a_clear_error(tmp_path):
    agent, _, _ = make_agent(tmp_path, max_steps=3)
    with ScriptedModel(turns=[call("a"), call("b"), call("c"), call("d")]):
        with pytest.raises(StepLimitReached, match="3 steps"):
            await agent.run("Loop forever")


async def test_a_cut_reply_is_kept_only_as_incomplete(tmp_path):
    agent, conversation, _ = make_agent(tmp_path)
    cut = {"chunks": ["partial"], "cut": True}
    with ScriptedModel(turns=[cut] * 8):
        with pytest.raises(IncompleteReply):
            await agent.run("Say something")
    assert [m["role"] for m in await conversation.history()] == ["user"]
    assert conversation.incomplete and conversation.incomplete[0]["content"] == "partial"


async def test_bad_tool_arguments_are_returned_to_the_model(tmp_path):
    agent, conversation, calls = make_agent(tmp_path)
    bad = {"tool_calls": [{"name": "lookup", "arguments": "{not json"}]}
    with ScriptedModel(turns=[bad, "Sorry."]):
        await agent.run("What is a?")
    tool_message = next(m for m in await conversation.history() if m["role"] == "tool")
    assert "not a JSON object" in tool_message["content"] and calls == []


class RecordingContext(TruncatingContext):
    def __init__(self, count) -> None:
        super().__init__(count)
        self.compactions: list[int] = []

    async def compact(self, refused_tokens: int) -> bool:
        self.compactions.append(refused_tokens)
        return await super().compact(refused_tokens)


async def test_context_overflow_compacts_once_then_gives_up(tmp_path):
    model_count = ModelClient(ModelConfig(model="scripted/loop")).count_tokens
    context = RecordingContext(model_count)
    agent, _, _ = make_agent(tmp_path, context=context)
    with ScriptedModel(turns=[{"error": "context_window"}, "Fine."]):
        assert (await agent.run("x " * 3000)).text == "Fine."
    assert len(context.compactions) == 1 and context.compactions[0] > 2000
    agent, _, _ = make_agent(tmp_path, context=RecordingContext(model_count))
    with ScriptedModel(turns=[{"error": "context_window"}, {"error": "context_window"}]):
        with pytest.raises(ContextWindowExceeded):
            await agent.run("x " * 3000)


async def test_tool_output_is_sized_to_the_models_window(tmp_path):
    """A 30,000-character output cannot fit an 8k window beside the rest of the context: the
    loop tells the tools how much room a result has, so the model sees a bounded result (whose
    head and tail are exact) rather than a context that has to cut it at a random place."""

    async def dump(ctx: ToolContext) -> ToolResult:
        """Print a lot."""
        return ToolResult("H" + "m" * 29_998 + "T")

    sizes = {}
    for window in (8192, 200_000):
        agent, conversation, _ = make_agent(
            tmp_path, window=window, tools=ToolRegistry([Tool.from_function(dump)])
        )
        with ScriptedModel(turns=[{"tool_calls": [{"name": "dump", "arguments": {}}]}, "Done."]):
            await agent.run("Dump it.")
        tool = next(m for m in await conversation.history() if m["role"] == "tool")
        assert tool["content"].startswith("H") and tool["content"].endswith("T")
        sizes[window] = len(tool["content"])
    assert sizes[8192] <= 8192 // 3 * 3 + 200, "about a third of an 8k window at most"
    assert sizes[200_000] == 30_000, "a large window keeps the registry's own cap"


async def test_a_small_window_gets_the_compact_tool_specs(tmp_path):
    sent = {}
    for window in (8192, 200_000):
        # The workspace tools' full specs take about 2,000 tokens.
        agent, _, _ = make_agent(tmp_path, window=window, tools=workspace_registry(shell=True))
        with ScriptedModel(turns=["Hi."]) as script:
            await agent.run("Hello")
        sent[window] = script.requests[0]["tools"]
    assert sent[8192] == agent.tools.specs(compact=True) != agent.tools.specs()
    assert sent[200_000] == agent.tools.specs()
