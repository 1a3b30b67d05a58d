"""The agent's `history` and `recall` tools, called the way the agent loop calls them."""

from __future__ import annotations

import json

import pytest

from cairn.server.agent.tools.context import ToolContext
from cairn.server.agent.tools.memory_tools import memory_registry

PIN = "requests[socks]==2.31.0"


@pytest.fixture
def ctx_for(workspace):
    opened: list[ToolContext] = []

    def make(session_id):
        ctx = ToolContext.create(workspace, session_id=session_id)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.workspace.close()


async def _ask(store, session, tool, arguments):
    """Store the user's question and the model's tool call, as the loop does before a tool runs."""
    call = {"id": "t1", "type": "function", "function": {"name": tool, "arguments": json.dumps(arguments)}}
    await store.append_message(session, {"role": "assistant", "content": None, "tool_calls": [call]})


async def test_history_tool_shows_exact_values_with_id_date_session_and_skips_the_request(store, ctx_for):
    old = await store.new_session()
    pinned = await store.append_message(old, {"role": "user", "content": f"Pin {PIN} for the proxy."})
    current = await store.new_session()
    await store.append_message(
        current, {"role": "user", "content": "Which pin did we use for requests socks?"}
    )
    await _ask(store, current, "history", {"query": "pin requests socks"})
    result = await memory_registry(store).call("history", {"query": "pin requests socks"}, ctx_for(current))
    assert not result.is_error
    assert f"Pin {PIN} for the proxy." in result.content.splitlines()  # the line, byte for byte
    assert f"[message {pinned} | 2026-03-02 09:00 | session {old[:8]} | user]" in result.content
    assert "Which pin did we use" not in result.content  # the calling request itself


async def test_history_tool_marks_tool_output_untrusted_and_counts_repeats(store, ctx_for):
    session = await store.new_session()
    for i in range(3):
        call = {"id": f"c{i}", "type": "function", "function": {"name": "read_file", "arguments": "{}"}}
        await store.append_message(session, {"role": "assistant", "content": None, "tool_calls": [call]})
        await store.append_message(
            session,
            {"role": "tool", "tool_call_id": f"c{i}", "name": "read_file", "content": "PORT = 8443\n"},
        )
    result = await memory_registry(store).call("history", {"query": "PORT"}, ctx_for(None))
    assert "output of read_file (UNTRUSTED: file or command text)" in result.content
    assert "seen 3 times, last on 2026-03-02" in result.content
    assert result.content.count("PORT = 8443") == 1


async def test_history_tool_reads_around_a_message(store, ctx_for):
    session = await store.new_session()
    ids = [await store.append_message(session, {"role": "user", "content": f"step {i}"}) for i in range(5)]
    tools = memory_registry(store)
    result = await tools.call("history", {"around": ids[2]}, ctx_for(session))
    assert [line for line in result.content.splitlines() if line.startswith("step")] == [
        f"step {i}" for i in range(5)
    ]
    assert "the message asked for" in result.content
    assert (await tools.call("history", {"around": 99_999}, ctx_for(session))).is_error
    assert (await tools.call("history", {}, ctx_for(session))).is_error


async def test_recall_tool_finds_checkpoints_before_consolidation_and_labels_untrusted(store, ctx_for):
    session = await store.new_session("proxy work")
    await store.save_checkpoint_if_current(
        session,
        base_last_seq=0,
        first_seq=1,
        last_seq=1,
        data={
            "directives": ["Route traffic through host-02.int.example.net"],
            "errors": ["ProxyError: 407 from host-02.int.example.net (tool output: shell)"],
        },
        tokens=10,
    )
    result = await memory_registry(store).call("recall", {"query": "host-02 proxy"}, ctx_for(session))
    lines = result.content.splitlines()
    directive = next(line for line in lines if "Route traffic" in line)
    error = next(line for line in lines if "ProxyError" in line)
    assert directive.startswith("- [checkpoint | Directives (the user's words) | 2026-03-02 09:00 | session")
    assert "UNTRUSTED" not in directive
    assert "UNTRUSTED: taken from files or tool output" in error


async def test_recall_tool_says_where_to_look_when_nothing_matches(store, ctx_for):
    result = await memory_registry(store).call("recall", {"query": "anything"}, ctx_for(None))
    assert "history" in result.content and not result.is_error


async def test_history_keeps_its_best_hits_whole_within_the_models_room(store, ctx_for):
    """A small window: the best-ranked hit is shown whole, lower-ranked ones are left out and
    counted, and no hit is cut (a cut would lose exact values or the hit's header)."""
    session = await store.new_session()
    await store.append_message(
        session, {"role": "user", "content": "The quarantine threshold: fail the file above 2% bad rows."}
    )
    filler = "quarantine notes. " + "Unrelated words about carriers and manifests. " * 12
    for i in range(12):
        await store.append_message(session, {"role": "assistant", "content": f"{i}: {filler}"})
    current = await store.new_session()
    await _ask(store, current, "history", {"query": "quarantine threshold fail file"})
    ctx = ctx_for(current)
    ctx.output_chars = 1800
    result = await memory_registry(store).call("history", {"query": "quarantine threshold fail file"}, ctx)
    assert len(result.content) <= 1800
    assert "The quarantine threshold: fail the file above 2% bad rows." in result.content.splitlines()
    assert "characters truncated" not in result.content
    blocks = result.content.split("\n\n")[1:]
    shown = [b for b in blocks if b.startswith("[message ")]
    assert shown and all(b.rstrip().endswith(filler.rstrip()) or "2% bad rows" in b for b in shown)
    assert "lower-ranked hits left out" in result.content


async def test_recall_keeps_whole_lines_within_the_models_room(store, ctx_for):
    for i in range(30):
        await store.remember(
            f"Fact {i}: the proxy host is host-{i:02d}.int.example.net " + "x" * 80, source="user"
        )
    ctx = ctx_for(None)
    ctx.output_chars = 900
    result = await memory_registry(store).call("recall", {"query": "proxy host", "limit": 30}, ctx)
    assert len(result.content) <= 900
    lines = result.content.splitlines()
    assert all(line.startswith("- [") or "left out" in line for line in lines)
    assert "characters truncated" not in result.content and "left out" in lines[-1]


async def test_recall_names_a_copied_lines_origin_once(store, ctx_for):
    # "… — from command `make import BATCH=2` — UNTRUSTED derived: tool output from command
    # `make import BATCH=2`, checkpoint 64 …" spent a long command's tokens twice per hit.
    origin = "command `python3 -m app.importer --inbound data/inbound --date 2024-03-10`"
    await store.remember(
        f"done: files_failed=0 rows=87 shipments_new=42 — from {origin}",
        source="derived",
        provenance=f"tool output from {origin}, checkpoint 64 of session 980c7254, 2026-12-07",
        untrusted=True,
    )
    result = await memory_registry(store).call("recall", {"query": "shipments_new"}, ctx_for(None))
    [line] = [line for line in result.content.splitlines() if "shipments_new=42" in line]
    assert line.count("2024-03-10") == 1
    assert "UNTRUSTED" in line and "checkpoint 64 of session 980c7254" in line
