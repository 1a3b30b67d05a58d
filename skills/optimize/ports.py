"""The trainer's ports: what it needs from a target model and an optimizer model.

The real litellm-backed implementations live in the agent's model adapter (server side) and are
injected through the CLI's ``model_factory``; the simulated ones live in ``simulated.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cairn.skills.optimize.tasks import Task


@dataclass(frozen=True)
class Usage:
    """Tokens spent by one or more model calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens
        )

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens - other.prompt_tokens, self.completion_tokens - other.completion_tokens
        )

    def to_dict(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}

    @classmethod
    def from_any(cls, value: object) -> Usage | None:
        """Read a Usage, a ``{"prompt_tokens", "completion_tokens"}`` dict or a litellm usage."""
        if value is None:
            return None
        if isinstance(value, Usage):
            return value
        get = value.get if isinstance(value, dict) else lambda k, d=0: getattr(value, k, d)
        try:
            return cls(int(get("prompt_tokens", 0) or 0), int(get("completion_tokens", 0) or 0))
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class RunResult:
    """What the target produced for one task, and what it cost."""

    output: str
    usage: Usage


@runtime_checkable
class TargetRunner(Protocol):
    """Runs the model being trained: the skill as its instructions, the task as the request.

    Implementations must cap the output (the budget reserves ``max_output_tokens`` per call).
    """

    async def run(self, skill_text: str, task: Task) -> RunResult: ...


@runtime_checkable
class OptimizerModel(Protocol):
    """The model that reflects on results and proposes edits.

    Usage accounting: an implementation may expose ``usage`` (a cumulative :class:`Usage`, or
    anything :meth:`Usage.from_any` reads). The trainer calls it one call at a time and charges
    the difference; without ``usage`` it charges an estimate from the text lengths.
    """

    async def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str: ...
