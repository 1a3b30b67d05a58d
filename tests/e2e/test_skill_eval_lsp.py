"""`cairn.skills.eval` from an editor: the command answers at once, the SKILL.md's unsaved text is
what gets evaluated, progress arrives per task, and the report is shown and kept. The child
process runs the real `cairn skills eval` with a scripted model (no network, no key)."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from cairn import sandbox
from tests.support.coder import RULE, write_tasks
from tests.support.session import cairn_session

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="no Landlock: code is never run unconfined"),
]
SCRIPT = {"CAIRN_SCRIPT": "tests.support.coder:answer"}
SAVED = "---\nname: edge-first\ndescription: Edge cases first. Use for code.\n---\n- Be brief.\n"


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    (root / "skills" / "edge-first").mkdir(parents=True)
    (root / "skills" / "edge-first" / "SKILL.md").write_text(SAVED)
    write_tasks(root / "tasks.jsonl")
    return root


async def wait_for_end(s, eval_id: str) -> dict:
    for _ in range(1200):  # the child imports the model library first: give it time
        state = await s.command("cairn.skills.evalResult", {"evalId": eval_id})
        if state["status"] != "running":
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"the evaluation never ended: {state}")


def open_unsaved(s, uri: str, text: str) -> None:
    s.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text)
        )
    )


async def test_the_edited_skill_is_evaluated_with_progress_and_a_summary(workspace):
    uri = (workspace / "skills" / "edge-first" / "SKILL.md").as_uri()
    async with cairn_session(workspace, env=SCRIPT, settings={"trusted": True}) as s:
        open_unsaved(s, uri, SAVED.replace("- Be brief.", f"- {RULE}"))  # not saved to disk
        started = await s.command("cairn.skills.eval", {"uri": uri, "tasks": "tasks.jsonl", "evalId": "e1"})
        assert started == {"evalId": "e1", "status": "started"}

        state = await wait_for_end(s, "e1")
        assert state["status"] == "done", state
        first, second = state["report"]["arms"]
        assert (first["name"], first["passed"]) == ("edge-first", 5)  # the buffer's rule, not the file's
        assert (second["name"], second["passed"]) == ("without", 1)
        assert second["flipped_to"] == ["first_0"] and state["report"]["cost"]["calls"] == 12

        reports = [r for run in s.client.progress_reports.values() for r in run]
        assert any(
            getattr(r, "message", None) == "6/6 tasks; passed: edge-first 5, without 1" for r in reports
        )
        assert any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)
        shown = [m.message for m in s.client.messages]
        assert any("edge-first 5/6 vs without 1/6" in m for m in shown), shown
        assert (await s.command("cairn.skills.evalResult"))["evalId"] == "e1"  # the latest


async def test_a_failing_child_is_reported_and_an_untrusted_workspace_gets_named_sets_only(workspace):
    uri = (workspace / "skills" / "edge-first" / "SKILL.md").as_uri()
    async with cairn_session(workspace, env=SCRIPT, settings={"trusted": True}) as s:
        await s.command("cairn.skills.eval", {"uri": uri, "tasks": "missing.jsonl", "evalId": "e2"})
        state = await wait_for_end(s, "e2")
        assert state["status"] == "error" and "cannot read task file" in state["error"]
    async with cairn_session(workspace, env=SCRIPT) as s:
        with pytest.raises(JsonRpcInvalidParams, match="not trusted"):
            await s.command("cairn.skills.eval", {"uri": uri, "tasks": "tasks.jsonl"})
