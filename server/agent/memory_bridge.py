"""The workspace's memory as the agent sees it: the store behind the loop's ports.

`MemoryService` owns the open `MemoryStore` and its background `CheckpointWriter`. It gives
each run a `StoreConversation` (every message committed before the next model call) and a
`MemoryContext` (memory's `assemble()` within the budget, checkpoints started as the session
grows, compaction on overflow), the memory tools, and consolidation. The model is reached
lazily through the host, so a settings change is picked up and an unconfigured model only
means checkpoints without narrative.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cairn.memory.checkpoints import CheckpointWriter
from cairn.memory.consolidate import ConsolidationReport, consolidate, consolidate_if_due
from cairn.memory.context import ContextAssembler
from cairn.memory.embedding_worker import EmbeddingWorker
from cairn.memory.minilm import load_encoder
from cairn.memory.redaction import Redactor
from cairn.memory.store import MemoryStore
from cairn.server.agent.errors import AgentError
from cairn.server.agent.model import ModelClient
from cairn.server.agent.ports import COMPACT_RATIO, Conversation
from cairn.server.agent.repo_map import MapRenderer
from cairn.server.agent.tools.base import ToolRegistry

logger = logging.getLogger(__name__)

SIDE_FILES = ("", "-wal", "-shm", "-journal")


class LazyTextModel:
    """memory's `TextModel` port over whatever model the host has configured now."""

    def __init__(self, model: Callable[[], ModelClient]) -> None:
        self._model = model

    async def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str:
        return await self._model().complete(messages, max_tokens=max_tokens)


class StoreConversation:
    """A session's transcript in the memory store."""

    def __init__(self, store: MemoryStore, session_id: str, embedder: EmbeddingWorker | None = None) -> None:
        self._store = store
        self.session_id = session_id
        self._embedder = embedder

    async def add(
        self,
        message: dict,
        *,
        complete: bool = True,
        tokens: int | None = None,
        user_text: str | None = None,
    ) -> None:
        await self._store.append_message(
            self.session_id, message, complete=complete, tokens=tokens, user_text=user_text
        )
        if self._embedder is not None:
            self._embedder.observe()

    async def history(self) -> list[dict]:
        return await self._store.messages(self.session_id)


class MemoryContext:
    """Context assembly from memory; starts background checkpoints as the session grows.

    One per run: its `ContextAssembler` keeps the session's tail and what it showed between
    steps, so a step reads only the rows appended since the last one (R18)."""

    def __init__(
        self,
        service: MemoryService,
        session_id: str,
        model: ModelClient,
        repo_map: MapRenderer | None = None,
    ) -> None:
        self._service = service
        self._repo_map = repo_map  # (request, cap, worked) -> the repository map
        self._session_id = session_id
        self._model = model
        self._cap: int | None = None  # set below the size the model refused
        self._assembler = ContextAssembler(service.store, session_id, count_tokens=model.count_tokens)

    async def messages(
        self, system_prompt: str, conversation: Conversation, *, request: str, budget: int
    ) -> list[dict]:
        # The store is the transcript: the user's message is stored, so recall goes by it.
        render = self._repo_map
        context = await self._assembler.assemble(
            system_prompt=system_prompt,
            budget_tokens=max(1024, min(budget, self._cap or budget)),
            repo_map=(lambda cap, worked: render(request, cap, worked)) if render is not None else None,
        )
        # The writer measures the part of the session no checkpoint covers yet (one indexed query).
        self._service.writer.observe(self._session_id, self._model.context_window(), budget_tokens=budget)
        return [dict(m) for m in context]  # copies: the assembler keeps its own between steps

    async def compact(self, refused_tokens: int) -> bool:
        """Write a checkpoint now, then assemble at most 60% of what the model refused."""
        try:
            await self._service.writer.write_now(self._session_id)
        except Exception:  # a checkpoint is a bonus here; the smaller budget is what matters
            logger.exception("checkpoint during compaction failed")
        self._cap = int(refused_tokens * COMPACT_RATIO)
        return self._cap >= 1024


class MemoryService:
    """One workspace's open memory."""

    def __init__(
        self, store: MemoryStore, workspace_root: Path, db_path: Path, model: Callable[[], ModelClient]
    ) -> None:
        self.store = store
        self.workspace_root = workspace_root
        self.db_path = db_path
        self._model = model
        self.text_model = LazyTextModel(model)
        self.writer = CheckpointWriter(store, self.text_model, count_tokens=self._count)
        self.embedder = EmbeddingWorker(store)

    @classmethod
    async def open(
        cls,
        db_path: Path,
        workspace_root: Path,
        redactor: Redactor,
        model: Callable[[], ModelClient],
        *,
        embed: bool = True,
    ) -> MemoryService:
        """Open the workspace's store; with ``embed`` (and the `embed` extra installed),
        `history` also ranks by meaning and new messages are embedded in the background."""
        db_path.parent.mkdir(parents=True, exist_ok=True)
        # The embedding model, read and hash-checked once per process.
        encoder = await asyncio.to_thread(load_encoder) if embed else None
        store = await MemoryStore.open(
            db_path, redactor=redactor, workspace_root=workspace_root, encoder=encoder
        )
        service = cls(store, workspace_root, db_path, model)
        service.embedder.observe()  # what earlier sessions stored before vectors existed
        return service

    def _count(self, text: str) -> int:
        try:
            return self._model().count_tokens(text)
        except AgentError:  # no model configured: memory's own rough counter
            from cairn.memory.ports import approx_tokens

            return approx_tokens(text)

    async def new_session(self, origin: str) -> str:
        return await self.store.new_session(origin=origin)

    async def conversation(self, session_id: str, origin: str) -> StoreConversation:
        return StoreConversation(self.store, session_id, self.embedder)

    def context_policy(
        self, session_id: str, model: ModelClient, repo_map: MapRenderer | None = None
    ) -> MemoryContext:
        return MemoryContext(self, session_id, model, repo_map)

    def tools(self) -> ToolRegistry:
        from cairn.server.agent.tools.memory_tools import memory_registry

        return memory_registry(self.store)

    def protected_paths(self) -> tuple[Path, ...]:
        """The database and its side files: the agent never reads or writes them (R13)."""
        return tuple(Path(f"{self.db_path}{suffix}") for suffix in SIDE_FILES)

    async def consolidate_if_due(self, current_session_id: str | None = None) -> ConsolidationReport | None:
        """Consolidate what earlier sessions left uncovered (cheap no-op when nothing is).

        Never cancel it midway on purpose: a cancelled consolidation rolls back, so callers
        bound their *wait*, not the work (see ``AgentHost``)."""
        return await consolidate_if_due(
            self.store,
            workspace_root=self.workspace_root,
            model=self.text_model,
            now=datetime.now(UTC),
            current_session_id=current_session_id,
        )

    async def consolidate(self, progress: Callable[[str, float], None] | None = None) -> ConsolidationReport:
        return await consolidate(
            self.store,
            workspace_root=self.workspace_root,
            model=self.text_model,
            now=datetime.now(UTC),
            progress=progress,
        )

    def status(self) -> dict[str, Any]:
        return {"path": str(self.db_path), "open": not self.store.closed}

    async def close(self) -> None:
        try:
            await self.writer.close(timeout=1.0)
            await self.embedder.close(timeout=1.0)
        finally:
            await self.store.close()
