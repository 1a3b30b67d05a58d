"""The worst-case cost of a training run, shown before it starts (and checked against the budget)."""

from __future__ import annotations

from dataclasses import dataclass

from cairn.skills.optimize.budget import call_token_bound
from cairn.skills.optimize.splits import Splits

# The optimizer prompts carry the skill, up to a dozen examples and the ledger; 24 KB bounds them.
OPTIMIZER_PROMPT_BYTES = 24_000


@dataclass(frozen=True)
class Estimate:
    steps: int
    calls: int
    tokens: int

    def describe(self) -> str:
        return f"at most {self.steps} steps, {self.calls} model calls and {self.tokens} tokens (worst case)"


def estimate_run(
    splits: Splits,
    steps: int,
    batch_size: int,
    max_edits_start: int,
    skill_bytes: int,
    max_skill_bytes: int,
    target_max_tokens: int,
    optimizer_max_tokens: int,
    optimizer_calls_per_step: int,
) -> Estimate:
    """Worst case: every edit gated on every validation task, the skill at its size cap.

    Real runs cost far less: the current skill's runs are cached, futile gates stop early, and
    an unchanged skill is never re-run.
    """

    def target_tokens(tasks, size: int) -> int:
        return sum(call_token_bound(["x" * size, t.input], target_max_tokens) for t in tasks)

    validation = list(splits.validation)
    start_calls = len(splits.test) + len(validation)
    start_tokens = target_tokens(splits.test, skill_bytes) + target_tokens(validation, skill_bytes)
    batch = min(batch_size, len(splits.train))
    per_step_calls = (
        batch + optimizer_calls_per_step + max_edits_start * 2 * len(validation) + len(validation)
    )
    per_step_tokens = (
        target_tokens(list(splits.train)[:batch], max_skill_bytes)
        + optimizer_calls_per_step * (OPTIMIZER_PROMPT_BYTES + optimizer_max_tokens)
        + (max_edits_start * 2 + 1) * target_tokens(validation, max_skill_bytes)
    )
    end_calls, end_tokens = len(splits.test), target_tokens(splits.test, max_skill_bytes)
    return Estimate(
        steps,
        start_calls + steps * per_step_calls + end_calls,
        start_tokens + steps * per_step_tokens + end_tokens,
    )
