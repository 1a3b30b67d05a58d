"""Asking the user in the editor before a shell command runs (`window/showMessageRequest`).

Only an explicit "Run" runs anything. A client that refuses the request (-32601 from an editor
without it, an error on quit), a dismissed prompt (null) and a prompt left unanswered for
``approval_timeout`` seconds (ALE never answers; a user may walk away) are all "no": the run
goes on with that answer and never hangs. An unanswered prompt is withdrawn (`$/cancelRequest`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from lsprotocol import types

from cairn.server.agent.tools.context import ApprovalRequest
from cairn.server.lsp.server import CairnServer

logger = logging.getLogger(__name__)

RUN = "Run"
DECLINE = "Don't run"


def approval_message(request: ApprovalRequest) -> str:
    """The question: the command, where it runs, and what else the tool said about it."""
    where = "the workspace folder" if request.cwd in ("", ".") else f"`{request.cwd}`"
    message = f"Cairn wants to run `{request.command}` in {where}."
    detail = request.detail.removeprefix(f"in {request.cwd}, ").removeprefix(f"in {request.cwd}")
    detail = detail.strip(" ,")
    if detail:
        message += f" {detail[0].upper()}{detail[1:]}."
    return message


class LspApprover:
    """An `Approver` that shows a message with Run / Don't run buttons and waits (bounded)."""

    def __init__(self, server: CairnServer, timeout: Callable[[], float]) -> None:
        self._server = server
        self._timeout = timeout  # read per question: settings may change during a run

    async def ask(self, request: ApprovalRequest) -> bool:
        timeout = self._timeout()
        try:
            answer = await self._server.request_client(
                types.WINDOW_SHOW_MESSAGE_REQUEST,
                types.ShowMessageRequestParams(
                    type=types.MessageType.Warning,
                    message=approval_message(request),
                    actions=[types.MessageActionItem(title=RUN), types.MessageActionItem(title=DECLINE)],
                ),
                timeout,
            )
        except TimeoutError:
            logger.info("No answer to the approval of %r within %g s: declined", request.command, timeout)
            return False
        except Exception as exc:  # the client refused the request: no approval
            logger.info("The editor did not ask the user (%s): declined", exc or type(exc).__name__)
            return False
        title = answer.get("title") if isinstance(answer, dict) else getattr(answer, "title", None)
        return title == RUN
