"""An agent over a workspace holding one ``solution.py``, for the tests of what Cairn does after
the model changes it (the edit check, the focused repair): a scripted model, the real tools, and
edits written through to disk."""

from __future__ import annotations

from pathlib import Path

from cairn.server.agent.context_window import TruncatingContext
from cairn.server.agent.conversation import InMemoryConversation
from cairn.server.agent.loop import Agent
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.testing import RecordingObserver
from cairn.server.agent.tools.catalog import workspace_registry
from cairn.server.agent.tools.context import Approver, FixedApprover, ShellPolicy, ToolContext
from cairn.server.agent.tools.overlay import OverlaySink


def solution_agent(
    root: Path,
    prompt: str,
    *,
    model: str,
    trusted: bool = True,
    shell_policy: ShellPolicy = "allow",
    approver: Approver | None = None,
) -> Agent:
    """An agent whose workspace ``root`` holds ``prompt`` as solution.py; ``model`` names the
    scripted model (``scripted/...``)."""
    (root / "solution.py").write_text(prompt)
    ctx = ToolContext.create(
        root, trusted=trusted, shell_policy=shell_policy, approver=approver or FixedApprover(True)
    )
    sink = OverlaySink(ctx.workspace, write_through=True)
    ctx.edits = ctx.buffers = sink
    client = ModelClient(ModelConfig(model=model, request_timeout=10))
    return Agent(
        model=client,
        tools=workspace_registry(shell=trusted),
        tool_context=ctx,
        conversation=InMemoryConversation(),
        context=TruncatingContext(client.count_tokens),
        observer=RecordingObserver(),
        system_prompt="You are a test agent.",
        max_steps=10,
    )
