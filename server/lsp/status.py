"""The `cairn.status` command: the same report as `cairn status`, for the editor."""

from __future__ import annotations

from typing import Any

from cairn.server.commands import STATUS, NoArgs
from cairn.server.lsp.server import CairnServer
from cairn.server.status import build_status


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

    server.register_command(STATUS, status)
