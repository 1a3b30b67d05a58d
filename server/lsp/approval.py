"""Asking the user in the editor before a shell command runs (`window/showMessageRequest`)."""

from __future__ import annotations

from cairn.server.agent.tools.context import ApprovalRequest
from cairn.server.lsp.server import CairnServer
from lsprotocol import types

RUN = "Run"
DECLINE = "Don't run"


class LspApprover:
    """An `Approver` that shows a message with Run / Don't run buttons and waits."""

    def __init__(self, server: CairnServer) -> None:
        self._server = server

    async def ask(self, request: ApprovalRequest) -> bool:
        message = f"Cairn wants to run `{request.command}` in {request.cwd or 'the workspace'}."
        if request.detail:
            message += f" {request.detail}"
        answer = await self._server.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Warning,
                message=message,
                actions=[types.MessageActionItem(title=RUN), types.MessageActionItem(title=DECLINE)],
            )
        )
        return answer is not None and answer.title == RUN
