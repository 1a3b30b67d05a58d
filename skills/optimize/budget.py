"""A hard budget on model calls and tokens.

Before a phase of calls starts, its worst case is reserved: a call's prompt can cost at most one
token per UTF-8 byte (every token of a byte-level tokenizer covers at least one byte) plus a chat
template allowance, and its output at most the ``max_tokens`` cap the call is made with. A phase
that does not fit is not started, so the budget is never exceeded. The reservation does not depend
on the cache, so an interrupted and resumed run stops at exactly the same point.
"""

from __future__ import annotations

from dataclasses import dataclass

from cairn.skills.errors import SkillError
from cairn.skills.optimize.ports import Usage

TEMPLATE_TOKENS_PER_MESSAGE = 16
TEMPLATE_TOKENS_PER_CALL = 32


class BudgetExhausted(SkillError):
    """The next phase's worst case does not fit in what is left."""


def call_token_bound(prompt_parts: list[str], max_output_tokens: int) -> int:
    """An upper bound on the tokens of one call whose messages are ``prompt_parts``."""
    prompt = sum(len(part.encode("utf-8")) + TEMPLATE_TOKENS_PER_MESSAGE for part in prompt_parts)
    return prompt + TEMPLATE_TOKENS_PER_CALL + max_output_tokens


@dataclass
class Budget:
    """Limits (None: unlimited) and what was charged so far."""

    max_calls: int | None = None
    max_tokens: int | None = None
    calls: int = 0
    tokens: int = 0

    def fits(self, calls: int, tokens: int, *, keep_calls: int = 0, keep_tokens: int = 0) -> bool:
        """Whether ``calls``/``tokens`` more fit while keeping a reserve for later phases."""
        calls_ok = self.max_calls is None or self.calls + calls + keep_calls <= self.max_calls
        tokens_ok = self.max_tokens is None or self.tokens + tokens + keep_tokens <= self.max_tokens
        return calls_ok and tokens_ok

    def require(
        self, calls: int, tokens: int, what: str, *, keep_calls: int = 0, keep_tokens: int = 0
    ) -> None:
        """Raise :class:`BudgetExhausted` unless the worst case of ``what`` fits."""
        if not self.fits(calls, tokens, keep_calls=keep_calls, keep_tokens=keep_tokens):
            raise BudgetExhausted(
                f"budget left cannot cover {what} (up to {calls} calls, {tokens} tokens; "
                f"used {self.calls}/{self.max_calls} calls, {self.tokens}/{self.max_tokens} tokens)"
            )

    def charge(self, usage: Usage) -> None:
        """Count one call and its tokens."""
        self.calls += 1
        self.tokens += usage.total

    def to_dict(self) -> dict[str, int | None]:
        return {
            "max_calls": self.max_calls,
            "max_tokens": self.max_tokens,
            "calls": self.calls,
            "tokens": self.tokens,
        }
