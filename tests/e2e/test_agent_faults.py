"""R19: provider faults seen through the editor. The user's message is committed before every
model call, transient faults are retried within one deadline, context overflow compacts and
retries once, and every other failure ends with one clear message."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.session import cairn_session

pytestmark = pytest.mark.asyncio


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "mod.py").write_text("x = 1\n")
    return root


def stored_messages(session) -> list[tuple[str, str, int]]:
    db = next(p for p in session.db_files() if p.name == "memory.sqlite3")
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT role, content, complete FROM messages ORDER BY id").fetchall()


async def test_rate_limit_and_outage_are_retried_then_answered(workspace):
    turns = [{"error": "rate_limit", "retry_after": 0.3}, {"error": "service_unavailable"}, "Recovered."]
    async with cairn_session(workspace, turns) as s:
        result = await s.command("cairn.chat", {"prompt": "Hello?", "streamId": "r"})
        assert result["status"] == "done" and result["text"] == "Recovered."
        assert len(s.requests()) == 3
        assert [e["kind"] for e in s.state.streams["r"]].count("error") == 0


async def test_bad_key_gives_one_clear_message_and_keeps_the_question(workspace):
    async with cairn_session(workspace, [{"error": "auth"}]) as s:
        result = await s.command("cairn.chat", {"prompt": "Please remember this question", "streamId": "k"})
        assert result["status"] == "error"
        assert "key" in result["error"].lower()
        errors = [e for e in s.state.streams["k"] if e["kind"] == "error"]
        assert len(errors) == 1 and errors[0]["text"] == result["error"]
        assert len(s.requests()) == 1  # an auth failure is not retried
        assert ("user", "Please remember this question", 1) in stored_messages(s)


async def test_a_cut_stream_is_never_stored_as_a_complete_reply(workspace):
    turns = [
        {"chunks": ["The answer is"], "cut": True},
        {"chunks": ["The answer is"], "cut": True},
        {"chunks": ["The answer is"], "cut": True},
        {"chunks": ["The answer is"], "cut": True},
        {"chunks": ["The answer is"], "cut": True},
        {"chunks": ["The answer is"], "cut": True},
    ]
    async with cairn_session(workspace, turns, env={"CAIRN_REQUEST_TIMEOUT": "3"}) as s:
        result = await s.command("cairn.chat", {"prompt": "What is it?", "streamId": "c"})
        assert result["status"] == "error"
        complete_assistant = [m for m in stored_messages(s) if m[0] == "assistant" and m[2] == 1]
        assert complete_assistant == []
        assert ("user", "What is it?", 1) in stored_messages(s)


async def test_context_overflow_compacts_and_retries_once(workspace):
    filler = "word " * 3000
    turns = ["ok " + str(i) for i in range(3)] + [{"error": "context_window"}, "Fits now."]
    async with cairn_session(workspace, turns, settings={"contextWindow": 200000}) as s:
        for index in range(3):
            await s.command("cairn.chat", {"prompt": f"Part {index}: {filler}", "streamId": f"p{index}"})
        result = await s.command("cairn.chat", {"prompt": "Summarize", "streamId": "final"})
        assert result["status"] == "done" and result["text"] == "Fits now."
        background = [r for r in s.requests(include_background=True) if r not in s.requests()]
        assert background, "compaction writes a checkpoint first"
        overflowed, retried = s.requests()[-2], s.requests()[-1]
        size = lambda request: sum(len(str(m.get("content") or "")) for m in request["messages"])
        assert size(retried) < size(overflowed)
        assert retried["messages"][-1]["content"] == "Summarize"


async def test_no_model_configured_says_how_to_configure_one(workspace):
    async with cairn_session(workspace, [], env={"CAIRN_MODEL": "", "CAIRN_LOCAL_MODEL": "off"}) as s:
        result = await s.command("cairn.chat", {"prompt": "Hi", "streamId": "n"})
        assert result["status"] == "error"
        assert "CAIRN_MODEL" in result["error"] or "cairn.model" in result["error"]
