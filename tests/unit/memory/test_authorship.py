"""Who wrote what: a code action's user message is Cairn's prompt, not the user's words
(issue 10, the Explain code-action paragraph). ``user_text`` records the user's own words."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from cairn.memory.checkpoint_format import render
from cairn.memory.checkpoints import CheckpointWriter
from cairn.memory.consolidate import consolidate
from cairn.memory.store import MemoryStore
from cairn.memory.testing import secret_canaries

# The real Explain prompt, filled in (server/agent/prompts/actions/explain.md).
EXPLAIN = (
    "Explain the following code from `src/billing/invoice.py` (lines 10-24) to a developer who is\n"
    "reading it for the first time: what it does, how, and anything surprising. Read surrounding code\n"
    "or callers if that is needed to explain it correctly. Do not change any file.\n\n"
    "```python\ndef total(lines):\n    return sum(l.amount for l in lines)  # never rounds, uses Decimal\n```"
)
NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


async def test_user_text_is_stored_beside_the_message(store):
    session = await store.new_session()
    await store.append_message(session, {"role": "user", "content": EXPLAIN}, user_text="")
    typed = "Use port 6543 for the test database."
    await store.append_message(
        session, {"role": "user", "content": typed + "\n\n(selection)"}, user_text=typed
    )
    await store.append_message(session, {"role": "user", "content": "an old caller"})
    await store.append_message(session, {"role": "assistant", "content": "ok"})
    rows = await store.message_rows(session)
    assert [r.user_text for r in rows] == ["", typed, None, None]
    assert rows[0].message == {"role": "user", "content": EXPLAIN}  # the chat dict is unchanged


async def test_user_text_is_redacted_before_it_is_stored(store, db_path):
    canary = secret_canaries()[0]
    session = await store.new_session()
    await store.append_message(
        session, {"role": "user", "content": "see below"}, user_text=f"my key is {canary.text}"
    )
    (row,) = await store.message_rows(session)
    assert canary.needle not in row.user_text and "[REDACTED" in row.user_text


async def test_a_code_action_prompt_never_becomes_the_users_directives_or_facts(store, workspace):
    session = await store.new_session(origin="code_action")
    await store.append_message(session, {"role": "user", "content": EXPLAIN}, user_text="")
    await store.append_message(
        session, {"role": "assistant", "content": "It sums the invoice lines without rounding."}
    )
    request = "Add a docstring to total() in src/billing/invoice.py."
    await store.append_message(session, {"role": "user", "content": request}, user_text=request)
    record = await CheckpointWriter(store, None).write_now(session)
    data = record.data
    assert data["directives"] == []
    assert data["user_facts"] == []  # a request naming only a path is a task, not a fact
    assert data["active_intent"] == request
    assert "Do not change any file" not in render(data).split("## Task tree")[0]
    for key, items in data.items():
        if isinstance(items, list) and key != "task_tree":
            assert not any("Do not change any file" in str(i) for i in items), key

    await consolidate(store, workspace_root=workspace, model=None, now=NOW)
    memories = await store.list_memories()
    assert not [m for m in memories if m.kind == "directive"]
    assert not [m for m in memories if m.source == "user" and "Do not change" in m.text]
    assert not [m for m in memories if "reading it for the first time" in m.text]


async def test_the_user_words_of_a_chat_message_are_what_extraction_reads(store):
    session = await store.new_session()
    typed = "Never commit directly to `release/2.x`."
    attached = typed + "\n\nSelected code:\n```\n# always call flush() before close()\n```"
    await store.append_message(session, {"role": "user", "content": attached}, user_text=typed)
    record = await CheckpointWriter(store, None).write_now(session)
    assert record.data["directives"] == [typed]
    assert record.data["active_intent"] == typed


async def test_an_old_database_gets_the_column_and_its_rows_read_as_legacy(db_path):
    async with await MemoryStore.open(db_path, migrate_to=3) as old:
        session = await old.new_session()
        await old.append_message(session, {"role": "user", "content": "Always use tabs in Makefiles."})
    with sqlite3.connect(db_path) as conn:
        assert "user_text" not in {r[1] for r in conn.execute("PRAGMA table_info(messages)")}
    async with await MemoryStore.open(db_path) as store:
        (row,) = await store.message_rows(session)
        assert row.user_text is None  # legacy: the whole content counts as the user's
        record = await CheckpointWriter(store, None).write_now(session)
        assert record.data["directives"] == ["Always use tabs in Makefiles."]
        await store.append_message(session, {"role": "user", "content": EXPLAIN}, user_text="")
        assert (await store.message_rows(session))[-1].user_text == ""


async def test_history_says_when_a_user_message_is_cairns_prompt(store):
    """A real session's `history` showed Cairn's fix-diagnostic skill text as a `user` message:
    the model could take Cairn's words for the user's."""
    from cairn.server.agent.tools.memory_format import history_block

    session = await store.new_session(origin="code_action")
    await store.append_message(session, {"role": "user", "content": EXPLAIN}, user_text="")
    typed = "Why does total() never round the invoice sum?"
    await store.append_message(
        session, {"role": "user", "content": typed + "\n\n" + EXPLAIN}, user_text=typed
    )
    said = "The invoice total must round."
    await store.append_message(session, {"role": "user", "content": said}, user_text=said)  # chat
    blocks = [history_block(hit) for hit in await store.search_history("invoice", limit=10)]
    headers = {block.split("\n", 1)[0] for block in blocks}
    assert any("Cairn's prompt for a code action, not the user's words" in h for h in headers)
    assert any("the user's words with text Cairn added" in h for h in headers)
    assert sum(h.endswith("| user]") for h in headers) == 1  # only the message the user typed alone
