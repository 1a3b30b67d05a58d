"""Task sets: JSONL files of inputs, expected results and graders.

One task per line::

    {"id": "q1", "family": "dates", "input": "...", "expected": "2024-01-31", "grader": "exact"}

``grader`` is a kind (``exact``, ``regex``, ``contains``, ``json``, ``python``, ``execution``) or
an object ``{"type": kind, ...}``: ``regex`` takes ``pattern`` (default: ``expected``), ``python``
takes ``code`` defining ``check(output, expected) -> bool``, ``execution`` takes ``test`` (code
run after the answer's code, in the sandbox: `optimize/code_grader.py`), optional ``prefix``
(code the answer completes, e.g. a function header), ``entry_point`` (then ``check(entry_point)``
is called, HumanEval's convention) and ``timeout`` (seconds). ``family`` groups tasks for the gate's
no-regression rule (default ``"default"``); ``meta`` is free-form (the simulator reads it).
Every bad line is reported with its number; nothing is loaded from a file with errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.skills.errors import SkillError

GRADER_KINDS = ("exact", "regex", "contains", "json", "python", "execution")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class TaskFileError(SkillError):
    """A task file has errors; ``problems`` lists them as ``path:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Grader:
    """How a task's output is judged."""

    kind: str
    pattern: str | None = None
    code: str | None = None
    test: str | None = None
    prefix: str = ""
    entry_point: str | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class Task:
    """One training or evaluation example."""

    id: str
    input: str
    expected: Any
    grader: Grader
    family: str = "default"
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _grader(raw: Any, expected: Any) -> Grader:
    spec = {"type": raw} if isinstance(raw, str) else raw
    if not isinstance(spec, dict) or spec.get("type") not in GRADER_KINDS:
        raise ValueError(f"'grader' must be one of {', '.join(GRADER_KINDS)} or {{\"type\": ...}}")
    kind = spec["type"]
    if kind == "regex":
        pattern = spec.get("pattern", expected)
        if not isinstance(pattern, str):
            raise ValueError("a regex grader needs a string 'pattern' (or a string 'expected')")
        re.compile(pattern)  # re.error is reported with the line number by load_tasks
        return Grader(kind, pattern=pattern)
    if kind == "python":
        code = spec.get("code")
        if not isinstance(code, str) or "def check" not in code:
            raise ValueError("a python grader needs 'code' defining check(output, expected)")
        compile(code, "<grader>", "exec")
        return Grader(kind, code=code)
    if kind == "execution":
        return _execution_grader(spec)
    if kind in ("exact", "contains") and not isinstance(expected, str):
        raise ValueError(f"an {kind} grader needs a string 'expected'")
    return Grader(kind)


def _execution_grader(spec: dict[str, Any]) -> Grader:
    test, prefix, entry, timeout = (
        spec.get("test"),
        spec.get("prefix", ""),
        spec.get("entry_point"),
        spec.get("timeout"),
    )
    if not isinstance(test, str) or not test.strip():
        raise ValueError("an execution grader needs 'test' code")
    if not isinstance(prefix, str):
        raise ValueError("an execution grader's 'prefix' must be a string")
    if entry is not None and (not isinstance(entry, str) or not _IDENTIFIER.match(entry)):
        raise ValueError("an execution grader's 'entry_point' must be a Python identifier")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise ValueError("an execution grader's 'timeout' must be a positive number of seconds")
    compile(test, "<test>", "exec")
    return Grader("execution", test=test, prefix=prefix, entry_point=entry, timeout=timeout)


def parse_task(obj: Any) -> Task:
    """Build a task from one decoded JSON line; raises ValueError with the reason."""
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object")
    for key in ("id", "input", "expected", "grader"):
        if key not in obj:
            raise ValueError(f"missing key {key!r}")
    task_id, text, family = obj["id"], obj["input"], obj.get("family", "default")
    if not isinstance(task_id, str) or not _ID.match(task_id):
        raise ValueError("'id' must be 1-128 letters, digits or _.:-")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'input' must be a non-empty string")
    if not isinstance(family, str) or not family:
        raise ValueError("'family' must be a non-empty string")
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise ValueError("'meta' must be an object")
    return Task(task_id, text, obj["expected"], _grader(obj["grader"], obj["expected"]), family, meta)


def load_tasks(path: Path) -> list[Task]:
    """All tasks of a JSONL file (blank lines and ``#`` comments skipped), ids unique."""
    problems: list[str] = []
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskFileError([f"{path}: cannot read task file: {exc}"]) from None
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            task = parse_task(json.loads(line))
        except (ValueError, SyntaxError, re.error) as exc:  # bad JSON, key, pattern or code
            problems.append(f"{path}:{number}: {exc}")
            continue
        if task.id in seen:
            problems.append(f"{path}:{number}: duplicate id {task.id!r} (first on line {seen[task.id]})")
            continue
        seen[task.id] = number
        tasks.append(task)
    if not tasks and not problems:
        problems.append(f"{path}: no tasks")
    if problems:
        raise TaskFileError(problems)
    return tasks
