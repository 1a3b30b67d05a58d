"""The `cairn.status` command: the same report as `cairn status`, for the editor.

A status poll is not a request for the agent: it never settles the workspace. With no folder
from the client and no document opened yet (VS Code's status bar polls as soon as the server
starts in an empty window), it answers at once with ``workspacePending``, and the first file
the user opens still becomes the workspace (see `CairnServer.settle_workspace_root`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.server.commands import STATUS
from cairn.server.lsp.server import CairnServer
from cairn.server.status import build_status

if TYPE_CHECKING:
    from cairn.server.command_args import NoArgs


def register(server: CairnServer) -> None:
    async def status(_: NoArgs) -> dict[str, Any]:
        pending = not server.workspace_root_settled
        if not pending:
            await server.wait_ready()  # reports settings once they are resolved
        extra: dict[str, Any] = {"running": sorted(server.tasks.running)}
        if pending:
            extra["workspacePending"] = True
        for contribute in server.status_contributors:
            extra.update(contribute())
        return build_status(
            server.resolved,
            workspace_root=server.workspace_root,
            transport=server.transport_name,
            extra=extra,
        )

    server.register_command(STATUS, status)
