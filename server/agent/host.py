"""Builds and runs agents for one workspace: shared by the editor (server/lsp/agent_runs.py)
and the terminal (`cairn ask`), which differ only in the ports they plug in.

The host owns what lives longer than one run: the model client (rebuilt when settings change),
the optional memory service and skill catalog, and memory-less conversations per session.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.memory.redaction import Redactor
from cairn.server.agent import templates
from cairn.server.agent.background import BackgroundTasks
from cairn.server.agent.context_window import TruncatingContext
from cairn.server.agent.conversation import InMemoryConversation
from cairn.server.agent.loop import Agent, RunResult
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.ports import ContextPolicy, Conversation, RunObserver
from cairn.server.agent.tools.base import ToolRegistry
from cairn.server.agent.tools.catalog import workspace_registry
from cairn.server.agent.tools.context import Approver, BufferSource, EditSink, ToolContext
from cairn.server.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class RunPorts:
    """What a front end plugs into a run."""

    buffers: BufferSource
    edits: EditSink
    approver: Approver
    observer: RunObserver


@dataclass
class AgentHost:
    """One workspace's agent factory. ``memory`` and ``skills`` are optional services."""

    workspace_root: Path | None
    settings: Settings
    memory: Any = None  # cairn.server.agent.memory_bridge.MemoryService
    skills: Any = None  # cairn.skills.catalog.Catalog
    redactor: Redactor | None = None  # secrets never reach the model (R15)
    extra_tools: list[ToolRegistry] = field(default_factory=list)
    _model: ModelClient | None = field(default=None, init=False, repr=False)
    _conversations: dict[str, InMemoryConversation] = field(default_factory=dict, init=False, repr=False)
    # work the agent never waits for (consolidation); close() cancels it
    background: BackgroundTasks = field(default_factory=BackgroundTasks, init=False, repr=False)

    def configure(self, settings: Settings) -> None:
        """New settings: the next run builds a new model client."""
        if settings != self.settings:
            self.settings = settings
            self._model = None

    def model(self) -> ModelClient:
        if self._model is None:
            self._model = ModelClient(ModelConfig.from_settings(self.settings))
        return self._model

    async def new_session(self, origin: str = "chat") -> str:
        """A fresh session id (a row in the memory store when there is one)."""
        if self.memory is not None:
            return await self.memory.new_session(origin)
        return uuid.uuid4().hex

    async def close(self, grace: float = 0.0) -> None:
        """Let background work finish within ``grace`` seconds, cancel the rest, close memory."""
        await self.background.close(grace)
        if self.memory is not None:
            await self.memory.close()

    def shell_enabled(self) -> bool:
        """No shell in untrusted workspaces or when the user denied it (R16)."""
        return self.settings.trusted and self.settings.shell != "deny"

    def tools(self) -> ToolRegistry:
        if self.workspace_root is None:
            return ToolRegistry()
        registry = workspace_registry(shell=self.shell_enabled())
        extras = list(self.extra_tools)
        if self.memory is not None:
            extras.append(self.memory.tools())
        if self.skills is not None:
            from cairn.server.agent.skill_tools import skill_registry

            extras.append(skill_registry(self.skills))
        return registry.merged(*extras)

    def system_prompt(self) -> str:
        index = self.skills.index_text() if self.skills is not None else ""
        return templates.system_prompt(self.workspace_root, index)

    async def conversation(self, session_id: str, origin: str) -> Conversation:
        if self.memory is not None:
            return await self.memory.conversation(session_id, origin)
        return self._conversations.setdefault(session_id, InMemoryConversation(session_id))

    def context_policy(self, session_id: str, model: ModelClient) -> ContextPolicy:
        if self.memory is not None:
            return self.memory.context_policy(session_id, model)
        return TruncatingContext(model.count_tokens)

    def _tool_context(self, ports: RunPorts, session_id: str) -> ToolContext | None:
        if self.workspace_root is None:
            return None
        protected = self.memory.protected_paths() if self.memory is not None else ()
        return ToolContext.create(
            self.workspace_root,
            protected_paths=protected,
            buffers=ports.buffers,
            edits=ports.edits,
            approver=ports.approver,
            trusted=self.settings.trusted,
            shell_policy=self.settings.shell,
            shell_timeout=self.settings.shell_timeout,
            session_id=session_id,
        )

    async def run(self, prompt: str, *, session_id: str, ports: RunPorts, origin: str = "chat") -> RunResult:
        """Run the agent on ``prompt`` in ``session_id`` until it answers or fails."""
        model = self.model()
        tool_context = self._tool_context(ports, session_id)
        if self.memory is not None:
            self.background.spawn(self.memory.after_first_message(session_id), "memory consolidation")
        try:
            agent = Agent(
                model=model,
                tools=self.tools(),
                tool_context=tool_context,
                conversation=await self.conversation(session_id, origin),
                context=self.context_policy(session_id, model),
                observer=ports.observer,
                system_prompt=self.system_prompt(),
                max_steps=self.settings.max_steps,
                redact=self.redactor.redact_obj if self.redactor is not None else None,
            )
            return await agent.run(prompt)
        finally:
            if tool_context is not None:
                tool_context.workspace.close()
