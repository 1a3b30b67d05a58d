"""Grouping a batch's failures by how they failed, deterministically.

A small optimizer model cannot find the shared cause in a dozen mixed failures; given one kind
of failure at a time ("3 of 8 answers ended in NameError", with two examples) it can name a
rule. The signature is read from the grade's detail: for execution-graded tasks (HumanEval) the
exception class that ended the traceback, a timeout, a resource kill, or an answer without a code
block that did not parse; for the other graders the task's family and what the grader found
wrong, since their detail says little more than "wrong answer".

Same input, same output: groups are ordered by size (largest first), then by signature, and the
examples inside a group by task id; nothing depends on hashing or on the order of the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cairn.skills.optimize.code_grader import has_code_block
from cairn.skills.optimize.graders import Grade
from cairn.skills.optimize.ports import RunResult
from cairn.skills.optimize.tasks import Task

Graded = tuple[Task, RunResult, Grade]

MAX_EXAMPLES = 3
# An unindented ``Name: message`` (or bare ``Name``) line; traceback source lines are indented.
_EXCEPTION_LINE = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)(?::\s|:$|$)")
_EXCEPTION_SUFFIXES = ("Error", "Exception", "Exit", "Interrupt", "Warning")
_OTHER_EXCEPTIONS = frozenset({"StopIteration", "StopAsyncIteration", "GeneratorExit"})
_NO_CODE = re.compile(r"\bno code\b", re.IGNORECASE)

TIMEOUT = "timeout"
KILLED = "resource limit"
NO_CODE = "no code block"
NO_EXCEPTION = "failed without an exception"
MIXED_MEANING = "the graders rejected the answers"

# What each common ending means, in words a small model can act on.
MEANINGS = {
    TIMEOUT: "the code did not finish within the time limit (an endless loop or a far too slow algorithm)",
    KILLED: "the run was killed at its CPU-time or memory limit",
    NO_CODE: "the answer had no fenced code block and, as it stood, was not valid Python",
    NO_EXCEPTION: "the program exited with an error code but raised no exception",
    "AssertionError": "the code ran, but a test assertion failed: it returned a wrong result",
    "NameError": "the code used a name that is not defined (a missing import, helper or variable)",
    "SyntaxError": "the code does not parse",
    "IndentationError": "the code is not indented correctly",
    "ModuleNotFoundError": "the code imports a module that is not available",
    "ImportError": "the code imports something that does not exist",
    "TypeError": "the code applied an operation to a value of the wrong type",
    "ValueError": "the code passed a value of the right type but the wrong content",
    "IndexError": "the code indexed past the end of a sequence",
    "KeyError": "the code looked up a missing dictionary key",
    "AttributeError": "the code used an attribute or method the value does not have",
    "ZeroDivisionError": "the code divided by zero",
    "RecursionError": "the code recursed too deeply",
    "UnboundLocalError": "the code read a local variable before assigning it",
}
# Non-execution graders: what the grader found wrong, by grader kind.
GRADER_MEANINGS = {
    "exact": "the answer was not exactly the expected text",
    "contains": "the answer did not contain the expected text",
    "regex": "the answer did not have the expected form",
    "json": "the answer's JSON value differed from the expected one",
    "python": "the task's check rejected the answer",
}


@dataclass(frozen=True)
class FailureGroup:
    """Failures that share a signature: how many, and the first few by task id."""

    signature: str
    meaning: str
    count: int
    examples: tuple[Graded, ...]


def _is_exception_name(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.endswith(_EXCEPTION_SUFFIXES) or last in _OTHER_EXCEPTIONS


def final_exception(detail: str) -> str | None:
    """The class of the exception that ended a traceback (the last one, if they were chained)."""
    for line in reversed(detail.splitlines()):
        match = _EXCEPTION_LINE.match(line)
        if match and _is_exception_name(match.group("name")):
            return match.group("name").rsplit(".", 1)[-1]
    return None


def _execution_signature(run: RunResult, detail: str) -> tuple[str, str]:
    if detail.startswith("timed out"):
        return TIMEOUT, MEANINGS[TIMEOUT]
    if detail.startswith("killed by signal"):
        return KILLED, MEANINGS[KILLED]
    if _NO_CODE.search(detail):
        return NO_CODE, MEANINGS[NO_CODE]
    name = final_exception(detail)
    if name is None:
        return NO_EXCEPTION, MEANINGS[NO_EXCEPTION]
    if name in ("SyntaxError", "IndentationError") and not has_code_block(run.output):
        return NO_CODE, MEANINGS[NO_CODE]  # most likely prose where code was asked for
    return name, MEANINGS.get(name, f"the code raised {name}")


def _grader_signature(task: Task, detail: str) -> tuple[str, str]:
    kind = task.grader.kind
    if kind == "json" and detail.startswith("no JSON"):
        what, meaning = "no JSON", "the answer held no JSON value"
    elif kind == "python" and detail.startswith("check raised "):
        name = detail.removeprefix("check raised ").split(":", 1)[0]
        what, meaning = f"check raised {name}", f"the task's check crashed on the answer ({name})"
    else:
        what, meaning = "wrong answer", GRADER_MEANINGS.get(kind, detail or "the grader rejected it")
    return f"{task.family}: {what}", meaning


def failure_signature(task: Task, run: RunResult, grade: Grade) -> tuple[str, str]:
    """(signature, meaning) of one failed result."""
    detail = grade.detail.strip()
    if task.grader.kind == "execution":
        return _execution_signature(run, detail)
    return _grader_signature(task, detail)


def _example_order(item: Graded) -> tuple[str, str, str]:
    task, run, grade = item
    return task.id, run.output, grade.detail


def group_failures(results: list[Graded], *, max_examples: int = MAX_EXAMPLES) -> list[FailureGroup]:
    """The failed results grouped by signature: largest group first, ties by signature."""
    members: dict[str, list[Graded]] = {}
    meanings: dict[str, set[str]] = {}
    for item in results:
        if item[2].passed:
            continue
        signature, meaning = failure_signature(*item)
        members.setdefault(signature, []).append(item)
        meanings.setdefault(signature, set()).add(meaning)
    groups = [
        FailureGroup(
            signature,
            # One family may mix grader kinds: then no single kind's wording is right.
            min(meanings[signature]) if len(meanings[signature]) == 1 else MIXED_MEANING,
            len(items),
            tuple(sorted(items, key=_example_order)[:max_examples]),
        )
        for signature, items in members.items()
    ]
    return sorted(groups, key=lambda g: (-g.count, g.signature))
