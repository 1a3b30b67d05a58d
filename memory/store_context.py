"""The store's reads for context assembly that are not the transcript: change marks polled
every step (one cheap query), the previous sessions' latest checkpoints and the files they
worked in.

Context assembly caches what it shows and re-reads a part only when its mark moved, so a step
costs the same at message 30 and at message 3,000.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from cairn.memory.extract import paths_named
from cairn.memory.records import CheckpointRecord, StoredMessage
from cairn.memory.store_base import StoreBase
from cairn.memory.store_coordination import _checkpoint
from cairn.memory.store_transcript import _stored

_MARKS = (
    "SELECT (SELECT coalesce(max(id), 0) FROM checkpoints) AS mark_checkpoint, count(*) AS mark_count, "
    "coalesce(max(id), 0) AS mark_id, coalesce(max(updated_at), '') AS mark_updated FROM memories"
)


@dataclass(frozen=True)
class ContextMarks:
    """What moved since the last look: the newest checkpoint of any session, and a version of
    the long-term memories (rows added, removed or updated change it)."""

    checkpoint_head: int
    memory_version: tuple[int, int, str]


@dataclass(frozen=True)
class SessionCheckpoint:
    """A previous session's latest checkpoint, with the session's title and origin."""

    checkpoint: CheckpointRecord
    title: str | None
    origin: str = "chat"

    @property
    def user_wrote_its_requests(self) -> bool:
        """False for a code action's session: its "user" message is Cairn's own prompt, so what
        extraction took for the user's directives there are not the user's words."""
        return not self.origin.startswith("action:")


def _marks(row: sqlite3.Row) -> ContextMarks:
    return ContextMarks(
        int(row["mark_checkpoint"]), (int(row["mark_count"]), int(row["mark_id"]), str(row["mark_updated"]))
    )


class ContextReadsMixin(StoreBase):
    """Reads that context assembly polls or caches."""

    async def context_marks(self) -> ContextMarks:
        """One query: the newest checkpoint id and the memories' (count, max id, max updated_at)."""
        row = await self.fetchone(_MARKS)
        assert row is not None  # an aggregate always yields one row
        return _marks(row)

    async def context_changes(
        self, session_id: str, *, after_seq: int
    ) -> tuple[ContextMarks, list[StoredMessage]]:
        """One query a step: the change marks, and the session's complete messages appended
        after ``after_seq`` (in order)."""
        rows = await self.fetchall(
            f"SELECT marks.*, m.* FROM ({_MARKS}) AS marks LEFT JOIN messages m "
            "ON m.session_id = ? AND m.complete = 1 AND m.seq > ? ORDER BY m.seq",
            (session_id, after_seq),
        )
        return _marks(rows[0]), [_stored(row) for row in rows if row["id"] is not None]

    async def previous_session_checkpoints(self, *, exclude: str, limit: int = 8) -> list[SessionCheckpoint]:
        """The latest checkpoint of each other session, the most recently written first."""
        rows = await self.fetchall(
            "SELECT c.*, s.title AS session_title, s.origin AS session_origin FROM checkpoints c "
            "JOIN (SELECT session_id, max(last_seq) AS last FROM checkpoints WHERE session_id != ? "
            "GROUP BY session_id) latest ON c.session_id = latest.session_id AND c.last_seq = latest.last "
            "JOIN sessions s ON s.id = c.session_id "
            "ORDER BY c.created_at DESC, c.id DESC LIMIT ?",
            (exclude, limit),
        )
        return [
            SessionCheckpoint(_checkpoint(row), row["session_title"], row["session_origin"]) for row in rows
        ]

    async def files_worked_in(self, session_ids: Sequence[str], limit: int = 64) -> list[str]:
        """The paths the tool calls of ``session_ids`` named (read, searched in or changed), the
        most recently named first, at most ``limit``: what the repository map of a session that
        continues their work shows first. Read when those sessions' checkpoints move, not per step."""
        if not session_ids or limit < 1:
            return []
        marks = ", ".join("?" * len(session_ids))
        rows = await self.fetchall(
            f"SELECT tool_calls FROM messages WHERE session_id IN ({marks}) AND tool_calls IS NOT NULL "
            "ORDER BY id DESC",
            tuple(session_ids),
        )
        found: dict[str, None] = {}
        for row in rows:
            try:
                calls = json.loads(row["tool_calls"])
            except ValueError:
                continue
            calls = [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []
            for path in reversed(paths_named({"tool_calls": calls})):
                found.setdefault(path)
            if len(found) >= limit:
                break
        return list(found)[:limit]
