"""The single owner of a workspace's SQLite connection: opening, pragmas, transactions.

Rules enforced here (FACTS.md, R8-R11):
- WAL + ``synchronous=NORMAL`` + a busy timeout, so two editor windows share one file safely.
- Every read-then-write runs in ``BEGIN IMMEDIATE`` (:meth:`StoreBase.transaction`): the write
  lock is taken up front, so a second process waits instead of failing with "database is
  locked" or losing an update.
- A transaction interrupted by cancellation is rolled back in a shielded step, so a cancelled
  request never leaves the write lock held (R10).
- A file that is not SQLite, or whose schema is newer than this Cairn, is refused before
  anything is written to it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import aiosqlite

from cairn.memory.migrate import (
    LATEST_VERSION,
    MemoryStoreError,
    SchemaTooNewError,
    migrate,
    read_version,
    too_new_message,
)
from cairn.memory.paths import normalize_path
from cairn.memory.ports import SentenceEncoder
from cairn.memory.redaction import Redactor, default_redactor

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
_SQLITE_HEADER = b"SQLite format 3\x00"

Clock = Callable[[], datetime]


async def scalar(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """The value of a query that always yields exactly one row (``SELECT max(...)``, ``count(*)``)."""
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise MemoryStoreError(f"query returned no row: {sql}")
    return row[0]


def inserted_id(cursor: aiosqlite.Cursor) -> int:
    """The rowid of the row the ``INSERT`` just run on ``cursor`` created."""
    if cursor.lastrowid is None:
        raise MemoryStoreError("the INSERT created no row")
    return cursor.lastrowid


def id_list(values: Iterable[int]) -> str:
    """Row ids as an SQL ``IN (...)`` list (ints only: safe to inline)."""
    return ",".join(str(int(v)) for v in values)


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


async def _rollback_shielded(conn: aiosqlite.Connection) -> None:
    """Roll back even if the caller is being cancelled; never raises for 'no transaction'."""

    async def rollback() -> None:
        try:
            await conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:  # nothing to roll back (BEGIN had failed)
            log.debug("rollback skipped: %s", exc)

    task = asyncio.ensure_future(rollback())
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        # Cancelled again while rolling back: the rollback still runs to completion on the
        # connection's queue before any later statement, so the lock is released anyway.
        raise


async def _enable_wal(conn: aiosqlite.Connection) -> None:
    """Switch to WAL, retrying while another process holds a lock.

    Changing the journal mode of a brand-new file fails with "database is locked" at once,
    without the busy handler, when a second process is creating the schema at that moment
    (seen in paired starts, R11); the mode is persistent, so later opens skip this.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        async with conn.execute("PRAGMA journal_mode") as cursor:
            row = await cursor.fetchone()
            if row is not None and row[0].lower() == "wal":
                return
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)


def _check_is_sqlite(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise MemoryStoreError(f"cannot read the memory database {path}: {exc}") from exc
    if header and header != _SQLITE_HEADER:
        raise MemoryStoreError(
            f"{path} is not an SQLite database; it was left untouched (set memoryPath to another file)"
        )


class StoreBase:
    """Connection ownership and transactions; the feature mixins build on this."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        path: Path,
        *,
        redactor: Redactor,
        clock: Clock,
        workspace_root: Path | None,
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self._conn: aiosqlite.Connection | None = conn
        self.path = path
        self.redactor = redactor
        self.clock = clock
        self.workspace_root = workspace_root
        self.encoder = encoder  # None: `history` ranks by words alone
        # Identifies this process+store in leases; readable in the DB when debugging.
        self.owner_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # aiosqlite serialises statements, but a transaction spans several awaits: this lock
        # keeps other coroutines' statements out of an open transaction.
        self._lock = asyncio.Lock()
        self.migrations_applied: list[str] = []

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        redactor: Redactor | None = None,
        clock: Clock | None = None,
        workspace_root: Path | None = None,
        migrate_to: int | None = None,
        encoder: SentenceEncoder | None = None,
    ) -> Self:
        """Open (creating and migrating as needed) the memory database at ``path``.

        Raises :class:`SchemaTooNewError` for a database from a newer Cairn and
        :class:`MemoryStoreError` for a file that is not a usable SQLite database; in both
        cases the file is not modified. ``migrate_to`` is for tests of old schemas.
        ``encoder``: the sentence-embedding model behind `history`'s meaning signal, if any.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _check_is_sqlite(path)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                version = await read_version(conn)
            except sqlite3.DatabaseError as exc:
                raise MemoryStoreError(f"{path} is not a usable SQLite database: {exc}") from exc
            if version > LATEST_VERSION:
                raise SchemaTooNewError(too_new_message(version))
            await _enable_wal(conn)
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            # Forgotten memories are overwritten on disk, not merely unlinked.
            await conn.execute("PRAGMA secure_delete = ON")
            applied = await migrate(conn, target=migrate_to)
        except BaseException:
            await conn.close()
            raise
        store = cls(
            conn,
            path,
            redactor=redactor or default_redactor(),
            clock=clock or utc_now,
            workspace_root=Path(workspace_root).resolve() if workspace_root else None,
            encoder=encoder,
        )
        store.migrations_applied = applied
        return store

    async def close(self) -> None:
        """Close the connection (idempotent). Waits for a running transaction to finish."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        async with self._lock:
            await conn.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._conn is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _require_conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise MemoryStoreError("the memory store is closed")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back otherwise.

        Cancellation anywhere inside (even while waiting for the lock in BEGIN) rolls back
        before the cancellation propagates.
        """
        conn = self._require_conn()
        async with self._lock:
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield conn
                await asyncio.shield(conn.execute("COMMIT"))
            except BaseException:
                await _rollback_shielded(conn)
                raise

    async def fetchall(self, sql: str, params: tuple[Any, ...] | dict = ()) -> list[sqlite3.Row]:
        """Run one read query outside any caller transaction."""
        conn = self._require_conn()
        async with self._lock:
            async with conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: tuple[Any, ...] | dict = ()) -> sqlite3.Row | None:
        """Run one read query and return its first row (or None)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    def now_iso(self) -> str:
        """The store clock's current time as an ISO-8601 UTC string."""
        return self.clock().astimezone(UTC).isoformat(timespec="microseconds")

    def rel_path(self, path: str | os.PathLike[str]) -> str:
        """``path`` as stored in anchors: workspace-relative POSIX when inside the workspace."""
        return normalize_path(path, self.workspace_root)

    async def schema_version(self) -> int:
        """The current ``user_version`` of the database."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0


__all__ = ["StoreBase", "MemoryStoreError", "SchemaTooNewError", "utc_now", "Clock"]
