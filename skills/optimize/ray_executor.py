"""The :class:`RolloutExecutor` on a Ray cluster (``cairn skills train --executor ray``).

Only this module imports ``ray`` (the optional extra ``cairn-lsp[ray]``), and only the Ray
executor imports this module. Each target run is one Ray task; grading goes out in one task per
CPU of the cluster. The workers only compute: results come back to the driver, which writes the
cache and charges the budget as each one arrives (``metered.py``), so nothing is charged twice.
A task whose worker dies (killed, out of memory, node lost) is retried once by Ray; a second death
fails the run with :class:`RolloutFailed`, and running the same command again resumes it. An
error raised by the target itself is not retried (as in the local executor) and reaches the
caller as that error.

The target object is pickled once per executor and unpickled once per worker process, so a
target that loads a model pays for it once per worker, not per task.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

import ray
import ray.cloudpickle
import ray.exceptions

from cairn import __version__
from cairn.skills.errors import SkillError
from cairn.skills.optimize.executor import OnResult
from cairn.skills.optimize.graders import Grade, grade
from cairn.skills.optimize.ports import RunResult, TargetRunner
from cairn.skills.optimize.tasks import Task

# Ray retries a task whose worker process died this many times; exceptions raised by the target
# are never retried (retry_exceptions=False).
WORKER_DEATH_RETRIES = 1

_targets: dict[str, Any] = {}  # on a worker: unpickled targets by digest, kept for later tasks


class RolloutFailed(SkillError):
    """A rollout or a grading could not complete on the cluster (its worker died twice)."""


def _target(digest: str, blob: bytes) -> Any:
    if digest not in _targets:
        _targets[digest] = ray.cloudpickle.loads(blob)
    return _targets[digest]


@ray.remote(max_retries=WORKER_DEATH_RETRIES, retry_exceptions=False)
def _rollout(digest: str, blob: bytes, skill_text: str, task: Task) -> RunResult:
    return asyncio.run(_target(digest, blob).run(skill_text, task))


@ray.remote(max_retries=WORKER_DEATH_RETRIES, retry_exceptions=False)
def _grade(tasks: list[Task], outputs: list[str]) -> list[Grade]:
    return [grade(task, output) for task, output in zip(tasks, outputs, strict=True)]


@ray.remote(max_retries=WORKER_DEATH_RETRIES)
def _worker_version() -> str:
    return __version__


class RayExecutor:
    """Target runs and grading as Ray tasks; connect with :meth:`connect`."""

    def __init__(self, *, owns_connection: bool) -> None:
        self._owns_connection = owns_connection
        self._blobs: dict[int, tuple[Any, str, Any]] = {}  # id(target) -> (target, digest, ref)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.grade_parts = max(1, cpus)

    @classmethod
    def connect(cls, address: str | None) -> RayExecutor:
        """Join the cluster at ``address`` (``host:6379``, ``ray://host:10001``; None: the
        ``RAY_ADDRESS`` variable, else a Ray started on this machine for the run). Reuses this
        process's connection if there is one. Checks that the workers run this Cairn version."""
        owns = not ray.is_initialized()
        if owns:
            try:
                ray.init(address=address, log_to_driver=False, logging_level="WARNING")
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise SkillError(f"cannot connect to the Ray cluster at {address or 'auto'}: {exc}") from None
        executor = cls(owns_connection=owns)
        try:
            remote = ray.get(_worker_version.remote())
        except ray.exceptions.RayError as exc:
            executor.close()
            raise SkillError(f"the Ray workers cannot run Cairn (install cairn-lsp[ray]): {exc}") from None
        if remote != __version__:
            executor.close()
            raise SkillError(
                f"the Ray workers run Cairn {remote}, this driver {__version__}: "
                "install the same cairn-lsp[ray] version on every node"
            )
        return executor

    def _target_ref(self, target: TargetRunner) -> tuple[str, Any]:
        known = self._blobs.get(id(target))
        if known is None or known[0] is not target:
            blob = ray.cloudpickle.dumps(target)
            known = (target, hashlib.sha256(blob).hexdigest(), ray.put(blob))
            self._blobs[id(target)] = known
        return known[1], known[2]

    async def _gather(self, refs: list[Any], on_value: Any) -> None:
        """Await ``refs``; call ``on_value(index, value)`` as each arrives; cancel all on failure."""
        waiting = {asyncio.wrap_future(ref.future()): index for index, ref in enumerate(refs)}
        pending = set(waiting)
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for future in sorted(done, key=waiting.__getitem__):
                    on_value(waiting[future], _value(future))
        except BaseException:
            for ref in refs:
                ray.cancel(ref)
            for future in pending:
                future.cancel()
            raise

    async def run(
        self, target: TargetRunner, skill_text: str, tasks: Sequence[Task], on_result: OnResult
    ) -> None:
        digest, blob = self._target_ref(target)
        refs = [_rollout.remote(digest, blob, skill_text, task) for task in tasks]
        await self._gather(refs, on_result)

    async def grade(self, tasks: Sequence[Task], outputs: Sequence[str]) -> list[Grade]:
        size = -(-len(tasks) // self.grade_parts)  # ceiling: at most one part per CPU
        starts = range(0, len(tasks), max(1, size))
        refs = [_grade.remote(list(tasks[i : i + size]), list(outputs[i : i + size])) for i in starts]
        parts: list[list[Grade]] = [[] for _ in refs]

        def arrived(index: int, grades: list[Grade]) -> None:
            parts[index] = grades

        await self._gather(refs, arrived)
        return [g for part in parts for g in part]

    def close(self) -> None:
        self._blobs.clear()
        if self._owns_connection and ray.is_initialized():
            ray.shutdown()
        self._owns_connection = False


def _value(future: asyncio.Future) -> Any:
    """The task's value; the target's own error as itself; a twice-dead worker as RolloutFailed."""
    try:
        return future.result()
    except ray.exceptions.RayTaskError as exc:  # raised by the target or grader on the worker
        raise exc.as_instanceof_cause() from None
    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as exc:
        raise RolloutFailed(
            f"a rollout's Ray worker died {WORKER_DEATH_RETRIES + 1} times; "
            f"run the same command again to resume ({type(exc).__name__})"
        ) from exc
