"""Every model call of a training run goes through here: cache, budget, and the executor.

Accounting is per distinct request in a run: the first time a run makes a request it is charged
(the usage recorded when it was really made, even if it now comes from the cache); asking again
within the run is free. So a resumed run charges exactly what an uninterrupted one would.
Target runs and grading happen in a :class:`RolloutExecutor` (in this process by default, or on
a Ray cluster); the cache and the budget are written only here, on the driver, as results arrive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cairn.skills.optimize.budget import Budget, call_token_bound
from cairn.skills.optimize.cache import ResponseCache, request_key
from cairn.skills.optimize.executor import LocalExecutor, RolloutExecutor
from cairn.skills.optimize.graders import Grade
from cairn.skills.optimize.ports import OptimizerModel, RunResult, TargetRunner, Usage
from cairn.skills.optimize.tasks import Task
from cairn.skills.textstats import approx_tokens


class MeteredModels:
    """The target and optimizer behind one cache and one budget."""

    def __init__(
        self,
        target: TargetRunner,
        optimizer: OptimizerModel,
        *,
        cache: ResponseCache,
        budget: Budget,
        target_name: str,
        optimizer_name: str,
        target_max_tokens: int,
        optimizer_max_tokens: int,
        concurrency: int = 4,
        executor: RolloutExecutor | None = None,
    ) -> None:
        """``executor`` runs and grades the target (default: in this process, ``concurrency`` at
        a time; the caller owns a given executor and closes it)."""
        self.target, self.optimizer = target, optimizer
        self.executor: RolloutExecutor = executor or LocalExecutor(concurrency)
        self.cache, self.budget = cache, budget
        self.target_name, self.optimizer_name = target_name, optimizer_name
        self.target_max_tokens, self.optimizer_max_tokens = target_max_tokens, optimizer_max_tokens
        self.charged: set[str] = set()
        self.real_calls = 0  # informational: requests that were not in the cache
        self.keep_calls = 0  # reserve held back for a later phase (the final test run)
        self.keep_tokens = 0

    def _target_key(self, skill_text: str, task: Task) -> str:
        payload = {
            "skill": skill_text,
            "task": task.id,
            "input": task.input,
            "max_tokens": self.target_max_tokens,
        }
        return request_key("target", self.target_name, payload)

    def target_bound(self, skill_text: str, tasks: Iterable[Task]) -> tuple[int, int]:
        """Worst-case (calls, tokens) of running ``tasks``, ignoring what is already charged."""
        tasks = list(tasks)
        tokens = sum(call_token_bound([skill_text, t.input], self.target_max_tokens) for t in tasks)
        return len(tasks), tokens

    def _reserve(self, keys_and_bounds: list[tuple[str, int]], what: str, *, use_reserve: bool) -> None:
        fresh = {key: bound for key, bound in keys_and_bounds if key not in self.charged}
        keep = (0, 0) if use_reserve else (self.keep_calls, self.keep_tokens)
        self.budget.require(len(fresh), sum(fresh.values()), what, keep_calls=keep[0], keep_tokens=keep[1])

    def _charge(self, key: str, usage: Usage) -> None:
        if key not in self.charged:
            self.charged.add(key)
            self.budget.charge(usage)

    async def run_tasks(
        self, skill_text: str, tasks: list[Task], *, use_reserve: bool = False
    ) -> list[RunResult]:
        """Run the target on ``tasks`` (results in task order); raises BudgetExhausted first."""
        keys = [self._target_key(skill_text, t) for t in tasks]
        bounds = [call_token_bound([skill_text, t.input], self.target_max_tokens) for t in tasks]
        self._reserve(list(zip(keys, bounds)), f"running {len(tasks)} tasks", use_reserve=use_reserve)
        results: dict[str, RunResult] = {}
        for key in keys:
            hit = self.cache.get(key)
            if hit is not None:
                results[key] = RunResult(hit[0], hit[1])
                self._charge(key, hit[1])
        misses = list(dict.fromkeys(k for k in keys if k not in results))  # each request once
        by_key = dict(zip(keys, tasks))

        def arrived(index: int, result: RunResult) -> None:
            key = misses[index]
            self.real_calls += 1
            self.cache.put(key, result.output, result.usage)
            self._charge(key, result.usage)
            results[key] = result

        if misses:
            await self.executor.run(self.target, skill_text, [by_key[k] for k in misses], arrived)
        return [results[key] for key in keys]

    async def grade(self, tasks: Sequence[Task], results: Sequence[RunResult]) -> list[Grade]:
        """Grade each result against its task, in the executor (grades in task order)."""
        return await self.executor.grade(list(tasks), [r.output for r in results])

    async def complete(self, messages: list[dict]) -> str:
        """One optimizer call (sequential, so the model's cumulative usage gives its cost)."""
        key = request_key(
            "optimizer", self.optimizer_name, {"messages": messages, "max_tokens": self.optimizer_max_tokens}
        )
        bound = call_token_bound([str(m.get("content", "")) for m in messages], self.optimizer_max_tokens)
        self._reserve([(key, bound)], "an optimizer call", use_reserve=False)
        hit = self.cache.get(key)
        if hit is not None:
            self._charge(key, hit[1])
            return hit[0]
        before = Usage.from_any(getattr(self.optimizer, "usage", None))
        text = await self.optimizer.complete(messages, max_tokens=self.optimizer_max_tokens)
        after = Usage.from_any(getattr(self.optimizer, "usage", None))
        if before is not None and after is not None:
            usage = after - before
        else:  # no usage reported: estimate from the text
            usage = Usage(
                sum(approx_tokens(str(m.get("content", ""))) for m in messages), approx_tokens(text)
            )
        self.real_calls += 1
        self.cache.put(key, text, usage)
        self._charge(key, usage)
        return text
