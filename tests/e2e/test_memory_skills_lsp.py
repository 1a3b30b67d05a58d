"""Memory and skills as the editor reaches them: commands, memory that follows renamed files,
SKILL.md diagnostics as typed, and progressive disclosure through the agent."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from tests.support.session import cairn_session

pytestmark = pytest.mark.asyncio


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "billing.py").write_text("def invoice_total(items):\n    return sum(items)\n")
    return root


async def test_memory_commands_and_memory_follows_a_rename(workspace):
    turns = [
        {
            "tool_calls": [
                {
                    "name": "remember",
                    "arguments": {
                        "text": "invoice_total in src/billing.py sums item prices in cents",
                        "kind": "fact",
                        "paths": ["src/billing.py"],
                    },
                }
            ]
        },
        "Remembered.",
    ]
    async with cairn_session(workspace, turns) as s:
        await s.command("cairn.chat", {"prompt": "Note how billing works", "streamId": "m"})
        found = (await s.command("cairn.memory.search", {"query": "invoice_total"}))["results"]
        assert len(found) == 1 and "cents" in found[0]["text"]
        memory_id = found[0]["id"]

        (workspace / "src" / "billing.py").rename(workspace / "src" / "invoices.py")
        s.client.workspace_did_rename_files(
            types.RenameFilesParams(
                files=[
                    types.FileRename(
                        old_uri=(workspace / "src" / "billing.py").as_uri(),
                        new_uri=(workspace / "src" / "invoices.py").as_uri(),
                    )
                ]
            )
        )
        for _ in range(50):
            shown = await s.command("cairn.memory.show")
            if "src/invoices.py" in shown["markdown"]:
                break
            await asyncio.sleep(0.05)
        assert "src/invoices.py" in shown["markdown"]

        report = await s.command("cairn.memory.consolidate")
        assert "consolidated" in report["summary"].lower()
        assert any(r[-1].kind == "end" for r in s.client.progress_reports.values())

        assert (await s.command("cairn.memory.forget", {"id": memory_id}))["forgotten"] is True
        assert (await s.command("cairn.memory.search", {"query": "invoice_total"}))["results"] == []
        status = await s.command("cairn.status")
        assert status["memoryState"] == "ready" and status["memory"]["exists"] is True


async def test_skills_list_open_and_diagnostics_as_typed(workspace):
    async with cairn_session(workspace, []) as s:
        listed = await s.command("cairn.skills.list")
        names = {skill["name"]: skill for skill in listed["skills"]}
        assert {"explain", "fix-diagnostic", "refactor", "docstring", "write-tests"} <= set(names)
        assert names["explain"]["source"] == "bundled"
        opened = await s.command("cairn.skills.open", {"name": "write-tests"})
        assert opened["uri"].endswith("write-tests/SKILL.md") and opened["shown"] is True
        assert s.client.shown_documents[-1].uri == opened["uri"]

        folder = workspace / ".cairn" / "skills" / "my-skill"
        folder.mkdir(parents=True)
        uri = (folder / "SKILL.md").as_uri()
        bad = "---\nname: Wrong_Name\n---\nBody\n"
        s.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=bad)
            )
        )
        for _ in range(50):
            if s.client.diagnostics.get(uri):
                break
            await asyncio.sleep(0.05)
        messages = " ".join(d.message for d in s.client.diagnostics[uri])
        assert "description" in messages and "name" in messages
        assert all(d.source == "cairn-skills" for d in s.client.diagnostics[uri])
        good = (
            "---\nname: my-skill\ndescription: Checks things when asked to check things.\n---\n"
            "Do the checks.\n"
        )
        s.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=good)],
            )
        )
        for _ in range(50):
            if not s.client.diagnostics.get(uri):
                break
            await asyncio.sleep(0.05)
        assert list(s.client.diagnostics[uri]) == []


async def test_the_agent_loads_a_skill_body_only_when_it_asks(workspace):
    turns = [{"tool_calls": [{"name": "load_skill", "arguments": {"name": "docstring"}}]}, "Loaded."]
    async with cairn_session(workspace, turns) as s:
        await s.command("cairn.chat", {"prompt": "Document invoice_total", "streamId": "k"})
        first, second = s.requests()
        system = first["messages"][0]["content"]
        assert "docstring" in system
        loaded = next(m for m in second["messages"] if m.get("name") == "load_skill")["content"]
        body_line = next(line for line in loaded.splitlines()[3:] if len(line) > 40)
        assert body_line not in system  # the body was not in the system prompt
