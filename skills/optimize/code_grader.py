"""Execution-based grading: the answer's code, then the task's tests, run in the sandbox.

The answer's code is its first ``python`` (or untagged) fenced block, else its first fenced
block, else the whole answer; a block cut off by the token limit is taken to the end. When the
code defines the entry point at the top level it follows the task's ``prefix`` (so the prompt's
imports and helpers stay, and the answer's definition wins); otherwise it is taken as the body
that continues the prefix (HumanEval's completion convention). The failure text is what the
optimizer's reflection reads: the traceback's tail (the failing assertion line is in it), or the
timeout, trimmed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cairn.skills.optimize.execution import ExecutionLimits, ExecutionResult, run_python
from cairn.skills.optimize.tasks import Grader

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
DETAIL_CHARS = 1_200
DEFAULT_TIMEOUT = 10.0


def extract_code(answer: str) -> str:
    """The code in a model's answer (see the module docstring)."""
    blocks = [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(answer)]
    for language, body in blocks:
        if language in ("python", "python3", "py", ""):
            return body
    return blocks[0][1] if blocks else answer


def has_code_block(answer: str) -> bool:
    """Whether the answer has a fenced block at all (else its whole text is taken as code)."""
    return _FENCE.search(answer) is not None


def build_program(grader: Grader, answer: str) -> str:
    """The file that is run: prefix and answer code, the tests, and the call to ``check``."""
    code = extract_code(answer)
    entry = grader.entry_point
    defines_entry = entry is not None and re.search(rf"^def\s+{re.escape(entry)}\s*\(", code, re.MULTILINE)
    if grader.prefix and (defines_entry or entry is None):
        program = grader.prefix.rstrip("\n") + "\n\n\n" + code
    else:
        program = grader.prefix + code
    program = program.rstrip("\n") + "\n\n\n" + (grader.test or "").rstrip("\n") + "\n"
    if entry is not None:
        program += f"\n\ncheck({entry})\n"
    return program


def failure_text(result: ExecutionResult, timeout: float) -> str:
    """A short account of why a run failed, for the optimizer (and people)."""
    if result.timed_out:
        return f"timed out after {timeout:g} s (an endless loop or a far too slow algorithm)"
    if result.exit_code is not None and result.exit_code < 0:
        head = f"killed by signal {-result.exit_code} (a resource limit: CPU time or memory)"
    else:
        head = f"exit code {result.exit_code}"
    text = result.stderr.strip() or result.stdout.strip() or "(no output)"
    if len(text) > DETAIL_CHARS:
        text = "[...]\n" + text[-DETAIL_CHARS:]
    return f"{head}\n{text}"


@lru_cache(maxsize=4096)
def _graded(grader: Grader, answer: str) -> tuple[bool, str]:
    # The gate and the scores grade the same output more than once: run it once.
    timeout = grader.timeout or DEFAULT_TIMEOUT
    result = run_python(build_program(grader, answer), ExecutionLimits(timeout=timeout))
    return (True, "") if result.passed else (False, failure_text(result, timeout))


def grade_execution(grader: Grader, answer: str) -> tuple[bool, str]:
    """Pass/fail and the failure text of one answer (raises `SandboxUnavailable`)."""
    return _graded(grader, answer)
