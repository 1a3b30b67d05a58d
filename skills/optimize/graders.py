"""Judging a target's output against a task's expected result.

``python`` graders run code from the task file in this process, like a test file: a task set is
the user's own input to an offline tool, never something the language server loads. ``execution``
graders run the model's code, which nobody has read, so only in the sandbox (`code_grader.py`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cairn.skills.optimize.code_grader import grade_execution
from cairn.skills.optimize.tasks import Task

_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Grade:
    """Whether the output passed, and a short reason shown to the optimizer on failure."""

    passed: bool
    detail: str = ""


def extract_json(text: str) -> Any:
    """The first JSON value in ``text``: the whole text, a fenced block, or an embedded value."""
    candidates = [text.strip()] + [m.group(1).strip() for m in _FENCE.finditer(text)]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    decoder = json.JSONDecoder()
    for index, char in enumerate(text):
        if char in "{[":
            try:
                return decoder.raw_decode(text, index)[0]
            except ValueError:
                continue
    raise ValueError("no JSON value found in the output")


@lru_cache(maxsize=512)
def _compiled_check(code: str) -> Callable[[str, Any], Any]:
    namespace: dict[str, Any] = {"__name__": "cairn_task_grader"}
    exec(compile(code, "<grader>", "exec"), namespace)  # the user's own task file
    check = namespace.get("check")
    if not callable(check):
        raise ValueError("grader code does not define check(output, expected)")
    return check


def grade(task: Task, output: str) -> Grade:
    """Grade one output; a grader that crashes counts as a failure with the error as detail.

    An execution grader raises `SandboxUnavailable` where code cannot be run confined.
    """
    kind = task.grader.kind
    answer = output.strip()
    if kind == "exact":
        ok = answer == str(task.expected).strip()
        return Grade(ok, "" if ok else "output is not exactly the expected text")
    if kind == "contains":
        ok = str(task.expected) in output
        return Grade(ok, "" if ok else "output does not contain the expected text")
    if kind == "regex":
        ok = re.fullmatch(task.grader.pattern or "", answer, re.DOTALL) is not None
        return Grade(ok, "" if ok else "output does not match the expected pattern")
    if kind == "json":
        try:
            value = extract_json(output)
        except ValueError as exc:
            return Grade(False, str(exc))
        ok = value == task.expected
        return Grade(ok, "" if ok else "the JSON value differs from the expected one")
    if kind == "python":
        try:
            ok = bool(_compiled_check(task.grader.code or "")(output, task.expected))
        except Exception as exc:  # the check is user code: any failure is a failed grade
            return Grade(False, f"check raised {type(exc).__name__}: {exc}")
        return Grade(ok, "" if ok else "the check function returned False")
    if kind == "execution":
        return Grade(*grade_execution(task.grader, output))
    return Grade(False, f"unknown grader {kind!r}")
