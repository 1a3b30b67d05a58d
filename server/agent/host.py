"""Builds and runs agents for one workspace: shared by the editor (server/lsp/agent_runs.py)
and the terminal (`cairn ask`), which differ only in the ports they plug in.

The host owns what lives longer than one run: the model client (rebuilt when settings change),
the memory service and skill shelf, and memory-less conversations per session. It is built
whole by ``compose.open_agent_host``; nothing is attached to it afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.memory.redaction import Redactor
from cairn.server.agent import templates
from cairn.server.agent.background import BackgroundTasks, IdleTimer
from cairn.server.agent.context_window import TruncatingContext
from cairn.server.agent.conversation import InMemoryConversation
from cairn.server.agent.loop import Agent, RunResult
from cairn.server.agent.model import ModelClient, ModelConfig
from cairn.server.agent.ports import ContextPolicy, Conversation, RunObserver
from cairn.server.agent.repo_map import MapRenderer, RepoMap
from cairn.server.agent.tools.base import ToolRegistry
from cairn.server.agent.tools.catalog import workspace_registry
from cairn.server.agent.tools.context import Approver, BufferSource, EditSink, ToolContext
from cairn.server.settings import Settings

# A new session's first request waits this long for consolidation of earlier sessions.
WARM_START_WAIT = 3.0
# ...and this long for the consolidation begun when the server started: that one brings in the
# sessions of the day before, and runs beside litellm's import (seconds, holding the GIL).
STARTUP_CONSOLIDATION_WAIT = 15.0
# How long a warm start waits before it tells the user it is waiting for consolidation.
QUIET_WAIT = 0.3
# Seconds without a run after which the editor is idle and memory is consolidated.
IDLE_CONSOLIDATION_DELAY = 120.0

if TYPE_CHECKING:
    from cairn.server.agent.memory_bridge import MemoryService
    from cairn.server.agent.skill_shelf import SkillShelf

logger = logging.getLogger(__name__)


@dataclass
class RunPorts:
    """What a front end plugs into a run."""

    buffers: BufferSource
    edits: EditSink
    approver: Approver
    observer: RunObserver


class ModelProvider:
    """The model client for the current settings, built on first use and again after a change."""

    def __init__(
        self, settings: Settings, redactor: Redactor, factory: Callable[..., ModelClient] = ModelClient
    ) -> None:
        self.settings = settings
        self._redactor = redactor
        self._factory = factory  # a ModelClient subclass in benchmarks that time the model
        self._client: ModelClient | None = None

    def configure(self, settings: Settings) -> None:
        if settings != self.settings:
            self.settings = settings
            self._client = None

    def get(self) -> ModelClient:
        if self._client is None:
            self._client = self._factory(ModelConfig.from_settings(self.settings), redactor=self._redactor)
        return self._client


@dataclass
class AgentHost:
    """One workspace's agent factory, built whole by ``compose.open_agent_host``.

    ``memory`` is None when the workspace has no folder or its database cannot be used
    (``memory_problem`` says why); ``skills`` is None only when skills were not asked for.
    """

    workspace_root: Path | None
    models: ModelProvider
    redactor: Redactor  # secrets never reach the model, the DB or a log (R15)
    memory: MemoryService | None = None
    memory_problem: str | None = None
    skills: SkillShelf | None = None
    extra_tools: list[ToolRegistry] = field(default_factory=list)
    # the workspace's files and symbols, shown to the model; kept between runs (None: no folder)
    repo_map: RepoMap | None = None
    _conversations: dict[str, InMemoryConversation] = field(default_factory=dict, init=False, repr=False)
    # work the agent never waits for (consolidation): the server's registry, or the host's own
    background: BackgroundTasks = field(default_factory=BackgroundTasks, repr=False)
    _consolidation: asyncio.Task[object] | None = field(default=None, init=False, repr=False)
    _startup_consolidation: asyncio.Task[object] | None = field(default=None, init=False, repr=False)
    _idle: IdleTimer = field(default_factory=IdleTimer, init=False, repr=False)

    @property
    def settings(self) -> Settings:
        return self.models.settings

    def configure(self, settings: Settings) -> None:
        """New settings: the next run builds a new model client."""
        self.models.configure(settings)

    def model(self) -> ModelClient:
        return self.models.get()

    async def new_session(self, origin: str = "chat") -> str:
        """A fresh session id (a row in the memory store when there is one)."""
        if self.memory is not None:
            return await self.memory.new_session(origin)
        return uuid.uuid4().hex

    async def latest_session(self, origin: str) -> str | None:
        """The most recently active session started from ``origin`` (None without memory)."""
        if self.memory is None:
            return None
        for session in await self.memory.store.sessions(limit=200):
            if session.origin == origin:
                return session.id
        return None

    async def close(self, grace: float = 0.0) -> None:
        """Let background work finish within ``grace`` seconds, cancel the rest, close memory.

        With a grace period (the end of a `cairn ask` session) the session just ended is
        consolidated first; an editor closing (no grace) leaves that to the next start."""
        self._idle.cancel_pending()
        if grace > 0:
            await self._consolidate(None, wait=grace)
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

            extras.append(skill_registry(self.skills.catalog))
        return registry.merged(*extras)

    def system_prompt(self) -> str:
        index = self.skills.index_text() if self.skills is not None else ""
        return templates.system_prompt(self.workspace_root, index)

    async def conversation(self, session_id: str, origin: str) -> Conversation:
        if self.memory is not None:
            return await self.memory.conversation(session_id, origin)
        return self._conversations.setdefault(session_id, InMemoryConversation(session_id))

    def context_policy(self, session_id: str, model: ModelClient) -> ContextPolicy:
        repo_map = self._map_renderer(model)
        if self.memory is not None:
            return self.memory.context_policy(session_id, model, repo_map=repo_map)
        return TruncatingContext(model.count_tokens, repo_map=repo_map)

    def _map_renderer(self, model: ModelClient) -> MapRenderer | None:
        """``(request, cap, worked) -> map text``, counted with the run's model (None: no map)."""
        repo_map = self.repo_map
        if repo_map is None:
            return None
        return lambda request, cap, worked: repo_map.render(request, cap, model.count_tokens, worked)

    def files_changed(self, paths: Iterable[str]) -> None:
        """Files the editor reports changed or deleted (paths or ``file://`` URIs): the map
        looks at them again before the next step, without walking the tree."""
        if self.repo_map is None or self.workspace_root is None:
            return
        from cairn.memory.paths import normalize_path

        self.repo_map.mark_changed(normalize_path(p, self.workspace_root) for p in paths)

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

    async def run(
        self,
        prompt: str,
        *,
        session_id: str,
        ports: RunPorts,
        origin: str = "chat",
        user_text: str | None = None,
    ) -> RunResult:
        """Run the agent on ``prompt`` in ``session_id`` until it answers or fails.

        ``user_text``: the user's own words when Cairn wrote the rest of ``prompt`` ('' for a
        code action the user only clicked); memory takes instructions only from them."""
        model = self.model()
        tool_context = self._tool_context(ports, session_id)
        self._idle.cancel_pending()
        if self.memory is not None and await self.memory.store.message_count(session_id) == 0:
            # A new session starts warm: what earlier sessions left is consolidated first.
            await self._warm_start(session_id, ports.observer)
        if self.repo_map is not None and tool_context is not None:
            # Stats the tree (one fstatat per file) and re-parses only files whose size or
            # modification time changed since the last run: cheap after the first build.
            await asyncio.to_thread(self.repo_map.refresh, tool_context.workspace)
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
                redact=self.redactor.redact_obj,
                repo_map=self.repo_map,
            )
            return await agent.run(prompt, user_text=user_text)
        finally:
            if tool_context is not None:
                tool_context.workspace.close()
            if self.memory is not None:
                self._idle.arm(
                    IDLE_CONSOLIDATION_DELAY, lambda: self._consolidate(None, wait=None), self.background
                )

    async def _warm_start(self, session_id: str, observer: RunObserver) -> None:
        """Wait a bounded time for consolidation of what earlier sessions left.

        The first request after the server started waits up to ``STARTUP_CONSOLIDATION_WAIT``
        for the consolidation begun at start: stopping sooner would show that request the
        memories as they were before it (values an edit changed, unnoted). Later sessions, code
        actions among them, wait ``WARM_START_WAIT`` at most."""
        startup, self._startup_consolidation = self._startup_consolidation, None  # first request only
        wait = STARTUP_CONSOLIDATION_WAIT if startup is not None and not startup.done() else WARM_START_WAIT
        # Started when due; most often there is nothing to do and it ends before the status
        # line would be worth showing.
        await self._consolidate(session_id, wait=min(QUIET_WAIT, wait))
        if self._consolidation is not None and not self._consolidation.done():
            observer.status("Consolidating what earlier sessions left in memory")
            await asyncio.wait({self._consolidation}, timeout=max(0.0, wait - QUIET_WAIT))

    async def start_consolidation(self) -> None:
        """Start consolidating what earlier sessions left, when due, without waiting for it.

        The server calls this when it starts, so the work overlaps litellm's import instead of
        following it; the first request then waits for it (see ``_warm_start``)."""
        await self._consolidate(None, wait=0)
        self._startup_consolidation = self._consolidation

    async def _consolidate(self, current_session_id: str | None, *, wait: float | None) -> None:
        """Start consolidation when due (one at a time) and wait for it at most ``wait`` seconds.

        Only the wait is bounded: a cancelled consolidation rolls back, so it runs on in the
        background and the next session finds it done."""
        if self.memory is None:
            return
        if self._consolidation is None or self._consolidation.done():
            self._consolidation = self.background.spawn(
                self.memory.consolidate_if_due(current_session_id), "memory consolidation"
            )
        await asyncio.wait({self._consolidation}, timeout=wait)
