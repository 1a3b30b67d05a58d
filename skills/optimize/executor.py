"""Where target runs and grading happen: the executor port and the in-process default.

The driver (:class:`~cairn.skills.optimize.metered.MeteredModels`) decides what to run (the
requests the cache does not answer), reserves the budget, and, as each result arrives, writes it
to the cache and charges it. An executor only runs: it never sees the cache or the budget, so a
rollout it retries is still charged once, and any executor gives the same results for the same
seed and cache. ``ray_executor.py`` runs the same work on a Ray cluster.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from cairn.skills.optimize.graders import Grade, grade
from cairn.skills.optimize.ports import RunResult, TargetRunner
from cairn.skills.optimize.tasks import Task

# Called on the driver's event loop with (index into the tasks given, result), once per task.
OnResult = Callable[[int, RunResult], None]


@runtime_checkable
class RolloutExecutor(Protocol):
    """Runs target rollouts and grades outputs, somewhere."""

    async def run(
        self, target: TargetRunner, skill_text: str, tasks: Sequence[Task], on_result: OnResult
    ) -> None:
        """Run ``target`` on every task and report each result through ``on_result`` as it arrives
        (any order, each task exactly once). The first failure stops the others and is raised."""
        ...

    async def grade(self, tasks: Sequence[Task], outputs: Sequence[str]) -> list[Grade]:
        """Grade ``outputs[i]`` against ``tasks[i]``; the grades in the same order."""
        ...

    def close(self) -> None:
        """Release what the executor holds (idempotent)."""
        ...


class LocalExecutor:
    """In this process: target runs on the event loop, at most ``concurrency`` at once."""

    def __init__(self, concurrency: int = 4) -> None:
        self.concurrency = max(1, concurrency)

    async def run(
        self, target: TargetRunner, skill_text: str, tasks: Sequence[Task], on_result: OnResult
    ) -> None:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(index: int, task: Task) -> None:
            async with gate:
                result = await target.run(skill_text, task)
            on_result(index, result)

        try:
            async with asyncio.TaskGroup() as group:  # a failure or cancellation stops the siblings
                for index, task in enumerate(tasks):
                    group.create_task(one(index, task))
        except BaseExceptionGroup as failed:  # report the model's own error, not a group of it
            raise failed.exceptions[0] from None

    async def grade(self, tasks: Sequence[Task], outputs: Sequence[str]) -> list[Grade]:
        # In a worker thread: an execution grader runs a sandboxed process per answer (~0.1 s),
        # which must not stall the loop that streams the other rollouts. Same order, same grades.
        pairs = list(zip(tasks, outputs, strict=True))
        return await asyncio.to_thread(lambda: [grade(task, output) for task, output in pairs])

    def close(self) -> None:
        pass
