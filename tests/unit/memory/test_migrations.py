"""Schema migrations: blank DB, older DB, newer DB refused untouched, non-SQLite refused."""

from __future__ import annotations

import sqlite3

import pytest

from cairn.memory.migrate import LATEST_VERSION, MIGRATIONS, split_statements
from cairn.memory.store import MemoryStore, MemoryStoreError, SchemaTooNewError


def _tables(path):
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_migrations_are_named_and_numbered_in_order():
    # The version is the file's number: a branch may lack a number another branch adds.
    assert LATEST_VERSION == MIGRATIONS[-1].version >= 3 and len(MIGRATIONS) >= 3
    versions = [m.version for m in MIGRATIONS]
    assert versions == sorted(set(versions)) and versions[0] == 1
    for migration in MIGRATIONS:
        assert migration.name.startswith(f"{migration.version:04d}_")
        assert migration.statements


async def test_user_text_migration_adds_a_nullable_column(db_path):
    async with await MemoryStore.open(db_path):
        pass
    with sqlite3.connect(db_path) as conn:
        columns = {r[1]: r for r in conn.execute("PRAGMA table_info(messages)")}
    assert "user_text" in columns and columns["user_text"][3] == 0  # nullable


def test_split_keeps_trigger_bodies_whole():
    statements = split_statements(
        "-- c\nCREATE TABLE t (a);\nCREATE TRIGGER x AFTER INSERT ON t BEGIN\n"
        "  INSERT INTO t VALUES (1);\n  INSERT INTO t VALUES (2);\nEND;\n"
    )
    assert len(statements) == 2 and statements[1].endswith("END;")


async def test_blank_database_is_migrated_to_latest(db_path):
    async with await MemoryStore.open(db_path) as store:
        assert store.migrations_applied == [m.name for m in MIGRATIONS]
        assert await store.schema_version() == LATEST_VERSION
        journal = await store.fetchone("PRAGMA journal_mode")
        assert journal[0] == "wal"
    assert {"sessions", "messages", "memories", "checkpoints", "leases", "schema_migrations"} <= _tables(
        db_path
    )
    async with await MemoryStore.open(db_path) as again:
        assert again.migrations_applied == []


async def test_older_database_is_upgraded_and_keeps_its_data(db_path):
    async with await MemoryStore.open(db_path, migrate_to=1) as old:
        assert await old.schema_version() == 1
        session = await old.new_session("from version 1")
        await old.append_message(session, {"role": "user", "content": "keep me"})
    assert "memories" not in _tables(db_path)
    async with await MemoryStore.open(db_path) as store:
        assert store.migrations_applied == [m.name for m in MIGRATIONS[1:]]
        assert await store.messages(session) == [{"role": "user", "content": "keep me"}]
        assert [h.seq for h in await store.search_history("keep me")] == [1]
        await store.remember("now possible", source="user")
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(m.version, m.name) for m in MIGRATIONS]


async def test_newer_schema_is_refused_and_the_file_is_unchanged(db_path):
    async with await MemoryStore.open(db_path) as store:
        await store.new_session("x")
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = db_path.read_bytes()
    with pytest.raises(SchemaTooNewError, match="newer than this Cairn"):
        await MemoryStore.open(db_path)
    assert db_path.read_bytes() == before


async def test_a_file_that_is_not_sqlite_is_refused_untouched(db_path):
    db_path.parent.mkdir(parents=True)
    db_path.write_text("my notes, not a database\n" * 10)
    before = db_path.read_bytes()
    with pytest.raises(MemoryStoreError, match="not an SQLite database"):
        await MemoryStore.open(db_path)
    assert db_path.read_bytes() == before


async def test_search_index_is_rebuilt_from_the_rows_of_an_older_database(db_path):
    """0004 re-indexes what versions 1-3 stored: stemmed, values not JSON keys, notes too."""
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "read_file", "arguments": '{"path": "docs/proxy.md"}'},
    }
    async with await MemoryStore.open(db_path, migrate_to=3) as old:
        session = await old.new_session("Researching the proxy")
        await old.append_message(session, {"role": "user", "content": "We are researching proxies"})
        await old.append_message(session, {"role": "assistant", "content": None, "tool_calls": [call]})
        await old.save_checkpoint_if_current(
            session,
            base_last_seq=0,
            first_seq=1,
            last_seq=2,
            data={"directives": ["Always pin requests[socks]==2.31.0"], "narrative": {}},
            tokens=10,
        )
        await old.remember("Deployments are researched on Fridays", source="user")
        assert await old.search_history("research") == []  # version 3: no stemming
    async with await MemoryStore.open(db_path) as store:
        assert "0004_search_index" in store.migrations_applied
        assert [h.snippet for h in await store.search_history("research", limit=1)] == [
            "We are researching proxies"
        ]
        assert [h.snippet for h in await store.search_history("docs proxy.md") if h.role == "assistant"] == [
            "docs/proxy.md"
        ]
        assert [h for h in await store.search_history("path") if h.role == "assistant"] == []
        found = await store.search_memory("pin requests research")
        assert {(h.kind, h.section) for h in found} >= {
            ("checkpoint", "directives"),
            ("session", "title"),
            ("memory", "fact"),
        }
        # New rows keep being indexed by the new triggers.
        await store.append_message(session, {"role": "user", "content": "Researched enough"})
        assert "Researched enough" in [h.snippet for h in await store.search_history("research")]


async def test_vectors_table_is_added_to_an_older_database_and_follows_its_messages(db_path):
    """0006 adds `message_vectors`: empty on upgrade (the background embeds what is there),
    a vector marked stale (NULL) when its message is edited, deleted with its message."""
    async with await MemoryStore.open(db_path, migrate_to=5) as old:
        session = await old.new_session()
        first = await old.append_message(session, {"role": "user", "content": "We use Postgres"})
        second = await old.append_message(session, {"role": "user", "content": "on port 5433"})
    async with await MemoryStore.open(db_path) as store:
        assert "0006_message_vectors" in store.migrations_applied
        async with store.transaction() as conn:
            await conn.executemany(
                "INSERT INTO message_vectors (message_id, model, vector) VALUES (?, 'm', x'00000000')",
                [(first,), (second,)],
            )
        await store.finish_message(first, {"role": "user", "content": "We use SQLite"})
        async with store.transaction() as conn:
            await conn.execute("DELETE FROM messages WHERE id = ?", (second,))
        rows = await store.fetchall("SELECT message_id, vector FROM message_vectors")
        assert [(row["message_id"], row["vector"]) for row in rows] == [(first, None)]
