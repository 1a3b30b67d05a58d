"""Append-only, named schema migrations under ``PRAGMA user_version``.

A migration's version is the number its file name starts with (``0001_*.sql`` ...); they run
in that order. Numbers may have gaps (a branch can lack a step another branch adds), but a
database is only upgraded from the version of the step just before. Each runs in its own
``BEGIN IMMEDIATE`` transaction that first re-reads ``user_version``, so two
processes opening a blank database together migrate it exactly once (R11): the loser of the
write lock waits (busy timeout), then sees the new version and applies nothing.

A database whose ``user_version`` is newer than the newest migration known here was written
by a newer Cairn: it is refused before anything is written to it.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import aiosqlite

log = logging.getLogger(__name__)


class MemoryStoreError(Exception):
    """The memory database cannot be used; the message says why and what to do."""


class SchemaTooNewError(MemoryStoreError):
    """The database was written by a newer Cairn; it was left untouched."""


@dataclass(frozen=True)
class Migration:
    """One schema step: ``version`` (1-based), ``name`` (file stem) and its SQL statements."""

    version: int
    name: str
    statements: tuple[str, ...]


def split_statements(script: str) -> tuple[str, ...]:
    """Split an SQL script into complete statements (trigger bodies stay whole).

    ``executescript`` would commit the surrounding transaction first, which would break the
    one-transaction-per-migration guarantee, so statements are executed one by one.
    """
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if not pending and line.lstrip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise MemoryStoreError(f"incomplete SQL statement in migration: {pending.strip()[:80]!r}")
    return tuple(statements)


def load_migrations() -> tuple[Migration, ...]:
    """All migrations shipped with this version, in order."""
    folder = resources.files("cairn.memory") / "migrations"
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    migrations = []
    for entry in files:
        name = entry.name.removesuffix(".sql")
        number = name.split("_", 1)[0]
        if not number.isdigit():
            raise MemoryStoreError(f"migration {entry.name} does not start with its number")
        migrations.append(Migration(int(number), name, split_statements(entry.read_text("utf-8"))))
    if len({m.version for m in migrations}) != len(migrations):
        raise MemoryStoreError("two migrations share one number")
    return tuple(migrations)


MIGRATIONS = load_migrations()
LATEST_VERSION = MIGRATIONS[-1].version if MIGRATIONS else 0


async def read_version(conn: aiosqlite.Connection) -> int:
    """The database's ``user_version`` (0 for a blank file)."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def too_new_message(found: int) -> str:
    """The message shown when a database is newer than this Cairn."""
    return (
        f"the memory database has schema version {found}, newer than this Cairn knows "
        f"({LATEST_VERSION}); it was left untouched: upgrade Cairn or set memoryPath to "
        "another file"
    )


async def migrate(conn: aiosqlite.Connection, *, target: int | None = None) -> list[str]:
    """Bring the schema to ``target`` (default: latest); returns the names this call applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``) so that the explicit
    ``BEGIN IMMEDIATE`` here is the only transaction.
    """
    target = LATEST_VERSION if target is None else target
    applied: list[str] = []
    previous = 0
    for migration in (m for m in MIGRATIONS if m.version <= target):
        expected, previous = previous, migration.version
        await conn.execute("BEGIN IMMEDIATE")
        try:
            current = await read_version(conn)
            if current > LATEST_VERSION:
                raise SchemaTooNewError(too_new_message(current))
            if current >= migration.version:
                await conn.execute("ROLLBACK")
                continue
            if current != expected:
                raise MemoryStoreError(f"schema version {current} cannot be upgraded by {migration.name}")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            for statement in migration.statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
            # PRAGMA takes no parameters; the version is an int we computed.
            await conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        applied.append(migration.name)
        log.info("memory schema migrated to %s", migration.name)
    return applied
