"""The executor port: the local executor, and the driver's cache/budget duties around any executor."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from cairn.skills.optimize.budget import Budget
from cairn.skills.optimize.cache import ResponseCache
from cairn.skills.optimize.executor import LocalExecutor, RolloutExecutor
from cairn.skills.optimize.graders import grade
from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.ports import RunResult, Usage
from cairn.skills.optimize.simulated import SimulatedOptimizer, SimulatedTarget

from .test_trainer import Crash, outputs, trainer


class GatedTarget:
    """Each run waits until the test releases it; records how many were in flight at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0
        self.release = asyncio.Event()
        self.started: list[str] = []
        self.cancelled = 0

    async def run(self, skill_text, task):
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        self.started.append(task.id)
        if task.id == "boom":
            await asyncio.sleep(0)  # the others start first
            raise Crash("the model failed")
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.in_flight -= 1
        return RunResult(f"{skill_text}:{task.id}", Usage(len(task.id), 1))


class ReversedExecutor(LocalExecutor):
    """Reports results in the reverse of the task order, as a cluster may."""

    def __init__(self) -> None:
        super().__init__(concurrency=1)
        self.runs: list[list[str]] = []

    async def run(self, target, skill_text, tasks, on_result):
        self.runs.append([t.id for t in tasks])
        results = [await target.run(skill_text, task) for task in tasks]
        for index in reversed(range(len(tasks))):
            on_result(index, results[index])


def tasks_of(small_world, count: int):
    return small_world[1][:count]


async def test_the_local_executor_reports_each_result_once_within_its_concurrency(small_world):
    tasks = tasks_of(small_world, 7)
    target = GatedTarget()
    seen: list[tuple[int, str]] = []
    running = asyncio.create_task(
        LocalExecutor(concurrency=3).run(target, "skill", tasks, lambda i, r: seen.append((i, r.output)))
    )
    while len(target.started) < 3:
        await asyncio.sleep(0)
    for _ in range(5):  # nothing more starts while three are held
        await asyncio.sleep(0)
    assert target.in_flight == 3 and len(target.started) == 3
    target.release.set()
    await running
    assert target.most == 3
    assert sorted(seen) == [(i, f"skill:{t.id}") for i, t in enumerate(tasks)]


async def test_the_local_executor_raises_the_first_failure_itself_and_stops_the_rest(small_world):
    tasks = list(tasks_of(small_world, 4))
    boom = type(tasks[0])("boom", "x", "y", tasks[0].grader)
    target = GatedTarget()  # never released: the others run until the failure stops them
    seen: list[int] = []
    with pytest.raises(Crash):
        order = [*tasks[:2], boom, *tasks[2:]]  # the last two wait for a slot that never frees
        await LocalExecutor(concurrency=3).run(target, "s", order, lambda i, r: seen.append(i))
    assert seen == [] and "boom" in target.started and len(target.started) < len(order)
    assert target.cancelled == len(target.started) - 1  # every other run that started was stopped


async def test_the_local_executor_grades_in_task_order(small_world):
    tasks = tasks_of(small_world, 5)
    outputs_ = [str(t.expected) if i % 2 else "wrong" for i, t in enumerate(tasks)]
    grades = await LocalExecutor().grade(tasks, outputs_)
    assert grades == [grade(t, o) for t, o in zip(tasks, outputs_)]
    assert [g.passed for g in grades] == [False, True, False, True, False]
    assert isinstance(LocalExecutor(), RolloutExecutor)


async def test_the_driver_sends_only_misses_and_caches_and_charges_each_once(small_world):
    world = small_world[0]
    tasks = list(tasks_of(small_world, 6))
    executor = ReversedExecutor()
    cache = ResponseCache(None)
    models = MeteredModels(
        SimulatedTarget(world, noise=0.0),
        SimulatedOptimizer(world),
        cache=cache,
        budget=Budget(),
        target_name="sim",
        optimizer_name="sim",
        target_max_tokens=64,
        optimizer_max_tokens=64,
        executor=executor,
    )
    local = MeteredModels(
        SimulatedTarget(world, noise=0.0),
        SimulatedOptimizer(world),
        cache=ResponseCache(None),
        budget=Budget(),
        target_name="sim",
        optimizer_name="sim",
        target_max_tokens=64,
        optimizer_max_tokens=64,
    )
    first = await models.run_tasks("skill", tasks[:4])
    assert first == await local.run_tasks("skill", tasks[:4])  # task order, whatever the arrival order
    assert models.budget.calls == 4 and len(cache) == 4 and models.real_calls == 4
    again = await models.run_tasks("skill", tasks + [tasks[5]])  # a request twice in one batch
    assert executor.runs == [[t.id for t in tasks[:4]], [tasks[4].id, tasks[5].id]]
    assert again[:4] == first and again[6] == again[5]
    assert models.budget.calls == 6 and models.real_calls == 6 and len(cache) == 6
    grades = await models.grade(tasks, again[:6])
    assert grades == [grade(t, r.output) for t, r in zip(tasks, again)]


async def test_training_gives_the_same_outputs_whatever_order_results_arrive_in(small_world, tmp_path):
    await trainer(small_world, tmp_path / "local").run()
    state = await trainer(small_world, tmp_path / "reversed", executor=ReversedExecutor()).run()
    assert state.status == "completed"
    assert outputs(tmp_path / "reversed") == outputs(tmp_path / "local")


def test_training_with_the_local_executor_never_imports_ray(tmp_path):
    code = (
        "import sys\n"
        "from cairn.cli import main\n"
        "rc = main(['skills', 'train', '--demo', '--epochs', '1', '--no-progress', '--out', sys.argv[1]])\n"
        "assert rc == 0, rc\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_ray_executor_without_ray_installed_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from .test_cli import run_skills

    monkeypatch.setitem(sys.modules, "cairn.skills.optimize.ray_executor", None)  # import fails
    args = ["skills", "train", "--demo", "--executor", "ray", "--out", str(tmp_path), "--no-progress"]
    assert run_skills(args) == 2
    assert "pip install 'cairn-lsp[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "events.jsonl").exists()
