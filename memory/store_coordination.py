"""Cross-process coordination stored in the database: leases, checkpoints, small settings.

A lease is a row naming its owner and expiry. Taking one is a read-then-write under
``BEGIN IMMEDIATE``, so two processes can never both hold it; a crashed owner's lease simply
expires (a file lock left behind by a crash would block forever or need manual cleanup).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from cairn.memory.migrate import MemoryStoreError
from cairn.memory.records import CheckpointRecord, UncoveredTail
from cairn.memory.store_base import StoreBase, inserted_id, scalar

log = logging.getLogger(__name__)


def _checkpoint(row: Any) -> CheckpointRecord:
    return CheckpointRecord(
        id=row["id"],
        session_id=row["session_id"],
        first_seq=row["first_seq"],
        last_seq=row["last_seq"],
        threshold=row["threshold"],
        data=json.loads(row["data"]),
        tokens=row["tokens"],
        created_at=row["created_at"],
    )


class CoordinationMixin(StoreBase):
    """Leases, checkpoints and the ``meta`` key-value table."""

    async def try_acquire_lease(self, name: str, ttl: float) -> bool:
        """Take (or re-take) the lease ``name`` for ``ttl`` seconds; False if someone holds it."""
        now = time.time()
        async with self.transaction() as conn:
            async with conn.execute("SELECT owner, expires_at FROM leases WHERE name = ?", (name,)) as cursor:
                row = await cursor.fetchone()
            if row and row["owner"] != self.owner_id and row["expires_at"] > now:
                return False
            await conn.execute(
                "INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
                "expires_at = excluded.expires_at",
                (name, self.owner_id, now + ttl),
            )
        return True

    async def renew_lease(self, name: str, ttl: float) -> bool:
        """Extend a lease this store holds; False if it was lost (expired and taken)."""
        async with self.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?",
                (time.time() + ttl, name, self.owner_id),
            )
            return cursor.rowcount > 0

    async def release_lease(self, name: str) -> None:
        """Give a lease back (no-op if this store does not hold it)."""
        async with self.transaction() as conn:
            await conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, self.owner_id))

    @asynccontextmanager
    async def lease(self, name: str, ttl: float = 60.0) -> AsyncIterator[bool]:
        """Hold lease ``name`` while the block runs (yields False if it is taken elsewhere).

        A heartbeat renews it every ``ttl / 3`` seconds; it is released on every exit path,
        cancellation included.
        """
        if not await self.try_acquire_lease(name, ttl):
            yield False
            return

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(ttl / 3)
                if not await self.renew_lease(name, ttl):
                    log.warning("lease %s was lost while held", name)
                    return

        beat = asyncio.create_task(heartbeat())
        try:
            yield True
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)
            if not self.closed:
                await asyncio.shield(self.release_lease(name))

    async def latest_checkpoint(self, session_id: str) -> CheckpointRecord | None:
        """The session's checkpoint covering the most messages, or None."""
        row = await self.fetchone(
            "SELECT * FROM checkpoints WHERE session_id = ? ORDER BY last_seq DESC LIMIT 1",
            (session_id,),
        )
        return _checkpoint(row) if row else None

    async def uncovered_tail(self, session_id: str) -> UncoveredTail:
        """How much of the session no checkpoint covers yet, in one indexed query.

        Reads only the rows after the latest checkpoint (both lookups use the unique
        ``(session_id, last_seq)`` / ``(session_id, seq)`` indexes), so its cost follows the
        tail, never the length of the session. Messages stored without a token count are
        estimated at one token per three characters, plus the per-message overhead.
        """
        row = await self.fetchone(
            "WITH covered AS (SELECT coalesce(max(last_seq), 0) AS seq FROM checkpoints "
            "WHERE session_id = ?) "
            "SELECT covered.seq AS covered, count(m.id) AS n, coalesce(max(m.seq), covered.seq) AS last, "
            "coalesce(sum(coalesce(m.tokens, (length(coalesce(m.content, '')) + "
            "length(coalesce(m.tool_calls, ''))) / 3) + 4), 0) AS tokens "
            "FROM covered LEFT JOIN messages m "
            "ON m.session_id = ? AND m.seq > covered.seq AND m.complete = 1",
            (session_id, session_id),
        )
        if row is None:  # an aggregate over the CTE always yields one row
            raise MemoryStoreError("the uncovered-tail query returned no row")
        return UncoveredTail(int(row["covered"]), int(row["last"]), int(row["n"]), int(row["tokens"]))

    async def has_unconsolidated(
        self,
        *,
        sessions_since: str | None,
        checkpoints_since: str | None,
        exclude_session: str | None = None,
    ) -> bool:
        """Whether a session changed, or a checkpoint was written, after the given times
        (``None``: ever), leaving out ``exclude_session``. Index probes, no scans."""
        probes = (
            (
                "SELECT 1 FROM sessions s WHERE s.updated_at > ? AND s.id IS NOT ? "
                "AND EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id) LIMIT 1",
                sessions_since,
            ),
            (
                "SELECT 1 FROM checkpoints WHERE created_at > ? AND session_id IS NOT ? LIMIT 1",
                checkpoints_since,
            ),
        )
        for sql, since in probes:
            if await self.fetchone(sql, (since or "", exclude_session)):
                return True
        return False

    async def checkpoints(
        self, *, session_id: str | None = None, since: str | None = None
    ) -> list[CheckpointRecord]:
        """Checkpoints, oldest first (optionally one session's, or created after ``since``)."""
        sql, params = "SELECT * FROM checkpoints WHERE 1 = 1", []
        if session_id is not None:
            sql += " AND session_id = ?"
            params.append(session_id)
        if since is not None:
            sql += " AND created_at > ?"
            params.append(since)
        rows = await self.fetchall(sql + " ORDER BY created_at, id", tuple(params))
        return [_checkpoint(row) for row in rows]

    async def save_checkpoint_if_current(
        self,
        session_id: str,
        *,
        base_last_seq: int,
        first_seq: int,
        last_seq: int,
        data: dict[str, Any],
        tokens: int,
        threshold: float | None = None,
    ) -> CheckpointRecord | None:
        """Store a checkpoint only if the latest one still ends at ``base_last_seq``.

        The writer snapshots the transcript after the latest checkpoint, summarises it
        without holding any lock, then calls this: if another writer got there first, the
        work is discarded instead of writing a second summary of the same range.
        """
        clean = self.redactor.redact_obj(data)
        now = self.now_iso()
        async with self.transaction() as conn:
            current = await scalar(
                conn, "SELECT coalesce(max(last_seq), 0) FROM checkpoints WHERE session_id = ?", (session_id,)
            )
            if current != base_last_seq:
                return None
            cursor = await conn.execute(
                "INSERT INTO checkpoints (session_id, first_seq, last_seq, threshold, data, "
                "tokens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, first_seq, last_seq, threshold, json.dumps(clean), tokens, now),
            )
            checkpoint_id = inserted_id(cursor)
        return CheckpointRecord(checkpoint_id, session_id, first_seq, last_seq, threshold, clean, tokens, now)

    async def get_meta(self, key: str) -> str | None:
        """A small stored setting (e.g. when memory was last consolidated)."""
        row = await self.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """Store a small setting."""
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
