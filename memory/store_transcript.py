"""Sessions and the raw transcript: append (redacted), read back (search: `store_search`)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from cairn.memory.records import SessionInfo, StoredMessage
from cairn.memory.store_base import StoreBase, inserted_id, scalar

ROLES = ("system", "user", "assistant", "tool")


def validate_message(message: Any) -> dict[str, Any]:
    """Check an OpenAI chat message dict; raise ValueError saying what is wrong."""
    if not isinstance(message, dict):
        raise ValueError(f"a message must be a dict, not {type(message).__name__}")
    role = message.get("role")
    if role not in ROLES:
        raise ValueError(f"message role must be one of {ROLES}, got {role!r}")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise ValueError("message content must be a string or None")
    tool_calls = message.get("tool_calls")
    if tool_calls is not None and not isinstance(tool_calls, list):
        raise ValueError("tool_calls must be a list")
    for key in ("tool_call_id", "name"):
        if message.get(key) is not None and not isinstance(message[key], str):
            raise ValueError(f"{key} must be a string")
    return message


def _row_to_message(row: sqlite3.Row) -> dict[str, Any]:
    message: dict[str, Any] = {"role": row["role"], "content": row["content"]}
    if row["tool_calls"]:
        message["tool_calls"] = json.loads(row["tool_calls"])
    if row["tool_call_id"] is not None:
        message["tool_call_id"] = row["tool_call_id"]
    if row["name"] is not None:
        message["name"] = row["name"]
    return message


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching what starts with ``text`` (its own % and _ taken literally)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _stored(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(
        id=row["id"],
        session_id=row["session_id"],
        seq=row["seq"],
        message=_row_to_message(row),
        tokens=row["tokens"],
        complete=bool(row["complete"]),
        created_at=row["created_at"],
        user_text=row["user_text"] if "user_text" in row.keys() else None,  # absent before 0005
    )


class TranscriptMixin(StoreBase):
    """Sessions and messages."""

    async def new_session(self, title: str | None = None, origin: str = "chat") -> str:
        """Create a session and return its id."""
        if not isinstance(origin, str) or not origin:
            raise ValueError("origin must be a non-empty string")
        session_id = uuid.uuid4().hex
        now = self.now_iso()
        title = self.redactor.redact(title) if title else None
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO sessions (id, title, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (session_id, title, origin, now, now),
            )
        return session_id

    async def sessions(self, limit: int = 50) -> list[SessionInfo]:
        """Most recently updated sessions first."""
        rows = await self.fetchall(
            "SELECT s.*, (SELECT count(*) FROM messages m WHERE m.session_id = s.id) AS n "
            "FROM sessions s ORDER BY s.updated_at DESC LIMIT ?",
            (limit,),
        )
        return [
            SessionInfo(r["id"], r["title"], r["origin"], r["created_at"], r["updated_at"], r["n"])
            for r in rows
        ]

    async def append_message(
        self,
        session_id: str,
        message: dict[str, Any],
        *,
        complete: bool = True,
        tokens: int | None = None,
        user_text: str | None = None,
    ) -> int:
        """Commit one message (redacted) at the end of the session; returns its row id.

        ``user_text`` (user messages only) is what the user wrote themselves: '' when the
        message is all Cairn's (a code action's prompt), the typed words when Cairn added
        text around them, None when unknown (then the whole content counts as the user's).
        Memory takes directives and the active intent only from these words.

        Returns only after the transaction is committed, so a user message appended before a
        model call survives a crash during the call.
        """
        validate_message(message)
        if user_text is not None and (not isinstance(user_text, str) or message["role"] != "user"):
            raise ValueError("user_text must be a string, and only on a user message")
        clean = self.redactor.redact_obj(message)
        tool_calls = json.dumps(clean["tool_calls"]) if clean.get("tool_calls") else None
        # Only named when given, so a database still at an older schema (tests) accepts rows.
        extra_column, extra_value = (
            (", user_text", (self.redactor.redact(user_text),)) if user_text is not None else ("", ())
        )
        now = self.now_iso()
        async with self.transaction() as conn:
            seq = await scalar(
                conn, "SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE session_id = ?", (session_id,)
            )
            try:
                cursor = await conn.execute(
                    "INSERT INTO messages (session_id, seq, role, content, tool_calls, "
                    f"tool_call_id, name, tokens, complete, created_at{extra_column}) "
                    f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?{', ?' * len(extra_value)})",
                    (
                        session_id,
                        seq,
                        clean["role"],
                        clean.get("content"),
                        tool_calls,
                        clean.get("tool_call_id"),
                        clean.get("name"),
                        tokens,
                        int(bool(complete)),
                        now,
                        *extra_value,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise ValueError(f"unknown session {session_id!r}") from exc
            message_id = inserted_id(cursor)
            await conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))
        return message_id

    async def finish_message(
        self, message_id: int, message: dict[str, Any] | None = None, *, tokens: int | None = None
    ) -> bool:
        """Mark a message complete, optionally replacing its content; False if unknown."""
        async with self.transaction() as conn:
            if message is not None:
                clean = self.redactor.redact_obj(validate_message(message))
                tool_calls = json.dumps(clean["tool_calls"]) if clean.get("tool_calls") else None
                cursor = await conn.execute(
                    "UPDATE messages SET content = ?, tool_calls = ?, complete = 1, "
                    "tokens = coalesce(?, tokens) WHERE id = ?",
                    (clean.get("content"), tool_calls, tokens, message_id),
                )
            else:
                cursor = await conn.execute(
                    "UPDATE messages SET complete = 1, tokens = coalesce(?, tokens) WHERE id = ?",
                    (tokens, message_id),
                )
            return cursor.rowcount > 0

    async def message_rows(
        self, session_id: str, *, after_seq: int = 0, complete: bool | None = True
    ) -> list[StoredMessage]:
        """Stored messages with seq > ``after_seq`` in order (``complete=None``: all)."""
        sql = "SELECT * FROM messages WHERE session_id = ? AND seq > ?"
        params: tuple[Any, ...] = (session_id, after_seq)
        if complete is not None:
            sql += " AND complete = ?"
            params += (int(complete),)
        rows = await self.fetchall(sql + " ORDER BY seq", params)
        return [_stored(row) for row in rows]

    async def messages(self, session_id: str) -> list[dict[str, Any]]:
        """The session's complete messages in order, as OpenAI chat dicts (the whole session:
        per-step readers use :meth:`message_rows` with ``after_seq`` or :meth:`message_rows_before`)."""
        return [row.message for row in await self.message_rows(session_id)]

    async def change_messages(
        self, result_heads: tuple[str, ...], user_hints: tuple[str, ...]
    ) -> list[StoredMessage]:
        """The messages that may change a value, in the order they were written: every tool
        result that starts with one of ``result_heads`` (an edit tool's "applied"), each after
        the assistant message that called it (its session's latest one with tool calls before
        it), and the user messages matching one of the LIKE patterns ``user_hints``."""
        applied = " OR ".join("r.content LIKE ? ESCAPE '\\'" for _ in result_heads) or "0"
        hinted = " OR ".join("coalesce(user_text, content) LIKE ?" for _ in user_hints) or "0"
        rows = await self.fetchall(
            f"WITH results AS (SELECT r.id, r.session_id, r.seq FROM messages AS r "
            f"WHERE r.role = 'tool' AND ({applied})) "
            "SELECT * FROM messages WHERE id IN (SELECT id FROM results UNION "
            "SELECT (SELECT c.id FROM messages AS c WHERE c.session_id = results.session_id "
            "AND c.seq < results.seq AND c.role = 'assistant' AND c.tool_calls IS NOT NULL "
            f"ORDER BY c.seq DESC LIMIT 1) FROM results) OR (role = 'user' AND ({hinted})) "
            "ORDER BY created_at, id",
            tuple(_like_prefix(head) for head in result_heads) + user_hints,
        )
        return [_stored(row) for row in rows]

    async def message_rows_before(
        self, session_id: str, *, before_seq: int | None = None, limit: int = 64
    ) -> list[StoredMessage]:
        """The newest ``limit`` complete messages with seq < ``before_seq`` (all when None), in
        order: a session read backwards one page at a time, so its tail costs what it holds."""
        sql = "SELECT * FROM messages WHERE session_id = ? AND complete = 1"
        params: tuple[Any, ...] = (session_id,)
        if before_seq is not None:
            sql += " AND seq < ?"
            params += (before_seq,)
        rows = await self.fetchall(sql + " ORDER BY seq DESC LIMIT ?", params + (limit,))
        return [_stored(row) for row in reversed(rows)]

    async def transcript_totals(self, session_id: str, *, up_to_seq: int) -> tuple[int, int]:
        """(complete messages, their tokens) with seq <= ``up_to_seq``; a message stored without
        a count is estimated from its length (one token per 4 characters)."""
        row = await self.fetchone(
            "SELECT count(*), coalesce(sum(coalesce(tokens, "
            "(length(coalesce(content, '')) + length(coalesce(tool_calls, ''))) / 4)), 0) "
            "FROM messages WHERE session_id = ? AND complete = 1 AND seq <= ?",
            (session_id, up_to_seq),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def last_user_message(self, session_id: str) -> StoredMessage | None:
        """The session's newest complete user message (what recall searches by)."""
        rows = await self.fetchall(
            "SELECT * FROM messages WHERE session_id = ? AND complete = 1 AND role = 'user' "
            "ORDER BY seq DESC LIMIT 1",
            (session_id,),
        )
        return _stored(rows[0]) if rows else None

    async def incomplete_messages(self, session_id: str) -> list[StoredMessage]:
        """Messages stored without a finish (e.g. a stream cut off), in order."""
        return await self.message_rows(session_id, complete=False)

    async def complete_count_between(self, session_id: str, *, after_seq: int, up_to_seq: int) -> int:
        """Complete messages with ``after_seq < seq <= up_to_seq``: an index range, so its cost
        follows the range, not the session (callers keep a running total)."""
        row = await self.fetchone(
            "SELECT count(*) FROM messages WHERE session_id = ? AND seq > ? AND seq <= ? AND complete = 1",
            (session_id, after_seq, up_to_seq),
        )
        return int(row[0]) if row else 0

    async def message_count(self, session_id: str) -> int:
        """How many messages (complete or not) the session has."""
        row = await self.fetchone("SELECT count(*) FROM messages WHERE session_id = ?", (session_id,))
        return int(row[0]) if row else 0
