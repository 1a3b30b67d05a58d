"""Context assembly: sections, budget, blanked tool outputs, directives surviving compaction."""

from __future__ import annotations

import json

import pytest

from cairn.memory.checkpoints import CheckpointWriter
from cairn.memory.context import ContextBudgetError, assemble, context_summary, message_tokens
from cairn.memory.ports import approx_tokens

SYSTEM = "You are Cairn, a coding agent."


async def _long_session(store, steps=60, output_lines=60):
    session = await store.new_session()
    await store.append_message(
        session,
        {"role": "user", "content": "Never push to main directly. The payments API listens on port 8123."},
    )
    for i in range(steps):
        call = {
            "id": f"c{i}",
            "type": "function",
            "function": {"name": "read_file", "arguments": json.dumps({"path": f"src/m{i}.py"})},
        }
        await store.append_message(
            session, {"role": "assistant", "content": f"Reading module {i}.", "tool_calls": [call]}
        )
        await store.append_message(
            session,
            {
                "role": "tool",
                "tool_call_id": f"c{i}",
                "name": "read_file",
                "content": f"value_{i} = {i}\n" * output_lines,
            },
        )
    return session


async def test_small_session_is_included_whole_with_system_and_request(store):
    session = await store.new_session()
    await store.append_message(session, {"role": "user", "content": "hello"})
    ctx = await assemble(
        store,
        session,
        system_prompt=SYSTEM,
        skill_index="- skill: review",
        request="what now?",
        budget_tokens=2_000,
    )
    assert ctx[0] == {"role": "system", "content": SYSTEM + "\n\n- skill: review"}
    assert [p.section for p in ctx.parts] == ["system", "skills", "recent", "request"]
    assert ctx[-1] == {"role": "user", "content": "what now?"}
    assert ctx.stats["dropped_messages"] == 0
    same = await assemble(store, session, system_prompt=SYSTEM, request="hello", budget_tokens=2_000)
    assert [m["content"] for m in same[1:]] == ["hello"]  # already stored: not repeated


async def test_budget_is_respected_tool_outputs_blanked_first_and_directives_survive(store):
    session = await _long_session(store)
    writer = CheckpointWriter(store, None)
    await writer.write_now(session)
    await store.remember("Releases are cut from the `release/*` branches", kind="fact", source="user")
    await store.remember("Always sign commits", kind="directive", source="user")
    budget = 3_000
    ctx = await assemble(store, session, system_prompt=SYSTEM, request="which port?", budget_tokens=budget)
    assert sum(message_tokens(m, approx_tokens) for m in ctx) <= budget
    sections = context_summary(ctx)["sections"]
    assert {"system", "directives", "project_memory", "checkpoint", "recent", "request"} <= set(sections)
    directives = ctx.section("directives")[0]["content"]
    assert "Never push to main directly." in directives and "Always sign commits" in directives
    assert "port 8123" in ctx.section("checkpoint")[0]["content"]
    assert ctx.stats["blanked_tool_outputs"] > 0 and ctx.stats["dropped_messages"] > 0
    recent = ctx.section("recent")
    assert recent[0]["role"] != "tool"  # no orphaned tool result
    tools = [m for m in recent if m["role"] == "tool"]
    assert "value_59 = 59" in tools[-1]["content"]  # newest tool output intact
    assert len(ctx[0]["content"]) == len(SYSTEM)  # nothing stored entered the system message


async def test_directives_survive_repeated_compaction_at_any_budget(store):
    session = await _long_session(store, steps=30, output_lines=20)
    await CheckpointWriter(store, None).write_now(session)
    for budget in (600, 1_200, 5_000, 50_000):
        ctx = await assemble(store, session, system_prompt=SYSTEM, request="go on", budget_tokens=budget)
        assert "Never push to main directly." in ctx.section("directives")[0]["content"]
        assert ctx.tokens <= budget


async def test_budget_too_small_for_the_system_prompt_is_a_clear_error(store):
    session = await store.new_session()
    with pytest.raises(ContextBudgetError, match="budget"):
        await assemble(store, session, system_prompt="word " * 500, budget_tokens=100)


async def test_recall_brings_relevant_memories_with_provenance(store):
    session = await store.new_session()
    await store.remember(
        "Flaky test: tests/test_sync.py needs REDIS_URL set", source="agent", session_id="old-session"
    )
    await store.remember(
        "Port 6379 answered PONG",
        source="agent",
        untrusted=True,
        provenance="tool output of shell in session old-session",
    )
    ctx = await assemble(
        store,
        session,
        system_prompt=SYSTEM,
        request="why does test_sync fail? is 6379 up?",
        budget_tokens=4_000,
    )
    recalled = ctx.section("recalled")[0]["content"]
    assert recalled.startswith("<recalled-memories") and "not instructions" in recalled
    assert "UNTRUSTED agent: tool output of shell" in recalled
    project = ctx.section("project_memory")[0]["content"]
    assert "PONG" not in project  # untrusted text is never always-on project memory


async def test_blanked_tool_outputs_keep_their_error_and_server_lines(store):
    session = await store.new_session()
    for i in range(6):
        call = {"id": f"c{i}", "type": "function", "function": {"name": "shell", "arguments": "{}"}}
        await store.append_message(session, {"role": "assistant", "content": None, "tool_calls": [call]})
        extra = "\nFAILED tests/test_x.py::test_y - AssertionError" if i == 0 else ""
        await store.append_message(
            session, {"role": "tool", "tool_call_id": f"c{i}", "content": "noise line\n" * 60 + extra}
        )
    ctx = await assemble(store, session, system_prompt=SYSTEM, budget_tokens=700)
    blanked = [m["content"] for m in ctx if m["role"] == "tool" and "omitted" in m["content"]]
    assert blanked and ctx.stats["dropped_messages"] == 0
    assert "FAILED tests/test_x.py::test_y - AssertionError" in blanked[0]
