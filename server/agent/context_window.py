"""A `ContextPolicy` without memory: the newest messages that fit, old tool output blanked first.

Used when no memory store is available. The user's first request of the session and the latest
one are always kept (instructions survive truncation); tool results older than the last few
steps are replaced by a one-line note before any whole message is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from cairn.server.agent.ports import COMPACT_RATIO

BLANKED = "[tool output removed to save context; call the tool again if you need it]"
KEEP_RECENT_TOOL_RESULTS = 6


class TruncatingContext:
    """Fits history into the budget by blanking, then dropping, the oldest material."""

    def __init__(self, count_tokens: Callable[[list[dict] | str], int]) -> None:
        self._count = count_tokens
        self._cap: int | None = None  # set below the size the model refused

    async def messages(
        self, system_prompt: str, history: list[dict], *, request: str, budget: int
    ) -> list[dict]:
        system = {"role": "system", "content": system_prompt}
        messages = [dict(m) for m in history]
        budget = min(budget, self._cap or budget)
        tool_indexes = [i for i, m in enumerate(messages) if m.get("role") == "tool"]
        for index in tool_indexes[: max(0, len(tool_indexes) - KEEP_RECENT_TOOL_RESULTS)]:
            messages[index]["content"] = BLANKED
        while len(messages) > 2 and self._count([system, *messages]) > budget:
            del messages[_first_droppable(messages)]
        return [system, *_drop_orphans(messages)]

    async def compact(self, refused_tokens: int) -> bool:
        self._cap = int(refused_tokens * COMPACT_RATIO)
        return self._cap >= 1024


def _first_droppable(messages: list[dict]) -> int:
    """The oldest message that is not the first user request nor the last message."""
    first_user = next((i for i, m in enumerate(messages) if m.get("role") == "user"), -1)
    for index in range(len(messages) - 1):
        if index != first_user:
            return index
    return 0


def _drop_orphans(messages: list[dict]) -> list[dict]:
    """Tool results whose call was dropped confuse providers: remove them (and vice versa)."""
    call_ids = {call.get("id") for m in messages for call in m.get("tool_calls") or []}
    result_ids = {m.get("tool_call_id") for m in messages if m.get("role") == "tool"}
    kept = []
    for message in messages:
        if message.get("role") == "tool" and message.get("tool_call_id") not in call_ids:
            continue
        if message.get("tool_calls") and not all(c.get("id") in result_ids for c in message["tool_calls"]):
            message = {**message, "tool_calls": None}
            message = {k: v for k, v in message.items() if v is not None}
            if not message.get("content"):
                continue
        kept.append(message)
    return kept
