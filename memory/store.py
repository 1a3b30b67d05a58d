"""``MemoryStore``: the one object that owns a workspace's memory database.

It is assembled from single-purpose parts, each in its own module:

- :mod:`cairn.memory.store_base` — opening, pragmas, migrations, ``BEGIN IMMEDIATE``
  transactions with rollback on cancellation, closing;
- :mod:`cairn.memory.store_transcript` — sessions, messages;
- :mod:`cairn.memory.store_search` — raw-history search and `recall` over everything memory holds;
- :mod:`cairn.memory.store_memories` — long-term memories, recall, forget, anchors;
- :mod:`cairn.memory.store_coordination` — leases, checkpoints, small settings;
- :mod:`cairn.memory.store_context` — change marks and digests that context assembly reads.

Usage::

    async with await MemoryStore.open(memory_db_path(root), workspace_root=root) as store:
        session = await store.new_session("fix the build")
        await store.append_message(session, {"role": "user", "content": "..."})

Everything written is redacted first by the store's :class:`~cairn.memory.redaction.Redactor`.
"""

from __future__ import annotations

from cairn.memory.migrate import MemoryStoreError, SchemaTooNewError
from cairn.memory.store_context import ContextReadsMixin
from cairn.memory.store_coordination import CoordinationMixin
from cairn.memory.store_search import SearchMixin


class MemoryStore(SearchMixin, CoordinationMixin, ContextReadsMixin):
    """A workspace's memory: transcript, long-term memories, checkpoints, leases."""


__all__ = ["MemoryStore", "MemoryStoreError", "SchemaTooNewError"]
