"""What context assembly returns: the messages with their parts, and the error it raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cairn.memory.ports import TokenCounter

COUNT_MEMO_SIZE = 4096


class ContextBudgetError(ValueError):
    """The system prompt and the user's directives alone do not fit the budget."""


@dataclass(frozen=True)
class ContextPart:
    """Which section produced message ``index`` (several parts may share one message)."""

    section: str
    index: int
    tokens: int


class AssembledContext(list):
    """The messages (a plain ``list[dict]`` for the model) plus where each part came from."""

    def __init__(self, messages: list[dict], parts: list[ContextPart], **stats: int) -> None:
        super().__init__(messages)
        self.parts = parts
        self.stats = stats

    @property
    def tokens(self) -> int:
        """Estimated tokens of all messages."""
        return sum(part.tokens for part in self.parts)

    def section(self, name: str) -> list[dict]:
        """The messages that hold a section's text."""
        return [self[i] for i in sorted({p.index for p in self.parts if p.section == name})]

    def tokens_by_section(self) -> dict[str, int]:
        """Estimated tokens per section."""
        totals: dict[str, int] = {}
        for part in self.parts:
            totals[part.section] = totals.get(part.section, 0) + part.tokens
        return totals


class MemoCounter:
    """A token counter that counts each distinct text once (bounded, oldest forgotten first)."""

    def __init__(self, count: TokenCounter) -> None:
        self._count = count
        self._memo: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self._memo.get(text)
        if found is None:
            found = self._count(text)
            if len(self._memo) >= COUNT_MEMO_SIZE:
                self._memo.pop(next(iter(self._memo)))
            self._memo[text] = found
        return found


def context_summary(context: AssembledContext) -> dict[str, Any]:
    """Tokens per section and trimming figures (what the server shows the user)."""
    return {"tokens": context.tokens, "sections": context.tokens_by_section(), **context.stats}
