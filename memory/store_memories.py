"""Long-term memories: remember with provenance, recall with BM25, forget, follow the code.

Poisoning rules (R17) are enforced at this boundary, whoever the caller is:
- every memory carries a non-empty provenance; text taken from tool output or files must be
  flagged ``untrusted`` and its provenance given explicitly by the caller;
- a ``directive`` (an instruction the agent will follow) can only come from the user and can
  never be untrusted.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from cairn.memory.fts import match_query
from cairn.memory.paths import is_under
from cairn.memory.records import (
    SOURCES,
    STATUSES,
    TIERS,
    Anchor,
    Memory,
    MemoryDelete,
    MemoryInsert,
    MemoryUpdate,
    Source,
    Status,
)
from cairn.memory.store_base import StoreBase, inserted_id, scalar
from cairn.memory.workspace_check import symbol_in_file

_KIND = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
# Anchors ride along as a JSON column so reading memories is one query, not two.
ANCHORS_COLUMN = (
    "(SELECT json_group_array(json_array(path, symbol)) FROM (SELECT path, symbol FROM "
    "memory_anchors a WHERE a.memory_id = m.id ORDER BY a.id)) AS anchors_json"
)
_INSERT_MEMORY = (
    "INSERT INTO memories (id, kind, text, source, provenance, session_ids, untrusted, status, "
    "tier, created_at, verified_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATABLE = {"text", "kind", "status", "tier", "session_ids", "verified_at", "provenance", "untrusted"}

AnchorLike = str | Anchor | tuple[str, str | None]


def _memory(row: sqlite3.Row, anchors: tuple[Anchor, ...], score: float | None = None) -> Memory:
    return Memory(
        id=row["id"],
        kind=row["kind"],
        text=row["text"],
        source=row["source"],
        provenance=row["provenance"],
        session_ids=tuple(json.loads(row["session_ids"])),
        untrusted=bool(row["untrusted"]),
        status=row["status"],
        tier=row["tier"],
        created_at=row["created_at"],
        verified_at=row["verified_at"],
        updated_at=row["updated_at"],
        anchors=anchors,
        score=score,
    )


class LongTermMixin(StoreBase):
    """Long-term memories and their anchors."""

    def _anchor(self, anchor: AnchorLike) -> Anchor:
        if isinstance(anchor, Anchor):
            path, symbol = anchor.path, anchor.symbol
        elif isinstance(anchor, tuple):
            path, symbol = anchor
        elif isinstance(anchor, str):
            path, symbol = anchor, None
        else:
            raise ValueError(f"an anchor is a path, (path, symbol) or Anchor, got {anchor!r}")
        if not path:
            raise ValueError("an anchor needs a path")
        return Anchor(self.rel_path(path), symbol or None)

    def _checked_insert(self, item: MemoryInsert) -> MemoryInsert:
        text = item.text.strip() if isinstance(item.text, str) else ""
        if not text:
            raise ValueError("a memory needs non-empty text")
        if not _KIND.match(item.kind or ""):
            raise ValueError(f"memory kind must be a short lower-case word, got {item.kind!r}")
        if item.source not in SOURCES:
            raise ValueError(f"memory source must be one of {SOURCES}, got {item.source!r}")
        if item.status not in STATUSES or item.tier not in TIERS:
            raise ValueError(f"bad status/tier {item.status!r}/{item.tier!r}")
        if not item.provenance or not item.provenance.strip():
            raise ValueError("a memory needs its provenance (where the text came from)")
        if item.kind == "directive" and (item.source != "user" or item.untrusted):
            raise ValueError("directives can only come from the user's own messages")
        return MemoryInsert(
            kind=item.kind,
            text=self.redactor.redact(text),
            source=item.source,
            provenance=self.redactor.redact(item.provenance.strip()),
            session_ids=tuple(dict.fromkeys(item.session_ids)),
            anchors=tuple(self._anchor(a) for a in item.anchors),
            untrusted=item.untrusted,
            status=item.status,
            tier=item.tier,
            verified_at=item.verified_at,
        )

    async def remember(
        self,
        text: str,
        *,
        kind: str = "fact",
        source: Source,
        session_id: str | None = None,
        anchors: Iterable[AnchorLike] = (),
        provenance: str | None = None,
        untrusted: bool = False,
        status: Status | None = None,
    ) -> int:
        """Store a long-term memory (redacted) and return its id.

        ``source``: ``user`` (the user asked), ``agent`` (the agent's ``remember`` tool) or
        ``derived`` (consolidation). ``untrusted=True`` marks text copied from tool output
        or files; such text needs an explicit ``provenance``. User memories start
        ``verified``, others ``unverified`` until consolidation checks them.
        """
        if untrusted and not provenance:
            raise ValueError("text from tool output or files needs an explicit provenance")
        if source == "derived" and not provenance:
            raise ValueError("derived memories need a provenance")
        if provenance is None:
            where = f" in session {session_id}" if session_id else ""
            provenance = {"user": "stated by the user", "agent": "noted by the agent"}.get(
                source, str(source)
            ) + where
        item = MemoryInsert(
            kind=kind,
            text=text,
            source=source,
            provenance=provenance,
            session_ids=(session_id,) if session_id else (),
            anchors=tuple(self._anchor(a) for a in anchors),
            untrusted=untrusted,
            status=status or ("verified" if source == "user" else "unverified"),
        )
        item = self._checked_insert(item)
        if item.status == "verified" and item.verified_at is None:
            item = MemoryInsert(**{**item.__dict__, "verified_at": self.now_iso()})
        async with self.transaction() as conn:
            return await self._insert(conn, item)

    async def _insert(self, conn: aiosqlite.Connection, item: MemoryInsert) -> int:
        return (await self._insert_many(conn, [item]))[0]

    async def _insert_many(self, conn: aiosqlite.Connection, items: Sequence[MemoryInsert]) -> list[int]:
        """Insert memories and their anchors (call inside a transaction).

        A batch gets its ids from max(id) up front (the transaction holds the write lock, so
        no other writer can take them) and is written with one statement per table.
        """
        now = self.now_iso()

        def row(memory_id: int | None, m: MemoryInsert) -> tuple:
            return (
                memory_id,
                m.kind,
                m.text,
                m.source,
                m.provenance,
                json.dumps(m.session_ids),
                int(m.untrusted),
                m.status,
                m.tier,
                now,
                m.verified_at,
                now,
            )

        if len(items) == 1:
            cursor = await conn.execute(_INSERT_MEMORY, row(None, items[0]))
            ids = [inserted_id(cursor)]
        elif items:
            last = await scalar(conn, "SELECT coalesce(max(id), 0) FROM memories")
            ids = list(range(last + 1, last + 1 + len(items)))
            await conn.executemany(_INSERT_MEMORY, [row(i, m) for i, m in zip(ids, items)])
        else:
            return []
        anchors = [(i, a.path, a.symbol) for i, m in zip(ids, items) for a in m.anchors]
        if anchors:
            await conn.executemany(
                "INSERT INTO memory_anchors (memory_id, path, symbol) VALUES (?, ?, ?)", anchors
            )
        return ids

    def _rows_to_memories(self, rows: Sequence[sqlite3.Row], scores: bool = False) -> list[Memory]:
        return [
            _memory(
                row,
                tuple(Anchor(p, s) for p, s in json.loads(row["anchors_json"])),
                row["score"] if scores else None,
            )
            for row in rows
        ]

    async def recall(self, query: str, limit: int = 10, *, include_stale: bool = False) -> list[Memory]:
        """Memories matching any word of ``query``, best BM25 match first."""
        match = match_query(query, "any")
        if match is None:
            return []
        stale = "" if include_stale else "AND m.status != 'stale' "
        rows = await self.fetchall(
            f"SELECT m.*, {ANCHORS_COLUMN}, bm25(memories_fts) AS score FROM memories_fts "
            "JOIN memories m ON m.id = memories_fts.rowid "
            f"WHERE memories_fts MATCH ? {stale}ORDER BY score LIMIT ?",
            (match, limit),
        )
        return self._rows_to_memories(rows, scores=True)

    async def get_memory(self, memory_id: int) -> Memory | None:
        """One memory by id, or None."""
        rows = await self.fetchall(f"SELECT m.*, {ANCHORS_COLUMN} FROM memories m WHERE id = ?", (memory_id,))
        found = self._rows_to_memories(rows)
        return found[0] if found else None

    async def list_memories(self, *, tier: str | None = None, status: str | None = None) -> list[Memory]:
        """All memories (optionally one tier/status), oldest first."""
        clauses, params = [], []
        for column, value in (("tier", tier), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        rows = await self.fetchall(
            f"SELECT m.*, {ANCHORS_COLUMN} FROM memories m {where}ORDER BY id", tuple(params)
        )
        return self._rows_to_memories(rows)

    async def project_memories(self, limit: int = 500) -> list[Memory]:
        """Directives, then the newest other project-tier memories, never stale ones.

        What context assembly shows on every call: bounded, so a store with 100k archived
        memories costs the same as a small one.
        """
        rows = await self.fetchall(
            f"SELECT m.*, {ANCHORS_COLUMN} FROM memories m WHERE tier = 'project' "
            "AND status != 'stale' ORDER BY kind = 'directive' DESC, id DESC LIMIT ?",
            (limit,),
        )
        return self._rows_to_memories(rows)

    async def forget(self, memory_id: int) -> bool:
        """Delete a memory and its anchors; False when no such memory exists."""
        async with self.transaction() as conn:
            cursor = await conn.execute("DELETE FROM memories WHERE id = ?", (memory_id,))
            return cursor.rowcount > 0

    async def apply_memory_plan(
        self, steps: Sequence[MemoryInsert | MemoryUpdate | MemoryDelete]
    ) -> dict[str, int]:
        """Apply consolidation steps in one transaction; skips rows changed since the snapshot.

        Returns counts: ``inserted``, ``updated``, ``deleted``, ``skipped``.
        """
        counts = {"inserted": 0, "updated": 0, "deleted": 0, "skipped": 0}
        checked = [self._checked_insert(s) if isinstance(s, MemoryInsert) else s for s in steps]
        now = self.now_iso()
        inserts = [s for s in checked if isinstance(s, MemoryInsert)]
        async with self.transaction() as conn:
            counts["inserted"] = len(await self._insert_many(conn, inserts))
            for step in checked:
                if isinstance(step, MemoryInsert):
                    continue
                if isinstance(step, MemoryDelete):
                    cursor = await conn.execute(
                        "DELETE FROM memories WHERE id = ? AND updated_at = ?",
                        (step.id, step.expected_updated_at),
                    )
                    counts["deleted" if cursor.rowcount else "skipped"] += 1
                else:
                    counts["updated" if await self._update(conn, step, now) else "skipped"] += 1
        return counts

    async def _update(self, conn: aiosqlite.Connection, step: MemoryUpdate, now: str) -> bool:
        unknown = set(step.changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update memory fields {sorted(unknown)}")
        changes: dict[str, Any] = dict(step.changes)
        if "text" in changes:
            changes["text"] = self.redactor.redact(changes["text"])
        if "session_ids" in changes:
            changes["session_ids"] = json.dumps(list(dict.fromkeys(changes["session_ids"])))
        if "untrusted" in changes:
            changes["untrusted"] = int(bool(changes["untrusted"]))
        sets = ", ".join(f"{column} = ?" for column in changes)
        cursor = await conn.execute(
            f"UPDATE memories SET {sets}, updated_at = ? WHERE id = ? AND updated_at = ?",
            (*changes.values(), now, step.id, step.expected_updated_at),
        )
        return cursor.rowcount > 0

    # -- memory follows the code -------------------------------------------------------------

    async def on_files_renamed(self, renames: Iterable[tuple[str, str]]) -> int:
        """Move anchors (files and folders) and rewrite the old path in memory text."""
        pairs = [(self.rel_path(old), self.rel_path(new)) for old, new in renames]
        touched: set[int] = set()
        now = self.now_iso()
        async with self.transaction() as conn:
            for old, new in pairs:
                async with conn.execute(
                    "SELECT id, memory_id, path FROM memory_anchors WHERE path = ? OR path LIKE ?",
                    (old, old.rstrip("/") + "/%"),
                ) as cursor:
                    anchors = [r for r in await cursor.fetchall() if is_under(r["path"], old)]
                for anchor in anchors:
                    moved = new + anchor["path"][len(old) :]
                    await conn.execute(
                        "UPDATE memory_anchors SET path = ? WHERE id = ?", (moved, anchor["id"])
                    )
                    touched.add(anchor["memory_id"])
                for memory_id in {a["memory_id"] for a in anchors}:
                    await conn.execute(
                        "UPDATE memories SET text = replace(text, ?, ?), updated_at = ? WHERE id = ?",
                        (old, new, now, memory_id),
                    )
        return len(touched)

    async def on_files_deleted(self, paths: Iterable[str]) -> int:
        """Mark memories anchored to deleted files (or inside deleted folders) stale."""
        return await self._set_status_for_paths(paths, "stale")

    async def _set_status_for_paths(self, paths: Iterable[str], status: str) -> int:
        ids: set[int] = set()
        for path in (self.rel_path(p) for p in paths):
            rows = await self.fetchall(
                "SELECT memory_id, path FROM memory_anchors WHERE path = ? OR path LIKE ?",
                (path, path.rstrip("/") + "/%"),
            )
            ids.update(r["memory_id"] for r in rows if is_under(r["path"], path))
        if not ids:
            return 0
        now = self.now_iso()
        async with self.transaction() as conn:
            marks = ",".join("?" * len(ids))
            cursor = await conn.execute(
                f"UPDATE memories SET status = ?, updated_at = ? WHERE id IN ({marks}) AND status != ?",
                (status, now, *sorted(ids), status),
            )
            return cursor.rowcount

    async def on_files_changed(self, paths: Iterable[str]) -> int:
        """Re-check symbol anchors in changed files: gone -> stale, back again -> unverified.

        Needs the store's ``workspace_root``; without it nothing can be checked (returns 0).
        """
        if self.workspace_root is None:
            return 0
        changed = 0
        for path in {self.rel_path(p) for p in paths}:
            rows = await self.fetchall(
                "SELECT a.memory_id, a.symbol, m.status, m.updated_at FROM memory_anchors a "
                "JOIN memories m ON m.id = a.memory_id WHERE a.path = ? AND a.symbol IS NOT NULL",
                (path,),
            )
            steps = []
            for row in rows:
                found = await symbol_in_file(self.workspace_root, path, row["symbol"])
                if found is None:
                    continue  # too large to check: leave the memory as it is
                if not found and row["status"] != "stale":
                    steps.append(MemoryUpdate(row["memory_id"], row["updated_at"], {"status": "stale"}))
                elif found and row["status"] == "stale":
                    steps.append(MemoryUpdate(row["memory_id"], row["updated_at"], {"status": "unverified"}))
            if steps:
                changed += (await self.apply_memory_plan(steps))["updated"]
        return changed
