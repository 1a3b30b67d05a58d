"""The ports the agent loop talks through, so the loop knows nothing of LSP, SQLite or a terminal.

Implementations: the memory store behind `Conversation` and `ContextPolicy` (memory/ through
server/agent/memory_bridge.py), in-memory ones for memory-less runs (conversation.py,
context_window.py), and observers for the editor (server/lsp/agent_runs.py) and the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class RunObserver(Protocol):
    """Sees a run as it happens."""

    def text(self, delta: str) -> None:
        """A piece of the answer, in order."""

    def status(self, message: str) -> None:
        """A transient line: the tool being run, a retry, a compaction."""

    def step(self, number: int) -> None:
        """Step ``number`` (1-based) is about to ask the model."""


class Conversation(Protocol):
    """The persistent transcript of one session (OpenAI-format messages)."""

    session_id: str

    async def add(
        self,
        message: dict,
        *,
        complete: bool = True,
        tokens: int | None = None,
        user_text: str | None = None,
    ) -> None:
        """Store ``message`` durably before returning; ``tokens`` is its count, stored once.

        ``user_text`` (user messages only): the words the user typed, when the message also
        carries text Cairn wrote (a code action's prompt, a selection); '' for none, None when
        the whole message is the user's."""

    async def history(self) -> Sequence[dict]:
        """Every complete message of the session, oldest first.

        The conversation's own cached sequence, extended by :meth:`add`: no re-read and no copy
        per call, so callers must not modify it."""


class ContextPolicy(Protocol):
    """Decides what the model sees on each call, within a token budget.

    A step must cost the same at message 30 and at message 3,000 (R18): a policy keeps what it
    computed between calls and works only on what is new and on what fits the budget."""

    async def messages(
        self, system_prompt: str, conversation: Conversation, *, request: str, budget: int
    ) -> list[dict]:
        """The messages for the next model call (system prompt first).

        The policy reads from ``conversation`` what it needs (a memory-backed policy reads
        its own store instead)."""

    async def compact(self, refused_tokens: int) -> bool:
        """Make room after the model refused a context of ``refused_tokens``; True if it did."""


COMPACT_RATIO = 0.6  # after an overflow, the share of the refused context a policy may send
