"""Does a skill help? Two arms (a skill against another skill, or against no skill) on the same
tasks, paired, in one run: pass rates with intervals, the tasks that flipped, and the cost.

Both arms answer every task with the same target model; each answer is graded by the task's own
grader (execution graders run in the sandbox, off the event loop). Only the discordant tasks
(one arm passes, the other fails) say which arm is better: the exact sign test reads those.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.skills.optimize.graders import Grade, grade
from cairn.skills.optimize.ports import TargetRunner, Usage
from cairn.skills.optimize.stats import sign_test_two_sided, wilson_interval
from cairn.skills.optimize.tasks import Task

# Called after each task with (tasks done, tasks in all, passes so far per arm).
ProgressCallback = Callable[[int, int, tuple[int, int]], None]


@dataclass(frozen=True)
class Arm:
    """One side of the comparison: a name for people and the skill text ("" = no skill)."""

    name: str
    skill_text: str


@dataclass(frozen=True)
class ArmOutcome:
    """One arm on one task."""

    passed: bool
    detail: str
    output: str


@dataclass
class Cost:
    """What the run spent: target calls, tokens, wall-clock and grading seconds."""

    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    wall_seconds: float = 0.0
    grading_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            **self.usage.to_dict(),
            "wall_seconds": round(self.wall_seconds, 1),
            "grading_seconds": round(self.grading_seconds, 1),
        }


@dataclass(frozen=True)
class PairedReport:
    """The outcome of both arms on the same tasks."""

    arms: tuple[Arm, Arm]
    task_ids: tuple[str, ...]
    outcomes: dict[str, tuple[ArmOutcome, ArmOutcome]]
    cost: Cost

    def passes(self, arm: int) -> int:
        return sum(pair[arm].passed for pair in self.outcomes.values())

    def flipped_to(self, arm: int) -> list[str]:
        """Tasks arm ``arm`` passes and the other fails, in task order."""
        return [
            t for t in self.task_ids if self.outcomes[t][arm].passed and not self.outcomes[t][1 - arm].passed
        ]

    @property
    def p_value(self) -> float:
        return sign_test_two_sided(len(self.flipped_to(0)), len(self.flipped_to(1)))

    def to_dict(self) -> dict[str, Any]:
        n = len(self.task_ids)
        arms = []
        for index, arm in enumerate(self.arms):
            low, high = wilson_interval(self.passes(index), n)
            arms.append(
                {
                    "name": arm.name,
                    "passed": self.passes(index),
                    "rate": round(self.passes(index) / n, 4) if n else 0.0,
                    "ci95": [round(low, 4), round(high, 4)],
                    "flipped_to": self.flipped_to(index),
                }
            )
        failures = {
            t: {arm.name: pair[i].detail for i, arm in enumerate(self.arms) if not pair[i].passed}
            for t, pair in self.outcomes.items()
        }
        return {
            "tasks": n,
            "arms": arms,
            "difference": round((self.passes(0) - self.passes(1)) / n, 4) if n else 0.0,
            "sign_test_p_two_sided": round(self.p_value, 4),
            "cost": self.cost.to_dict(),
            "failures": {t: f for t, f in failures.items() if f},
        }

    def describe(self, show_flips: int = 20) -> str:
        """The report for people: one line per arm, the flips, the test and the cost."""
        n = len(self.task_ids)
        width = max(len(arm.name) for arm in self.arms)
        lines = [f"{'arm':<{width}}  passed   rate   95% CI"]
        for index, arm in enumerate(self.arms):
            low, high = wilson_interval(self.passes(index), n)
            rate = self.passes(index) / n if n else 0.0
            lines.append(
                f"{arm.name:<{width}}  {self.passes(index):>3}/{n:<3} {rate:6.3f}  [{low:.3f}, {high:.3f}]"
            )
        for index, arm in enumerate(self.arms):
            flips = self.flipped_to(index)
            shown = ", ".join(flips[:show_flips]) + (
                f", ... ({len(flips) - show_flips} more)" if len(flips) > show_flips else ""
            )
            lines.append(f"only {arm.name} passes: {len(flips)}" + (f" ({shown})" if flips else ""))
        diff = (self.passes(0) - self.passes(1)) / n if n else 0.0
        lines.append(
            f"difference {diff:+.3f} ({self.arms[0].name} - {self.arms[1].name}); "
            f"exact sign test on the flips: p = {self.p_value:.3f} (two-sided)"
        )
        cost = self.cost
        lines.append(
            f"cost: {cost.calls} model calls, {cost.usage.total:,} tokens "
            f"({cost.usage.prompt_tokens:,} prompt, {cost.usage.completion_tokens:,} completion), "
            f"{cost.wall_seconds:.1f} s wall ({cost.grading_seconds:.1f} s grading)"
        )
        return "\n".join(lines)


def select_tasks(tasks: Sequence[Task], limit: int | None, seed: int) -> list[Task]:
    """All tasks, or a seeded sample of ``limit`` of them, in id order either way."""
    ordered = sorted(tasks, key=lambda t: t.id)
    if limit is None or limit >= len(ordered):
        return ordered
    chosen = random.Random(f"cairn-eval:{seed}").sample(ordered, max(0, limit))
    return sorted(chosen, key=lambda t: t.id)


async def evaluate_paired(
    tasks: Sequence[Task],
    arms: tuple[Arm, Arm],
    target: TargetRunner,
    *,
    concurrency: int = 1,
    progress: ProgressCallback | None = None,
    on_pair: Callable[[Task, tuple[ArmOutcome, ArmOutcome]], None] | None = None,
) -> PairedReport:
    """Run both arms on every task and grade them; see the module docstring.

    ``on_pair`` sees each task's two outcomes as soon as both are graded (a record that outlives
    an interrupted run).
    """
    started = time.monotonic()
    cost = Cost()
    limit = asyncio.Semaphore(max(1, concurrency))
    outcomes: dict[str, tuple[ArmOutcome, ArmOutcome]] = {}
    passes = [0, 0]

    async def one(task: Task, arm: Arm) -> ArmOutcome:
        async with limit:
            result = await target.run(arm.skill_text, task)
        cost.calls += 1
        cost.usage = cost.usage + result.usage
        graded_at = time.monotonic()
        verdict: Grade = await asyncio.to_thread(grade, task, result.output)
        cost.grading_seconds += time.monotonic() - graded_at
        return ArmOutcome(verdict.passed, verdict.detail, result.output)

    async def pair(task: Task) -> None:
        first, second = await asyncio.gather(one(task, arms[0]), one(task, arms[1]))
        outcomes[task.id] = (first, second)
        if on_pair is not None:
            on_pair(task, (first, second))
        passes[0] += first.passed
        passes[1] += second.passed
        if progress is not None:
            progress(len(outcomes), len(tasks), (passes[0], passes[1]))

    await asyncio.gather(*(pair(task) for task in tasks))
    cost.wall_seconds = time.monotonic() - started
    return PairedReport(arms, tuple(t.id for t in tasks), outcomes, cost)
