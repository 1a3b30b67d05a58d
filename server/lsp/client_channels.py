"""What the connected client can show the user, parsed once from `initialize` (practice 9).

Cairn reaches a user only through what their editor supports: the `cairn/stream` notification
for clients that opt in (the Cairn clients), otherwise standard LSP (`window/showDocument`,
`window/showMessage`, work-done progress). Editors that know nothing of Cairn (eglot, lsp-mode,
ALE) drop or complain about custom notifications, so nothing custom is sent unasked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from cairn.server.commands import APPLY_EDITS_OPT_IN, STREAM_OPT_IN

# initializationOptions keys that describe the client, not settings
CLIENT_OPTION_KEYS = frozenset({STREAM_OPT_IN, APPLY_EDITS_OPT_IN})


@dataclass(frozen=True)
class ClientChannels:
    """The channels a run's output may use with this client."""

    stream: bool = False  # `cairn/stream` notifications (opted in)
    show_document: bool = False  # `window/showDocument`
    progress: bool = False  # server-created work-done progress
    code_action_literals: bool = False  # CodeAction objects rather than Command[]
    apply_edit: bool = False  # `workspace/applyEdit` (declared, or opted in by a client plugin)

    @classmethod
    def from_initialize(cls, capabilities: types.ClientCapabilities, options: Any) -> ClientChannels:
        window = capabilities.window
        show_document = window.show_document if window else None
        document = capabilities.text_document
        workspace = capabilities.workspace
        code_action = document.code_action if document else None
        return cls(
            stream=_opted_in(capabilities, options),
            show_document=bool(show_document and show_document.support),
            progress=bool(window and window.work_done_progress),
            code_action_literals=bool(code_action and code_action.code_action_literal_support),
            apply_edit=bool(workspace and workspace.apply_edit)
            or (isinstance(options, dict) and options.get(APPLY_EDITS_OPT_IN) is True),
        )


def _opted_in(capabilities: types.ClientCapabilities, options: Any) -> bool:
    """``initializationOptions.streamNotifications`` or ``experimental.cairn.stream`` is true."""
    if isinstance(options, dict) and options.get(STREAM_OPT_IN) is True:
        return True
    experimental = capabilities.experimental
    cairn = experimental.get("cairn") if isinstance(experimental, dict) else None
    return isinstance(cairn, dict) and cairn.get("stream") is True
