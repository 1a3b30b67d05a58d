"""Failure clustering: HumanEval-style failure texts grouped by the exception that ended them,
the other graders by family; the same groups whatever the input order."""

from __future__ import annotations

import itertools
import random

from cairn.skills.optimize.failure_groups import (
    KILLED,
    NO_CODE,
    NO_EXCEPTION,
    TIMEOUT,
    final_exception,
    group_failures,
)
from cairn.skills.optimize.graders import Grade
from cairn.skills.optimize.ports import RunResult, Usage
from cairn.skills.optimize.tasks import parse_task

# Failure texts as code_grader.failure_text writes them (captured from the sandbox).
ASSERTION = (
    "exit code 1\nTraceback (most recent call last):\n"
    '  File "solution.py", line 14, in <module>\n    check(sort_array)\n'
    '  File "solution.py", line 10, in check\n    assert candidate([5, 2]) == [2, 5]\n'
    "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\nAssertionError"
)
NAME_ERROR = (
    "exit code 1\nTraceback (most recent call last):\n"
    '  File "solution.py", line 14, in <module>\n    check(sort_array)\n'
    '  File "solution.py", line 10, in check\n    assert candidate([5, 2]) == [2, 5]\n'
    "           ^^^^^^^^^^^^^^^\n"
    '  File "solution.py", line 6, in sort_array\n    return sorted(arr, key=keyfunc)\n'
    "                           ^^^^^^^\nNameError: name 'keyfunc' is not defined"
)
MISSING_MODULE = (
    "exit code 1\nTraceback (most recent call last):\n"
    '  File "solution.py", line 5, in <module>\n    import numpy\n'
    "ModuleNotFoundError: No module named 'numpy'"
)
# The first exception's line says KeyError; the one that ended the run was a ValueError.
CHAINED = (
    "exit code 1\nTraceback (most recent call last):\n"
    '  File "solution.py", line 7, in parse\n    return table[key]\n'
    "KeyError: 'x'\n\nDuring handling of the above exception, another exception occurred:\n\n"
    "Traceback (most recent call last):\n"
    '  File "solution.py", line 9, in parse\n    raise ValueError("bad key")\n'
    "ValueError: bad key"
)
DOTTED = (
    "exit code 1\nTraceback (most recent call last):\n"
    '  File "solution.py", line 3, in load\n'
    "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)"
)
MULTILINE_MESSAGE = (
    "exit code 1\nTraceback (most recent call last):\n"
    '  File "solution.py", line 10, in check\n'
    "AssertionError: expected [2, 5]\n  got [5, 2]"
)
PROSE_SYNTAX = (
    'exit code 1\nFile "solution.py", line 3\n    The function sorts the array.\n'
    "        ^^^^^^^^\nSyntaxError: invalid syntax"
)
INDENTATION = (
    'exit code 1\nFile "solution.py", line 6\n    return a+b\n    ^\n'
    "IndentationError: expected an indented block after function definition on line 5"
)
TIMED_OUT = "timed out after 10 s (an endless loop or a far too slow algorithm)"
KILLED_TEXT = "killed by signal 9 (a resource limit: CPU time or memory)\n(no output)"
TRUNCATED = "exit code 1\n[...]\n" + "    frame\n" * 40 + "RecursionError: maximum recursion depth exceeded"


def he_task(number: int, entry: str = "sort_array"):
    prompt = f'def {entry}(arr):\n    """Problem {number}."""\n'
    return parse_task(
        {
            "id": f"HumanEval-{number}",
            "family": "humaneval",
            "input": f"Complete the following Python function.\n\n```python\n{prompt}```\n",
            "expected": None,
            "grader": {
                "type": "execution",
                "prefix": prompt,
                "test": "def check(candidate):\n    assert candidate([5, 2]) == [2, 5]\n",
                "entry_point": entry,
            },
        }
    )


def failed(number: int, detail: str, output: str = "```python\ndef f():\n    pass\n```"):
    return he_task(number), RunResult(output, Usage()), Grade(False, detail)


def test_the_exception_that_ended_the_traceback_is_the_signature():
    assert final_exception(ASSERTION) == "AssertionError"
    assert final_exception(NAME_ERROR) == "NameError"
    assert final_exception(MISSING_MODULE) == "ModuleNotFoundError"
    assert final_exception(CHAINED) == "ValueError"  # not the KeyError it was handling
    assert final_exception(DOTTED) == "JSONDecodeError"
    assert final_exception(MULTILINE_MESSAGE) == "AssertionError"
    assert final_exception(TRUNCATED) == "RecursionError"
    assert final_exception("exit code 1\nTraceback (most recent call last):\nsome output") is None


def test_humaneval_failures_are_grouped_by_how_they_ended():
    results = [
        failed(7, ASSERTION),
        failed(3, NAME_ERROR),
        failed(12, ASSERTION),
        failed(1, ASSERTION),
        failed(4, TIMED_OUT),
        failed(9, NAME_ERROR),
        failed(2, PROSE_SYNTAX, output="The function sorts the array."),  # prose, no code block
        failed(5, PROSE_SYNTAX, output="```python\nThe function sorts the array.\n```"),  # bad code
        failed(6, INDENTATION),
        failed(8, KILLED_TEXT),
        failed(10, "exit code 2\nusage: solution.py"),
        failed(11, MISSING_MODULE),
        (he_task(13), RunResult("```python\nok\n```", Usage()), Grade(True)),  # passed: not grouped
    ]
    groups = group_failures(results, max_examples=2)
    assert [(g.signature, g.count) for g in groups] == [
        ("AssertionError", 3),
        ("NameError", 2),
        ("IndentationError", 1),
        ("ModuleNotFoundError", 1),
        ("SyntaxError", 1),
        (NO_EXCEPTION, 1),
        (NO_CODE, 1),
        (KILLED, 1),
        (TIMEOUT, 1),
    ]
    assertion = groups[0]
    assert [t.id for t, _, _ in assertion.examples] == ["HumanEval-1", "HumanEval-12"]  # by id, capped
    assert "wrong result" in assertion.meaning and "not defined" in groups[1].meaning


def test_the_same_failures_give_the_same_groups_in_any_order():
    results = [failed(n, text) for n, text in enumerate([ASSERTION, NAME_ERROR, TIMED_OUT] * 3)]
    expected = group_failures(results)
    for seed in range(5):
        shuffled = list(results)
        random.Random(seed).shuffle(shuffled)
        assert group_failures(shuffled) == expected
    # Equal counts: ordered by signature, never by arrival.
    assert [g.signature for g in expected] == ["AssertionError", "NameError", TIMEOUT]


def test_other_graders_group_by_family_and_what_the_grader_found():
    def graded(task_id, family, kind, detail, expected="2024-01-31"):
        extra = {"pattern": r"\d+"} if kind == "regex" else {}
        task = parse_task(
            {
                "id": task_id,
                "family": family,
                "input": "q",
                "expected": expected,
                "grader": {"type": kind, **extra},
            }
        )
        return task, RunResult("I am not sure.", Usage()), Grade(False, detail)

    results = [
        graded("d2", "dates", "exact", "output is not exactly the expected text"),
        graded("d1", "dates", "exact", "output is not exactly the expected text"),
        graded("j1", "json", "json", "no JSON value found in the output", expected={"a": 1}),
        graded("j2", "json", "json", "the JSON value differs from the expected one", expected={"a": 1}),
        graded("p1", "paths", "regex", "output does not match the expected pattern"),
    ]
    groups = group_failures(results)
    assert [(g.signature, g.count) for g in groups] == [
        ("dates: wrong answer", 2),
        ("json: no JSON", 1),
        ("json: wrong answer", 1),
        ("paths: wrong answer", 1),
    ]
    assert groups[0].meaning == "the answer was not exactly the expected text"
    assert [t.id for t, _, _ in groups[0].examples] == ["d1", "d2"]


def test_every_permutation_of_a_small_batch_groups_identically():
    results = [failed(1, ASSERTION), failed(2, ASSERTION), failed(3, TIMED_OUT), failed(4, NAME_ERROR)]
    outcomes = {repr(group_failures(list(p))) for p in itertools.permutations(results)}
    assert len(outcomes) == 1
