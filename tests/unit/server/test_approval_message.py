"""The question asked before a shell command runs names the folder once."""

from __future__ import annotations

from cairn.server.agent.tools.context import ApprovalRequest
from cairn.server.lsp.approval import approval_message


def request(cwd: str) -> ApprovalRequest:
    return ApprovalRequest(
        kind="shell",
        title="Cairn wants to run: make test",
        command="make test",
        cwd=cwd,
        detail=f"in {cwd}, timeout 120 s, sandbox: none",
    )


def test_the_workspace_folder_is_named_once():
    assert approval_message(request(".")) == (
        "Cairn wants to run `make test` in the workspace folder. Timeout 120 s, sandbox: none."
    )


def test_a_subfolder_is_named_once():
    message = approval_message(request("src/app"))
    assert message.startswith("Cairn wants to run `make test` in `src/app`. Timeout 120 s")
    assert message.count("src/app") == 1
