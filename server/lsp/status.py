"""The `cairn.status` command: the same report as `cairn status`, for the editor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.server.commands import STATUS
from cairn.server.lsp.server import CairnServer
from cairn.server.status import build_status

if TYPE_CHECKING:
    from cairn.server.command_args import NoArgs


def register(server: CairnServer) -> None:
    async def status(_: NoArgs) -> dict[str, Any]:
        extra: dict[str, Any] = {"running": sorted(server.tasks.running)}
        for contribute in server.status_contributors:
            extra.update(contribute())
        return build_status(
            server.resolved,
            workspace_root=server.workspace_root,
            transport=server.transport_name,
            extra=extra,
        )

    server.register_service_command(STATUS, status)  # reports settings once they are resolved
