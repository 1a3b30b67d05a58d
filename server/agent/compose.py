"""The one way to build the agent host: the editor, `cairn ask`, `cairn memory` and every
benchmark call :func:`open_agent_host`, so they all get the same redaction, memory and skills.

    host = await open_agent_host(root, settings)
    try:
        result = await host.run(prompt, session_id=await host.new_session("cli"), ports=ports)
    finally:
        await host.close()
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from cairn.memory.location import memory_db_path
from cairn.memory.redaction import Redactor, process_redactor
from cairn.memory.store import MemoryStoreError
from cairn.server.agent.background import BackgroundTasks
from cairn.server.agent.host import AgentHost, ModelProvider
from cairn.server.agent.memory_bridge import MemoryService
from cairn.server.agent.model import ModelClient
from cairn.server.agent.repo_map import RepoMap
from cairn.server.agent.skill_shelf import SkillShelf
from cairn.server.settings import Settings

logger = logging.getLogger(__name__)


def settings_redactor(settings: Settings, redactor: Redactor | None = None) -> Redactor:
    """The process's redactor (secret-named environment values registered) plus the
    configured API key (and its halves: providers echo keys partly masked)."""
    redactor = redactor or process_redactor()
    key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    if key:
        redactor.add_secret(key, fragments=True)
    return redactor


async def open_agent_host(
    workspace_root: Path | None,
    settings: Settings,
    *,
    redactor: Redactor | None = None,
    memory: bool = True,
    skills: bool = True,
    model_factory: Callable[..., ModelClient] = ModelClient,
    background: BackgroundTasks | None = None,
) -> AgentHost:
    """Build the whole host for ``workspace_root``: redactor, model, memory, skills.

    Memory is opened unless ``memory`` is False; a workspace without a folder, or a database
    that cannot be used (a newer schema, not SQLite), gives a host without memory whose
    ``memory_problem`` says why (the database is never altered then). ``background``: the
    registry the host's background work joins (the server passes its own: one per process).
    """
    redactor = settings_redactor(settings, redactor)
    models = ModelProvider(settings, redactor, model_factory)
    service: MemoryService | None = None
    problem: str | None = None
    if not memory:
        problem = "memory is turned off"
    elif workspace_root is None:
        problem = "no workspace folder is open"
    else:
        path = memory_db_path(workspace_root, settings.memory_path)
        try:
            service = await MemoryService.open(path, workspace_root, redactor, models.get)
        except (MemoryStoreError, OSError) as exc:
            problem = str(exc)
            logger.warning("workspace memory is unavailable: %s", exc)
    try:
        shelf = await SkillShelf.load(workspace_root, trusted=settings.trusted) if skills else None
    except BaseException:
        if service is not None:
            await service.close()
        raise
    return AgentHost(
        workspace_root=workspace_root,
        models=models,
        redactor=redactor,
        memory=service,
        memory_problem=problem,
        skills=shelf,
        repo_map=RepoMap() if workspace_root is not None else None,
        background=background if background is not None else BackgroundTasks(),
    )
