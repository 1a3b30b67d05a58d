"""Messages' sentence vectors (migration 0006): written in the background, read by `history`.

Only a store opened with an ``encoder`` writes or reads them; NumPy is imported only then.
:meth:`VectorsMixin.embed_pending` embeds what has no vector yet, in batches, in a worker
thread (the model is CPU-bound; the event loop keeps serving), and writes a batch back only
where the text is still the one it embedded. Searches read the vectors through an in-memory
copy that is extended with the rows added since the last look (the table's ids only grow),
so a search costs one small query and one matrix product, not a read of every vector.
"""

from __future__ import annotations

import asyncio
from typing import Any

from cairn.memory.store_base import StoreBase, id_list

EMBED_BATCH = 32  # messages per worker-thread call: small enough to stop soon when closing
_BODY = "SELECT id, body FROM message_search_body WHERE id IN ({})"
# Messages are embedded in id order: what waits is above the highest embedded id, or marked
# stale by an edit (migration 0006). Both are index lookups: a step's cost does not grow with
# the history (R18).
_PENDING = (
    "SELECT message_id AS id FROM message_vectors WHERE vector IS NULL UNION "
    "SELECT id FROM messages WHERE id > (SELECT coalesce(max(message_id), 0) FROM message_vectors) "
    "ORDER BY id LIMIT ?"
)


class _VectorCache:
    """The vectors of one model, as rows of a matrix, with the table's last id read."""

    def __init__(self, np: Any, dim: int) -> None:
        self.np = np
        self.matrix = np.zeros((0, dim), dtype=np.float32)
        self.ids: list[int] = []
        self.row_of: dict[int, int] = {}
        self.last_id = 0

    def extend(self, rows: list[Any]) -> None:
        np = self.np
        fresh: list[Any] = []
        for row in rows:
            self.last_id = max(self.last_id, row["id"])
            if not row["vector"]:
                continue
            vector = np.frombuffer(row["vector"], dtype="<f4")
            if vector.shape[0] != self.matrix.shape[1]:
                continue
            index = self.row_of.get(row["message_id"])
            if index is not None:  # embedded again after an edit: the old row is replaced
                self.matrix[index] = vector
                continue
            self.row_of[row["message_id"]] = len(self.ids)  # the matrix's rows, then the fresh ones
            fresh.append(vector)
            self.ids.append(row["message_id"])
        if fresh:
            self.matrix = np.concatenate([self.matrix, np.stack(fresh)])


class VectorsMixin(StoreBase):
    """Embedding messages and reading their similarity to a query."""

    _vector_cache: _VectorCache | None = None
    _embed_lock: asyncio.Lock | None = None

    async def embed_pending(self, *, limit: int | None = None) -> int:
        """Embed messages that have no vector yet (oldest first, at most ``limit``); returns
        how many were written. Single-flight: a call while another runs waits for it, then
        finds little left. Does nothing without an encoder."""
        encoder = self.encoder
        if encoder is None:
            return 0
        if self._embed_lock is None:
            self._embed_lock = asyncio.Lock()
        written = 0
        async with self._embed_lock:
            while limit is None or written < limit:
                size = EMBED_BATCH if limit is None else min(EMBED_BATCH, limit - written)
                rows = await self.fetchall(_PENDING, (size,))
                if not rows or self.closed:
                    break
                ids = id_list(row["id"] for row in rows)
                texts = {row["id"]: row["body"] or "" for row in await self.fetchall(_BODY.format(ids))}
                wanted = [i for i, text in texts.items() if text.strip()]
                vectors = await asyncio.to_thread(encoder.encode, [texts[i] for i in wanted])
                blobs = dict.fromkeys(texts, b"")
                blobs.update({i: vectors[n].astype("<f4").tobytes() for n, i in enumerate(wanted)})
                written += await self._write_vectors(encoder.model_id, texts, blobs)
        return written

    async def _write_vectors(self, model: str, texts: dict[int, str], blobs: dict[int, bytes]) -> int:
        """Write the vectors whose message still has the text that was embedded; a message
        edited while the model ran is marked stale instead (the next pass embeds it again).
        A vector written again replaces the row, so it gets a new id that readers notice."""
        if not texts:
            return 0
        async with self.transaction() as conn:
            async with conn.execute(_BODY.format(id_list(texts))) as cursor:
                current = {row["id"]: row["body"] or "" for row in await cursor.fetchall()}
            rows = [
                (i, model, blobs[i] if current[i] == text else None)
                for i, text in texts.items()
                if i in current  # a deleted message needs no vector
            ]
            await conn.executemany(
                "INSERT OR REPLACE INTO message_vectors (message_id, model, vector) VALUES (?, ?, ?)", rows
            )
        return sum(1 for row in rows if row[2] is not None)

    async def vector_similarities(self, query: str) -> tuple[list[int], Any, dict[int, int]] | None:
        """(message ids, cosine of each message's vector with ``query``'s, message id -> its
        position in both), for every message embedded by this store's model; None without an
        encoder or with no vectors."""
        encoder = self.encoder
        if encoder is None:
            return None
        import numpy as np

        cache = self._vector_cache
        if cache is None:
            cache = self._vector_cache = _VectorCache(np, encoder.dim)
        cache.extend(
            await self.fetchall(
                "SELECT id, message_id, vector FROM message_vectors WHERE id > ? AND model = ? ORDER BY id",
                (cache.last_id, encoder.model_id),
            )
        )
        if not cache.ids:
            return None
        query_vector = (await asyncio.to_thread(encoder.encode, [query]))[0]
        return cache.ids, cache.matrix @ query_vector, cache.row_of
