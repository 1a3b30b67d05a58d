"""Per-step cost of the agent with its SQLite memory does not grow with the session (R18).

Counted, not timed: the store's read queries and the rows they return, step by step, through
the real loop, the real `MemoryContext` and a real store, with the scripted model.
"""

from __future__ import annotations

from cairn.memory.redaction import Redactor
from cairn.server.agent.loop import Agent
from cairn.server.agent.memory_bridge import MemoryService
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.testing import ScriptedModel
from cairn.server.agent.tools.base import Tool, ToolRegistry, ToolResult
from cairn.server.agent.tools.context import ToolContext


class StepMarks:
    """An observer that notes where each step starts in the read log."""

    def __init__(self, log: list[int]) -> None:
        self.log = log
        self.starts: list[int] = []

    def text(self, delta: str) -> None: ...
    def status(self, message: str) -> None: ...

    def step(self, number: int) -> None:
        self.starts.append(len(self.log))


async def test_store_reads_per_step_are_the_same_at_step_10_and_step_100(tmp_path, monkeypatch):
    async def lookup(ctx: ToolContext, key: str) -> ToolResult:
        """Look a key up.

        Args:
            key: The key.
        """
        return ToolResult(f"value of {key} is {key * 30}")

    # A window so large that no checkpoint is due: every read in a step is the agent's own.
    model = ModelClient(ModelConfig(model="scripted/cost", request_timeout=10, context_window=2_000_000))
    # Without the embedding model: its background reads follow its worker thread's timing, not
    # the steps (they are index lookups too: test_history_meaning.py).
    service = await MemoryService.open(
        tmp_path / "memory.sqlite3", tmp_path, Redactor(), lambda: model, embed=False
    )
    rows_per_read: list[int] = []
    real = service.store.fetchall

    async def fetchall(sql, params=()):
        rows = await real(sql, params)
        rows_per_read.append(len(rows))
        return rows

    monkeypatch.setattr(service.store, "fetchall", fetchall)
    session = await service.new_session("chat")
    marks = StepMarks(rows_per_read)
    agent = Agent(
        model=model,
        tools=ToolRegistry([Tool.from_function(lookup)]),
        tool_context=ToolContext.create(tmp_path),
        conversation=await service.conversation(session, "chat"),
        context=service.context_policy(session, model),
        observer=marks,
        system_prompt="You are a test agent.",
        max_steps=200,
    )
    steps = 100
    turns = [{"tool_calls": [{"name": "lookup", "arguments": {"key": f"k{i}"}}]} for i in range(steps - 1)]
    try:
        with ScriptedModel(turns=[*turns, "Done."]):
            result = await agent.run("Look every key up.")
    finally:
        await service.close()
    assert result.steps == steps
    bounds = [*marks.starts, len(rows_per_read)]
    reads = [rows_per_read[a:b] for a, b in zip(bounds, bounds[1:])]
    assert [len(r) for r in reads[10:20]] == [len(r) for r in reads[-10:]]  # queries per step
    # one context read, and the checkpoint writer's probe of the uncovered tail (both indexed)
    assert max(len(r) for r in reads[5:]) <= 2
    assert max(sum(r) for r in reads[-10:]) <= max(sum(r) for r in reads[10:20])  # rows per step


async def test_every_request_is_redacted_but_each_message_only_once(tmp_path):
    from cairn.memory.testing import secret_canaries
    from cairn.server.agent.context_window import TruncatingContext
    from cairn.server.agent.conversation import InMemoryConversation

    canary = secret_canaries()[0]
    secret = canary.needle
    redactor = Redactor()
    redacted: list[dict] = []

    def redact(obj):  # records every message it is given
        redacted.extend(obj if isinstance(obj, list) else [obj])
        return redactor.redact_obj(obj)

    async def lookup(ctx: ToolContext, key: str) -> ToolResult:
        """Look a key up.

        Args:
            key: The key.
        """
        return ToolResult(f"value of {key}: {canary.text}")

    model = ModelClient(ModelConfig(model="scripted/redact", request_timeout=10))
    marks = StepMarks(redacted)
    agent = Agent(
        model=model,
        tools=ToolRegistry([Tool.from_function(lookup)]),
        tool_context=ToolContext.create(tmp_path),
        conversation=InMemoryConversation(),
        context=TruncatingContext(model.count_tokens),
        observer=marks,
        system_prompt="You are a test agent.",
        max_steps=100,
        redact=redact,
    )
    turns = [{"tool_calls": [{"name": "lookup", "arguments": {"key": f"k{i}"}}]} for i in range(59)]
    with ScriptedModel(turns=[*turns, "Done."]) as script:
        await agent.run(f"Look the keys up. {canary.text}")
    assert all(secret not in str(request["messages"]) for request in script.requests)
    assert "[REDACTED" in str(script.requests[-1]["messages"])
    bounds = [*marks.starts, len(redacted)]
    per_step = [b - a for a, b in zip(bounds, bounds[1:])]
    assert max(per_step[5:]) <= 3  # the new messages of the step (and a nudge), not the history
