"""Edits proposed by the agent reach the editor through workspace/applyEdit, never behind its back."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.support.session import cairn_session

pytestmark = pytest.mark.asyncio
SOURCE = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "mod.py").write_text(SOURCE)
    return root


def edit_turns(path="mod.py", old="a + b", new="a * b"):
    return [
        {"tool_calls": [{"name": "read_file", "arguments": {"path": path}}]},
        {
            "tool_calls": [
                {
                    "name": "propose_edit",
                    "arguments": {
                        "path": path,
                        "old_text": old,
                        "new_text": new,
                        "description": "multiply instead",
                    },
                }
            ]
        },
        "Changed + to *.",
    ]


async def test_edit_of_an_open_document_is_versioned_annotated_and_applied(workspace):
    async with cairn_session(workspace, edit_turns()) as s:
        uri = s.open("mod.py")
        result = await s.command("cairn.chat", {"prompt": "Make add multiply", "streamId": "e"})
        assert result["status"] == "done" and result["tools"] == ["read_file", "propose_edit"]
        assert s.state.text(uri) == "def add(a, b):\n    return a * b\n"
        assert (workspace / "mod.py").read_text() == SOURCE  # the editor owns saving
        params = s.state.applied_edits[0]
        change = params.edit.document_changes[0]
        assert change.text_document.version == 1
        assert change.edits[0].annotation_id
        annotation = params.edit.change_annotations[change.edits[0].annotation_id]
        assert annotation.needs_confirmation is True and "multiply" in annotation.description
        tool_result = next(
            m for m in s.requests()[2]["messages"] if m["role"] == "tool" and m["name"] == "propose_edit"
        )
        assert "applied" in tool_result["content"].lower()


async def test_edit_of_a_closed_file_and_a_new_file(workspace):
    turns = [
        {
            "tool_calls": [
                {
                    "name": "propose_edit",
                    "arguments": {"path": "mod.py", "old_text": "a + b", "new_text": "b + a"},
                }
            ]
        },
        {
            "tool_calls": [
                {
                    "name": "create_file",
                    "arguments": {
                        "path": "tests/test_mod.py",
                        "content": "from mod import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
                    },
                }
            ]
        },
        "Done.",
    ]
    async with cairn_session(workspace, turns, preset="neovim@v0.11.0") as s:
        result = await s.command("cairn.chat", {"prompt": "Swap and test", "streamId": "e"})
        assert result["status"] == "done"
        assert (workspace / "mod.py").read_text() == "def add(a, b):\n    return b + a\n"
        assert (workspace / "tests" / "test_mod.py").read_text().startswith("from mod import add")
        create = s.state.applied_edits[1].edit.document_changes[0]
        assert isinstance(create, types.CreateFile) and create.options.overwrite is False


async def test_a_document_changed_meanwhile_is_never_clobbered(workspace):
    async with cairn_session(workspace, edit_turns()) as s:
        uri = s.open("mod.py")
        typed = {"done": False}

        def user_types_first(params: types.ApplyWorkspaceEditParams) -> str | None:
            if typed["done"]:
                return None
            typed["done"] = True  # a keystroke lands just before the edit: the editor refuses it
            s.state.buffers[uri] = ["# typed by the user\n", *s.state.buffers[uri]]
            s.state.versions[uri] += 1
            s.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(
                        uri=uri, version=s.state.versions[uri]
                    ),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=s.state.text(uri))],
                )
            )
            return "version mismatch"

        s.state.before_apply = user_types_first
        result = await s.command("cairn.chat", {"prompt": "Make add multiply", "streamId": "e"})
        assert result["status"] == "done"
        assert s.state.text(uri) == "# typed by the user\ndef add(a, b):\n    return a * b\n"
        retried = s.state.applied_edits[-1].edit.document_changes[0]
        assert retried.text_document.version == 2


async def test_a_declined_edit_is_reported_to_the_model(workspace):
    async with cairn_session(workspace, edit_turns()) as s:
        uri = s.open("mod.py")
        s.state.accept_edits = False
        result = await s.command("cairn.chat", {"prompt": "Make add multiply", "streamId": "e"})
        assert result["status"] == "done"
        assert s.state.text(uri) == SOURCE
        tool_result = next(
            m for m in s.requests()[2]["messages"] if m["role"] == "tool" and m["name"] == "propose_edit"
        )
        assert "declined by the test user" in tool_result["content"]


async def test_fix_action_uses_the_diagnostic_and_the_skill(workspace):
    turns = [
        {
            "tool_calls": [
                {
                    "name": "propose_edit",
                    "arguments": {"path": "mod.py", "old_text": "a + b", "new_text": "a + b + c"},
                }
            ]
        },
        "Fixed.",
    ]
    async with cairn_session(workspace, turns) as s:
        uri = s.open("mod.py")
        diagnostic = {
            "range": {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 16}},
            "message": "Missing term 'c'",
            "severity": 1,
            "source": "mylint",
            "code": "E42",
        }
        result = await s.command(
            "cairn.runAction",
            {
                "action": "fix",
                "uri": uri,
                "range": diagnostic["range"],
                "diagnostics": [diagnostic],
                "streamId": "fix",
            },
        )
        assert result["status"] == "done"
        assert "a + b + c" in s.state.text(uri)
        prompt = s.requests()[0]["messages"][-1]["content"]
        assert "Missing term 'c'" in prompt and "[mylint]" in prompt and "(E42)" in prompt
        assert '<skill name="fix-diagnostic">' in prompt
        system = s.requests()[0]["messages"][0]["content"]
        assert "fix-diagnostic" in system  # the index names skills...
        assert '<skill name="fix-diagnostic">' not in system  # ...but bodies load on use only
