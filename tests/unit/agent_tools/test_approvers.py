"""TerminalApprover: asks on the given streams, defaults to no."""

from __future__ import annotations

import io

import pytest

from cairn.server.agent.tools.approvers import TerminalApprover
from cairn.server.agent.tools.context import ApprovalRequest

REQUEST = ApprovalRequest("shell", "Cairn wants to run: make test", "make test", ".", "in .")


@pytest.mark.parametrize(
    "answer, expected",
    [("y\n", True), ("YES\n", True), ("n\n", False), ("\n", False), ("", False), ("sure\n", False)],
)
async def test_terminal_approver_answers(answer, expected) -> None:
    out = io.StringIO()
    approver = TerminalApprover(io.StringIO(answer), out)
    assert await approver.ask(REQUEST) is expected
    assert "$ make test" in out.getvalue() and "[y/N]" in out.getvalue()
