"""A `ContextPolicy` without memory: the newest messages that fit, old tool output blanked first.

Used when no memory store is available. The user's first request of the session and the latest
message are always kept (instructions survive truncation); tool results older than the last
few are replaced by a one-line note.

A step costs what the window holds, not what the session holds (R18): each message is counted
once, when first seen, and the window is found by walking back from the newest message until
the budget is full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cairn.memory.context_sections import repo_map_block, section
from cairn.server.agent.ports import COMPACT_RATIO, Conversation
from cairn.server.agent.repo_map import MapRenderer

BLANKED = "[tool output removed to save context; call the tool again if you need it]"
KEEP_RECENT_TOOL_RESULTS = 6


class TruncatingContext:
    """Fits history into the budget by blanking, then dropping, the oldest material."""

    def __init__(
        self,
        count_tokens: Callable[[list[dict] | str], int],
        repo_map: MapRenderer | None = None,
    ) -> None:
        self._count = count_tokens
        self._repo_map = repo_map  # (request, cap, worked) -> the repository map, after the system prompt
        self._cap: int | None = None  # set below the size the model refused
        self._costs: list[int] = []  # tokens of history[i], counted once
        self._blanked_costs: dict[str | None, int] = {}  # a blanked tool result, by tool name
        self._first_user = -1

    def _cost(self, message: dict) -> int:
        """A message's share of the request: what counting a list adds for it."""
        return self._count([message]) - self._count([])

    def _blanked(self, message: dict) -> tuple[dict, int]:
        blanked = {**message, "content": BLANKED}
        name = message.get("name")
        if name not in self._blanked_costs:
            self._blanked_costs[name] = self._cost(blanked)
        return blanked, self._blanked_costs[name]

    def _count_new(self, history: Sequence[dict]) -> None:
        if len(history) < len(self._costs):  # another conversation: start over
            self._costs, self._first_user = [], -1
        for index in range(len(self._costs), len(history)):
            self._costs.append(self._cost(history[index]))
            if self._first_user < 0 and history[index].get("role") == "user":
                self._first_user = index

    async def messages(
        self, system_prompt: str, conversation: Conversation, *, request: str, budget: int
    ) -> list[dict]:
        history = await conversation.history()
        self._count_new(history)
        system = {"role": "system", "content": system_prompt}
        budget = min(budget, self._cap or budget)
        first = self._first_user
        total = self._count([system]) + (self._costs[first] if first >= 0 else 0)
        head = [system]
        if self._repo_map is not None:  # the same section, share and builder as with memory
            render = self._repo_map
            block = repo_map_block(
                lambda cap: render(request, cap, ()),
                int((budget - total) * section("repo_map").share),
                lambda text: self._count(text),
            )
            if block:
                head.append({"role": "user", "content": block})
                total += self._cost(head[-1])
        window: list[dict] = []
        tools_seen = 0
        index = len(history) - 1
        while index >= 0:
            if index != first:
                message, cost = history[index], self._costs[index]
                if message.get("role") == "tool":
                    tools_seen += 1
                    if tools_seen > KEEP_RECENT_TOOL_RESULTS:
                        message, cost = self._blanked(message)
                # Two messages stay whatever the budget: the first request and the last one.
                if len(window) + (first >= 0) >= 2 and total + cost > budget:
                    break
                window.append(message)
                total += cost
            index -= 1
        window.reverse()
        if first >= 0:  # back in its place: inside the window, or just before it
            window.insert(max(0, first - index - 1), history[first])
        # Copies: the conversation's own dicts must not change under the model layer.
        return [*head, *(dict(m) for m in _drop_orphans(window))]

    async def compact(self, refused_tokens: int) -> bool:
        self._cap = int(refused_tokens * COMPACT_RATIO)
        return self._cap >= 1024


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
