"""A `Conversation` kept in memory: for runs without a memory store (and tests)."""

from __future__ import annotations

import copy
import uuid


class InMemoryConversation:
    """Messages in a list; ``incomplete`` keeps what was not stored as complete."""

    def __init__(self, session_id: str | None = None) -> None:
        self.session_id = session_id or uuid.uuid4().hex
        self._messages: list[dict] = []
        self.incomplete: list[dict] = []

    async def add(
        self,
        message: dict,
        *,
        complete: bool = True,
        tokens: int | None = None,
        user_text: str | None = None,
    ) -> None:
        # A copy on the way in: the caller may reuse its dict, and history() hands out this list.
        (self._messages if complete else self.incomplete).append(copy.deepcopy(message))

    async def history(self) -> list[dict]:
        """The stored list itself (no copy per call: a step must not cost the session's length)."""
        return self._messages
