"""The agent over a real server process: chat streaming, multi-turn, tools, cancellation."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from tests.support.session import cairn_session

pytestmark = pytest.mark.asyncio


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "mod.py").write_text("def add(a, b):\n    return a + b\n")
    return root


@pytest.mark.parametrize("preset", ["visual-studio-code", "neovim@v0.11.0"])
async def test_chat_streams_the_answer_with_progress(workspace, preset):
    async with cairn_session(workspace, [{"chunks": ["Hello", ", ", "world."]}], preset=preset) as s:
        result = await s.command("cairn.chat", {"prompt": "Say hello", "streamId": "s1"})
        assert result["status"] == "done" and result["text"] == "Hello, world."
        kinds = [e["kind"] for e in s.state.streams["s1"]]
        assert kinds == ["text", "text", "text", "done"]
        assert s.state.streamed_text("s1") == "Hello, world."
        reports = list(s.client.progress_reports.values())
        assert reports and reports[-1][0].kind == "begin" and reports[-1][-1].kind == "end"
        request = s.requests()[0]
        assert request["messages"][0]["role"] == "system"
        assert request["messages"][-1] == {"role": "user", "content": "Say hello"}


async def test_multi_turn_and_new_session(workspace):
    turns = ["First answer.", "Second answer.", "Fresh start."]
    async with cairn_session(workspace, turns) as s:
        await s.command("cairn.chat", {"prompt": "Question one", "streamId": "a"})
        await s.command("cairn.chat", {"prompt": "Question two", "streamId": "b"})
        second = [m.get("content") for m in s.requests()[1]["messages"]]
        assert "Question one" in second and "First answer." in second and second[-1] == "Question two"
        await s.command("cairn.newSession")
        await s.command("cairn.chat", {"prompt": "Question three", "streamId": "c"})
        third = [m.get("content") for m in s.requests()[2]["messages"]]
        assert "Question one" not in third and third[-1] == "Question three"


async def test_read_file_prefers_the_unsaved_buffer(workspace):
    turns = [{"tool_calls": [{"name": "read_file", "arguments": {"path": "mod.py"}}]}, "It multiplies."]
    async with cairn_session(workspace, turns) as s:
        uri = s.open("mod.py")
        s.state.buffers[uri] = ["def add(a, b):\n", "    return a * b  # unsaved\n"]
        s.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=s.state.text(uri))],
            )
        )
        s.state.versions[uri] = 2
        result = await s.command("cairn.chat", {"prompt": "What does add do?", "streamId": "r"})
        assert result["status"] == "done" and result["tools"] == ["read_file"]
        tool_message = next(m for m in s.requests()[1]["messages"] if m["role"] == "tool")
        assert "# unsaved" in tool_message["content"]


async def test_chat_with_a_selection_quotes_it(workspace):
    async with cairn_session(workspace, ["Noted."]) as s:
        uri = s.open("mod.py")
        await s.command(
            "cairn.chat",
            {
                "prompt": "Is this right?",
                "streamId": "q",
                "uri": uri,
                "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 16}},
            },
        )
        message = s.requests()[0]["messages"][-1]["content"]
        assert message.startswith("Is this right?") and "return a + b" in message and "`mod.py`" in message


async def test_cancel_command_stops_a_running_agent(workspace):
    slow = {"chunks": ["thinking "] * 200, "delay": 0.05}
    async with cairn_session(workspace, [slow]) as s:
        running = asyncio.ensure_future(s.command("cairn.chat", {"prompt": "Think long", "streamId": "long"}))
        for _ in range(100):
            if s.state.streams["long"]:
                break
            await asyncio.sleep(0.05)
        cancelled = await s.command("cairn.cancel", {"streamId": "long"})
        assert cancelled == {"cancelled": 1}
        result = await asyncio.wait_for(running, 5)
        assert result["status"] == "cancelled"
        assert s.state.streams["long"][-1]["kind"] == "done"
        # the partial reply was not stored as a complete assistant message: a follow-up works
        assert len(s.state.streamed_text("long")) < len("thinking ") * 200


async def test_the_progress_cancel_button_stops_a_running_agent(workspace):
    slow = {"chunks": ["x"] * 400, "delay": 0.05}
    async with cairn_session(workspace, [slow]) as s:
        started = await s.command("cairn.chat", {"prompt": "Go", "streamId": "c1"}, wait=False)
        assert started == {
            "runId": "c1",
            "streamId": "c1",
            "sessionId": started["sessionId"],
            "status": "started",
        }
        for _ in range(100):
            if s.state.streams["c1"]:
                break
            await asyncio.sleep(0.05)
        token = next(iter(s.client.progress_reports))
        s.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        await asyncio.wait_for(s.state.stream_done["c1"].wait(), 5)
        assert (await s.command("cairn.result", {"runId": "c1"}))["status"] == "cancelled"
        streamed = len(s.state.streamed_text("c1"))
        await asyncio.sleep(0.5)
        assert len(s.state.streamed_text("c1")) == streamed, "the agent kept streaming after cancel"


async def test_a_chat_sent_while_another_runs_waits_its_turn(workspace):
    turns = [{"chunks": ["one "] * 20, "delay": 0.02}, "Second."]
    async with cairn_session(workspace, turns) as s:
        await s.command("cairn.chat", {"prompt": "First", "streamId": "a"}, wait=False)
        second = await s.command("cairn.chat", {"prompt": "Second", "streamId": "b"})
        assert (await s.command("cairn.result", {"runId": "a"}))["status"] == "done"
        assert second["status"] == "done" and second["text"] == "Second."
        later = [m.get("content") for m in s.requests()[1]["messages"]]
        assert "First" in later and later[-1] == "Second"  # in order, in the same session
