"""Workspace memory in the editor: opened at startup, commands, and memory that follows code.

The store is opened with the agent host (``compose.open_agent_host``) by a startup hook right
after ``initialize`` is answered; every command and file event waits for startup, so none can
race it, and the store is closed with the host on every exit path. A database that cannot be
used (a newer schema, not SQLite) is reported once and left untouched; the agent then works
without memory.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from cairn.server.commands import MEMORY_CONSOLIDATE, MEMORY_FORGET, MEMORY_SEARCH, MEMORY_SHOW
from cairn.server.lsp.progress import ProgressReporter
from cairn.server.lsp.server import CairnServer

if TYPE_CHECKING:
    from cairn.server.agent.memory_bridge import MemoryService
    from cairn.server.command_args import MemoryForgetArgs, MemorySearchArgs, NoArgs

logger = logging.getLogger(__name__)
ALL_FILES = types.FileOperationRegistrationOptions(
    filters=[types.FileOperationFilter(pattern=types.FileOperationPattern(glob="**/*"))]
)
# What memory anchors to: source and text files, changed (symbols re-checked) or deleted (stale).
# Not "**/*": eglot then watches every directory of the project, build output included.
# Renames and deletions made in the editor arrive through the file operations above.
WATCHED_FILES = types.FileSystemWatcher(
    glob_pattern="**/*.{py,pyi,ts,tsx,js,jsx,mjs,cjs,rs,go,lua,java,kt,kts,c,h,cc,cpp,hpp,cs,rb,php,"
    "swift,scala,sh,sql,md,rst,toml,yaml,yml,json,cfg,ini}",
    kind=types.WatchKind.Change | types.WatchKind.Delete,
)


class MemoryFeature:
    def __init__(self, server: CairnServer) -> None:
        self.server = server
        self.service: MemoryService | None = None
        self.problem: str | None = None

    async def start(self, server: CairnServer) -> None:
        """Take the memory the agent host opened (startup runs the agent's hook first)."""
        host = server.agent_host
        if host is None:
            self.problem = "the agent failed to start"
            return
        self.service = host.memory
        self.problem = host.memory_problem
        if self.service is None and server.workspace_root is not None:
            server.show_error(f"Cairn: workspace memory is unavailable: {self.problem}")

    def require(self) -> MemoryService:
        if self.service is None:
            raise RuntimeError(f"Workspace memory is unavailable: {self.problem or 'not started'}")
        return self.service

    # ---------------------------------------------------------------- commands

    async def consolidate(self, _: NoArgs) -> dict[str, Any]:
        service = self.require()

        async def work(progress: ProgressReporter) -> Any:
            return await service.consolidate(
                lambda message, fraction: progress.report(message, int(fraction * 100))
            )

        report = await self.server.tasks.run("Cairn: consolidating memory", work, key="memory-consolidation")
        return {
            "summary": report.summary(),
            "added": report.added,
            "merged": report.merged,
            "dropped": len(report.dropped),
            "stale": report.stale,
            "verified": report.verified,
        }

    async def show(self, _: NoArgs) -> dict[str, Any]:
        service = self.require()
        from cairn.memory.render import render_memories

        memories = await service.store.list_memories()
        return {"markdown": render_memories(memories), "count": len(memories), "path": str(service.db_path)}

    async def search(self, args: MemorySearchArgs) -> dict[str, Any]:
        from cairn.memory.render import memory_line

        found = await self.require().store.recall(args.query, limit=args.limit)
        return {
            "results": [
                {
                    "id": m.id,
                    "kind": m.kind,
                    "text": m.text,
                    "status": m.status,
                    "untrusted": m.untrusted,
                    "line": memory_line(m),
                }
                for m in found
            ]
        }

    async def forget(self, args: MemoryForgetArgs) -> dict[str, Any]:
        return {"forgotten": await self.require().store.forget(args.id), "id": args.id}

    def status(self) -> dict[str, Any]:
        if self.service is None:
            return {"memoryState": f"unavailable ({self.problem})" if self.problem else "starting"}
        if any(key.startswith("memory-") for key in self.server.tasks.running):
            return {"memoryState": "consolidating"}
        return {"memoryState": "checkpointing" if self.service.writer.running else "ready"}

    # ---------------------------------------------------------------- files

    async def renamed(self, params: types.RenameFilesParams) -> None:
        if self.service is not None:
            count = await self.service.store.on_files_renamed([(f.old_uri, f.new_uri) for f in params.files])
            logger.info("memory followed %d renamed file(s): %d memories updated", len(params.files), count)

    async def deleted(self, params: types.DeleteFilesParams) -> None:
        if self.service is not None:
            count = await self.service.store.on_files_deleted([f.uri for f in params.files])
            logger.info("memory noted %d deleted file(s): %d memories marked", len(params.files), count)

    async def watched(self, params: types.DidChangeWatchedFilesParams) -> None:
        if self.server.agent_host is not None:  # the repository map re-reads these files
            self.server.agent_host.files_changed(c.uri for c in params.changes)
        if self.service is None:
            return
        deleted = [c.uri for c in params.changes if c.type == types.FileChangeType.Deleted]
        changed = [c.uri for c in params.changes if c.type == types.FileChangeType.Changed]
        if deleted:
            await self.service.store.on_files_deleted(deleted)
        if changed:
            await self.service.store.on_files_changed(changed)


async def watch_files(server: CairnServer) -> None:
    """Ask the client to report file changes (dynamic registration), when it can."""
    workspace = server.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    try:
        await server.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="cairn-memory-watch",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[WATCHED_FILES]
                        ),
                    )
                ]
            )
        )
    except Exception as exc:  # a client that claims the capability but refuses it
        logger.info("file watching not available from this client: %s", exc)


def register(server: CairnServer) -> None:
    feature = MemoryFeature(server)
    server.startup_hooks.append(feature.start)
    server.after_startup_hooks.append(watch_files)
    server.status_contributors.append(feature.status)
    server.register_service_command(MEMORY_CONSOLIDATE, feature.consolidate)
    server.register_service_command(MEMORY_SHOW, feature.show)
    server.register_service_command(MEMORY_SEARCH, feature.search)
    server.register_service_command(MEMORY_FORGET, feature.forget)

    @server.feature(types.WORKSPACE_DID_RENAME_FILES, ALL_FILES)
    async def did_rename(ls: CairnServer, params: types.RenameFilesParams) -> None:
        await ls.wait_ready()
        await feature.renamed(params)

    @server.feature(types.WORKSPACE_DID_DELETE_FILES, ALL_FILES)
    async def did_delete(ls: CairnServer, params: types.DeleteFilesParams) -> None:
        await ls.wait_ready()
        await feature.deleted(params)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched(ls: CairnServer, params: types.DidChangeWatchedFilesParams) -> None:
        await ls.wait_ready()
        await feature.watched(params)
